"""Purchase-intent scoring: every signal in several languages, threshold semantics, the repeat
rule, plain questions staying below the threshold, and precision/recall on real intent data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assistant.dialogue import Topic, Turn
from assistant.intent import (
    ASKS_FOR_HUMAN,
    BULK,
    BUY_NOW,
    HOW_TO_BUY,
    PAYMENT,
    QUANTITY,
    REPEATED_PRE_SALES,
    IntentScore,
    IntentScorer,
)

THRESHOLD = 0.6  # the market default handoff_threshold
DATA = Path(__file__).parent / "data" / "shopping_text"


@pytest.fixture(scope="module")
def scorer() -> IntentScorer:
    return IntentScorer()


def _hands_off(result: IntentScore) -> bool:
    return result.score >= THRESHOLD


BUY_NOW_CASES = [
    ("I'll take it!", "en"),
    ("I want to buy this one", "en"),
    ("add it to my cart", "en"),
    ("quero comprar", "pt"),
    ("eu levo 1", "pt"),
    ("lo quiero!!", "es"),
    ("me lo llevo", "es"),
    ("ich nehme die blaue", "de"),
    ("je le prends", "fr"),
    ("mau beli kak", "id"),
    ("nak beli satu", "ms"),
    ("เอาค่ะ", "th"),
    ("chốt đơn", "vi"),
    ("chot", "vi"),
    ("これ買いたいです", "ja"),
    ("이거 살게요", "ko"),
    ("我要买", "zh"),
    ("أريد شراء هذا", "ar"),
    ("satın almak istiyorum", "tr"),
    ("satin almak istiyorum", "tr"),  # typed without Turkish letters
]


@pytest.mark.parametrize(("text", "lang"), BUY_NOW_CASES)
def test_buy_now_crosses_threshold_alone(scorer: IntentScorer, text: str, lang: str) -> None:
    result = scorer.score(text, lang)
    assert BUY_NOW in result.reasons
    assert _hands_off(result)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("wholesale price?", "en"), ("preço de atacado?", "pt"), ("tienen mayoreo?", "es"),
     ("ada harga grosir?", "id"), ("卸価格はありますか", "ja"), ("可以批发吗", "zh"),
     ("toptan satış var mı", "tr"), ("I need 50 pcs for my shop", "en")],
)
def test_bulk_crosses_threshold_alone(scorer: IntentScorer, text: str, lang: str) -> None:
    result = scorer.score(text, lang)
    assert BULK in result.reasons
    assert _hands_off(result)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("can I talk to a real person?", "en"), ("speak to the host please", "en"),
     ("quero falar com um atendente", "pt"), ("quiero hablar con un asesor", "es"),
     ("je veux parler à un conseiller", "fr"), ("转人工", "zh"), ("상담원 연결해 주세요", "ko"),
     ("mau bicara dengan admin", "id")],
)
def test_asks_for_human_crosses_threshold_alone(
    scorer: IntentScorer, text: str, lang: str
) -> None:
    result = scorer.score(text, lang)
    assert ASKS_FOR_HUMAN in result.reasons
    assert _hands_off(result)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("2 pcs", "en"), ("3 of them", "en"), ("x5", "en"), ("dos", "es"), ("tiga", "id"),
     ("3 pares", "pt"), ("2个", "zh"), ("2개", "ko"), ("2 ชิ้น", "th")],
)
def test_quantity_is_weak_alone(scorer: IntentScorer, text: str, lang: str) -> None:
    result = scorer.score(text, lang)
    assert result.reasons == (QUANTITY,)
    assert not _hands_off(result)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("how do I pay?", "en"), ("do you accept paypal?", "en"), ("aceita pix?", "pt"),
     ("¿puedo pagar con tarjeta?", "es"), ("bisa cod?", "id"), ("支付宝可以吗", "zh"),
     ("代引きできますか", "ja"), ("kapıda ödeme var mı", "tr")],
)
def test_payment_is_weak_alone(scorer: IntentScorer, text: str, lang: str) -> None:
    result = scorer.score(text, lang)
    assert result.reasons == (PAYMENT,)
    assert not _hands_off(result)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("2 pcs, can I pay with paypal?", "en"), ("3 pares, aceita pix?", "pt"),
     ("2个，支付宝可以吗", "zh")],
)
def test_weak_signals_together_cross(scorer: IntentScorer, text: str, lang: str) -> None:
    result = scorer.score(text, lang)
    assert set(result.reasons) == {PAYMENT, QUANTITY}
    assert _hands_off(result)


def test_engine_topics_are_signals(scorer: IntentScorer) -> None:
    assert scorer.score("hmm", "en", topics=[Topic.HUMAN]).reasons == (ASKS_FOR_HUMAN,)
    assert scorer.score("hmm", "en", topics=[Topic.PAYMENT]).reasons == (PAYMENT,)
    assert scorer.score("hmm", "en", topics=[Topic.HOW_TO_BUY]).reasons == (HOW_TO_BUY,)
    # a weak text signal plus the engine's payment topic crosses
    assert _hands_off(scorer.score("2 pcs", "en", topics=[Topic.PAYMENT]))


@pytest.mark.parametrize(
    ("text", "lang"),
    [("what colors?", "en"), ("how much is it?", "en"), ("do you ship to Canada?", "en"),
     ("do you have two colors in stock?", "en"), ("is it cotton?", "en"),
     ("qual o preço?", "pt"), ("¿cuánto cuesta?", "es"), ("ada warna lain?", "id"),
     ("何色がありますか", "ja"), ("有什么颜色", "zh"), ("사이즈 있어요?", "ko"),
     ("มีสีอะไรบ้าง", "th"), ("what's the status of my order?", "en"), ("thanks!", "en")],
)
def test_plain_questions_stay_below(scorer: IntentScorer, text: str, lang: str) -> None:
    assert not _hands_off(scorer.score(text, lang))


@pytest.mark.parametrize(
    ("text", "lang"),
    [("I don't want to buy it", "en"), ("no lo quiero", "es"), ("我不要买", "zh"),
     ("ไม่เอา", "th"), ("em không lấy", "vi"), ("gak mau beli", "id")],
)
def test_negation_cancels_buy(scorer: IntentScorer, text: str, lang: str) -> None:
    assert BUY_NOW not in scorer.score(text, lang).reasons


def test_instalments_are_not_quantities(scorer: IntentScorer) -> None:
    result = scorer.score("dá pra parcelar em 10x sem juros?", "pt")
    assert result.reasons == (PAYMENT,)


def test_repeat_rule_price_stock_shipping_is_a_buyer(scorer: IntentScorer) -> None:
    history = [
        Turn("viewer", "how much?", "en", Topic.PRICE, 1.0),
        Turn("assistant", "$20", "en", None, 2.0),
        Turn("viewer", "in stock?", "en", Topic.STOCK, 3.0),
    ]
    result = scorer.score("ship to canada?", "en", topics=[Topic.SHIPPING], history=history)
    assert result.reasons == (REPEATED_PRE_SALES,)
    assert _hands_off(result)


def test_repeat_rule_needs_three_groups_and_a_pre_sales_turn(scorer: IntentScorer) -> None:
    two_groups = [Turn("viewer", "how much?", "en", Topic.PRICE),
                  Turn("viewer", "any discount?", "en", Topic.SALE)]
    assert not scorer.score("ship to canada?", "en", topics=[Topic.SHIPPING],
                            history=two_groups).reasons
    three = [Turn("viewer", "how much?", "en", Topic.PRICE),
             Turn("viewer", "in stock?", "en", Topic.STOCK),
             Turn("viewer", "ship to canada?", "en", Topic.SHIPPING)]
    # a greeting after the questions does not re-trigger
    assert not scorer.score("thanks", "en", topics=[Topic.GREETING], history=three).reasons
    # assistant turns do not count as the viewer's questions
    mixed = [Turn("assistant", "x", "en", Topic.PRICE), Turn("assistant", "y", "en", Topic.STOCK)]
    assert not scorer.score("ship?", "en", topics=[Topic.SHIPPING], history=mixed).reasons


def test_score_is_bounded_and_reasons_ordered(scorer: IntentScorer) -> None:
    result = scorer.score("I'll take 50 pcs wholesale, can I pay by paypal? talk to a human",
                          "en", topics=[Topic.PAYMENT])
    assert 0.99 < result.score <= 1.0
    assert result.reasons == (BUY_NOW, BULK, ASKS_FOR_HUMAN, PAYMENT, QUANTITY)
    assert scorer.score("", "en") == IntentScore(0.0, ())


def test_unknown_or_regional_language_code(scorer: IntentScorer) -> None:
    assert BUY_NOW in scorer.score("quero comprar", "pt-BR").reasons
    assert BUY_NOW in scorer.score("quero comprar", "xx").reasons
    # misdetected language, unambiguous script
    assert BUY_NOW in scorer.score("我要买", "en").reasons


def _read(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["intent"]) for r in csv.DictReader(f, delimiter="\t")]


def _precision_recall(scorer: IntentScorer, rows, positive) -> tuple[float, float]:
    tp = fp = fn = 0
    for text, intent in rows:
        predicted, gold = _hands_off(scorer.score(text, "en")), positive(intent)
        tp += predicted and gold
        fp += predicted and not gold
        fn += gold and not predicted
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


# Floors sit well below what bench/intent.py measures on these subsets (CLINC P 0.96 R 0.90;
# Bitext place_order R 1.00, with contact_* as positives P 1.00 R 1.00; banking77 FPR 0.00).
def test_clinc150_order_precision_recall(scorer: IntentScorer) -> None:
    p, r = _precision_recall(scorer, _read("clinc150_shopping_meta_subset_test.tsv"),
                             lambda i: i == "order")
    assert p >= 0.8 and r >= 0.7


def test_bitext_place_order_precision_recall(scorer: IntentScorer) -> None:
    rows = _read("bitext_customer_service_sample_subset.tsv")
    _, r = _precision_recall(scorer, rows, lambda i: i == "place_order")
    assert r >= 0.8
    # asking for an agent is a handoff too: count it as positive for precision
    p, r = _precision_recall(
        scorer, rows,
        lambda i: i in ("place_order", "contact_human_agent", "contact_customer_service"),
    )
    assert p >= 0.85 and r >= 0.8


def test_banking77_payment_complaints_are_not_buyers(scorer: IntentScorer) -> None:
    rows = _read("banking77_payment_refund_subset_test.tsv")
    flagged = sum(_hands_off(scorer.score(text, "en")) for text, _ in rows)
    assert flagged / len(rows) <= 0.05


@pytest.mark.parametrize(("text", "lang"), [
    ("my friend bought with my link, does it count for the relay?", "en"),
    ("친구가 제 링크로 가입해서 2만원어치 샀는데 인정돼요??", "ko"),
    ("صديقتي سجلت من رابطي وطلبت بـ 60 درهم، تنحسب لي؟", "ar"),
    ("arkadaşım linkimden sipariş verdi, sayılıyor mu?", "tr"),
    ("朋友用我的連結下單了，有算嗎？", "zh"),
])
def test_a_friends_order_asked_about_a_campaign_is_not_buy_intent(scorer, text, lang):
    assert scorer.score(text, lang, topics=[Topic.CAMPAIGN]).score < THRESHOLD


def test_buying_for_a_friend_is_still_buy_intent(scorer):
    # Without a campaign asked, a friend is who it is for.
    assert scorer.score("I want to buy one for my friend", "en",
                        topics=[Topic.PRICE]).score >= THRESHOLD
    assert scorer.score("quero comprar para minha amiga", "pt").score >= THRESHOLD


@pytest.mark.parametrize(("text", "lang"), [
    ("+1 我要奶茶色M一件🙋", "zh"),
    ("幫我留一件霧藍L", "zh"),
    ("ok im taking it!! the lilac one pls 💜", "en"),
    ("2 tane alıcam lacivert olandan 🙌", "tr"),
    ("abgha akhith wa7ed power bank abyadh 🙏", "ar"),
    ("tamam abgha at6lob el 6aqm el thahabi 🔥", "ar"),
])
def test_live_room_buy_messages(scorer, text, lang):
    assert BUY_NOW in scorer.score(text, lang).reasons


@pytest.mark.parametrize(("text", "lang"), [
    ("size +1 bigger?", "en"),  # "+1" is a buy only as the message itself
    ("Gence'ye 3500 liralık sipariş versem kargo ücretsiz olur mu?", "tr"),  # "if I ordered"
    ("現在下單寄台南大概幾天會到？", "zh"),
    ("이거 3개월 무이자 할부 되나여?", "ko"),  # 3 months, not 3 pieces
])
def test_questions_that_mention_ordering_are_not_buy_messages(scorer, text, lang):
    assert scorer.score(text, lang, topics=[Topic.PAYMENT]).score < THRESHOLD


@pytest.mark.parametrize(("text", "lang"), [
    ("أبي وحدة من هذي 😍😍", "ar"),
    ("خلاص بطلب! احجزي لي وحدة زيتي مقاس 56 🔥", "ar"),
    ("عايزة اشتري السيروم ده، هاخد اتنين 🙏", "ar"),
    ("بدي وحدة من هيدا الطقم", "ar"),
    ("7ajzi li wa7ed dalla thahabi pls 🙏", "ar"),
    ("결제하려고요~ 니트 버건디 하나요", "ko"),
    ("我要 霧黑 M 🙋", "zh"),
    ("Saya nak beli 2 botol sunscreen ni sekarang, pos ke Johor Bahru ya 🙏", "ms"),
])
def test_dialect_buy_messages(scorer, text, lang):
    assert scorer.score(text, lang, topics=[Topic.SHIPPING]).score >= THRESHOLD


@pytest.mark.parametrize(("text", "lang", "topic"), [
    # Wanting or supposing a purchase, in a question about a policy: the question.
    ("想買耳機，信用卡滿多少可以分期？", "zh", Topic.PAYMENT),
    ("買兩個馬克杯有免運嗎？", "zh", Topic.SHIPPING),
    ("can I buy the sandals with Tabby? I'm in Kuwait", "en", Topic.PAYMENT),
    ("lw ashtri el serum w el power bank, kam el sha7n l Muscat?", "ar", Topic.SHIPPING),
    ("ライブのクーポン使って買いたいんだけど、このパーカーにも使えますか？", "ja", Topic.SALE),
    ("我要問一下運費", "zh", Topic.SHIPPING),
])
def test_a_wish_in_a_policy_question_is_the_question(scorer, text, lang, topic):
    assert scorer.score(text, lang, topics=[topic]).score < THRESHOLD


def test_a_wish_is_buying_when_nothing_else_is_asked(scorer):
    assert scorer.score("I want to buy it", "en").score >= THRESHOLD
    assert scorer.score("欲しい！買う！", "ja").score >= THRESHOLD


def test_wanting_it_now_is_buying_even_with_a_payment_question(scorer):
    # The shipped e2e buyer: English "I want to buy" commits, it does not suppose.
    assert scorer.score("I want to buy 2 hoodies in M now, how do I pay?", "en",
                        topics=[Topic.PAYMENT]).score >= THRESHOLD
