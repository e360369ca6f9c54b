"""Live-chat phrasings the grounded engine and the language resolver must read right: stretched
words, follow-ups that keep the destination, restock questions, first messages in a market's
second language, Arabizi. Real shipped markets, the real engine and detector."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialogue import Turn
from assistant.knowledge.grounded import GroundedEngine
from assistant.knowledge.market import load_market
from assistant.knowledge.matching import normalize
from assistant.language import LanguageDetector, ViewerLanguages

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SEA = ["id", "ms", "th", "vi", "en"]


@pytest.fixture(scope="module")
def sea() -> GroundedEngine:
    return GroundedEngine(load_market(PROMPTS / "sea"))


@pytest.fixture(scope="module")
def viewers() -> ViewerLanguages:
    return ViewerLanguages(LanguageDetector())


def test_stretched_letters_are_squeezed_but_sizes_are_not():
    assert normalize("hiii sooo pretty") == "hi so pretty"
    assert normalize("XXXL") == "xxxl"


def test_a_follow_up_keeps_the_destination_named_before(sea):
    history = [Turn(role="viewer", text="do you ship to Malaysia?", lang="en")]
    u = sea.understand("how many days does it take?", "en", history=history)
    assert u.country == "MY"
    assert "3-6" in sea.answer(u, "en").text
    # Without the earlier turn, the market's home destination.
    assert sea.understand("how many days does it take?", "en").country is None


@pytest.mark.parametrize("text", [
    "when will the black hoodie be back in stock?",
    "kapan hoodie hitam ready lagi kak?",
])
def test_when_it_comes_back_is_a_question_for_the_host(sea, text):
    lang = "en" if text.startswith("when") else "id"
    answer = sea.answer(sea.understand(text, lang), lang)
    assert answer.needs_host and answer.unanswered, answer.text


@pytest.mark.parametrize(("text", "market", "want"), [
    ("on peut la laver en machine ?", ["de", "fr", "en"], "fr"),
    ("saiz apa sesuai kalau saya biasa pakai M saiz US?", SEA, "ms"),
    ("ao hoodie nay bao nhieu tien vay shop", SEA, "vi"),  # Vietnamese without its accents
    ("is the jacket waterproof?", ["de", "fr", "en"], "en"),
])
def test_a_whole_first_sentence_leaves_the_default_language(viewers, text, market, want):
    assert viewers.resolve(f"new-{text}", text, market).lang == want


@pytest.mark.parametrize("weak", ["top", "sim", "ok", "M?"])
def test_a_weak_first_message_keeps_the_default(viewers, weak):
    assert viewers.resolve(f"weak-{weak}", weak, ["pt", "en"]).lang == "pt"


@pytest.mark.parametrize(("text", "want"), [
    ("fi maqas 56 aswad?", "ar"),
    ("ana abi wahed abyad", "ar"),
    ("is there a fee to ship to Dubai?", "en"),
    ("hi is the abaya available in black?", "en"),
])
def test_arabizi_is_arabic_and_english_stays_english(text, want):
    assert LanguageDetector().detect(text, ["ar", "en"]).lang == want


def test_a_market_written_in_traditional_characters_is_answered_in_them():
    # bench/answers/markets/tw writes Chinese as Taiwan does; the pack's templates are Simplified.
    tw = GroundedEngine(load_market(PROMPTS.parent / "bench" / "answers" / "markets" / "tw"))
    reply = tw.answer(tw.understand("寄香港運費多少", "zh"), "zh").text
    assert "運費" in reply and "运费" not in reply and "们" not in reply
    assert "確認" in tw.fallback_text("zh")
    # A market that writes Simplified keeps the pack's own wording.
    folder = PROMPTS / "sea"
    assert GroundedEngine(load_market(folder)).localize("运费", "zh") == "运费"


@pytest.fixture(scope="module")
def kr() -> GroundedEngine:
    return GroundedEngine(load_market(PROMPTS / "kr"))


@pytest.mark.parametrize(("text", "lang"), [
    ("where is the charging stand made? china?", "en"),  # a gap phrase: "where … made"
    ("is the jacket made in korea?", "en"),
    ("세럼 유통기한 얼마나 남은 걸로 보내줘요?", "ko"),
    ("세럼 원산지가 어디예요?", "ko"),
])
def test_origin_and_expiry_are_questions_for_the_host(kr, text, lang):
    answer = kr.answer(kr.understand(text, lang, on_stage_sku="KR-SERUM-03"), lang)
    assert answer.needs_host and answer.unanswered, answer.text
    assert "ship" not in answer.text  # "China" in an origin question is not a destination


def test_made_of_is_still_the_material(kr):
    answer = kr.answer(kr.understand("what is the jacket made of?", "en"), "en")
    assert "goose down" in answer.text and not answer.needs_host


def test_a_follow_up_keeps_the_colour_named_before(sea):
    history = [Turn(role="viewer", text="do you have the hoodie in black?", lang="en")]
    u = sea.understand("M?", "en", history=history)
    assert u.sku == "SEA-HOOD-01" and u.size == "M" and u.color == "black"
    # A new colour in the message wins over the earlier one.
    assert sea.understand("M in sky blue?", "en", history=history).color != "black"


@pytest.mark.parametrize(("text", "lang", "country"), [
    ("california", "en", "US"),  # a state's own name is frequent because it is written about
    ("texas", "en", "US"),
    ("antalya", "tr", "TR"),
    ("penang", "en", "MY"),
])
def test_regions_written_about_in_their_own_language_are_places(text, lang, country):
    from assistant.knowledge import places

    assert [c for _, c, _ in places.find(text, lang, lambda _: False)] == [country]


@pytest.mark.parametrize(("text", "lang"), [
    ("store", "en"),  # a Slovenian region, but a shop first
    ("vienne", "fr"),  # an Austrian region in French, but "come" first
    ("male", "en"),
    ("southern", "en"),
])
def test_region_names_that_are_words_first_are_not_places(text, lang):
    from assistant.knowledge import places

    assert places.find(text, lang, lambda _: False) == []


def test_a_greeting_that_names_a_place_asks_nothing(sea):
    u = sea.understand("hiii from Penang 👋", "en")
    assert u.topic.value == "greeting" and not sea.answer(u, "en").needs_host


def test_one_word_of_a_product_name_names_it():
    # tw's running shoes are "Cloudstep Lightweight Running Shoes"; no alias says "cloudstep".
    tw = GroundedEngine(load_market(PROMPTS.parent / "bench" / "answers" / "markets" / "tw"))
    assert tw.understand("which size cloudstep for a 25 cm foot?", "en").sku == "TW-SNK-02"
    # Everyday words of a name ("running") name nothing.
    assert tw.understand("is running ok in the rain?", "en").sku is None


def test_a_singular_names_a_plural_alias():
    # prompts/us: the boots' aliases are "boots", "hiking boots"; a viewer (or Whisper) says "boot".
    us = GroundedEngine(load_market(PROMPTS / "us"))
    u = us.understand("Do you ship the boot to Canada?", "en")
    assert u.sku == "US-BOOT-02" and "4-7" in us.answer(u, "en").text
