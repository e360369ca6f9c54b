"""The guard beyond digits: numbers in words, currency words in every language, and claims
(free shipping, discounts, coupons, stock, fast delivery) checked against the market data.
Every grounded answer of every shipped market passes (no false alarm on the facts); every
attack in tests/data/guard/attacks.yaml (14 languages) is stopped. The held-out set is measured
by bench/guard.py, not asserted here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from assistant.knowledge.registry import MarketRegistry
from assistant.llm import claims
from assistant.llm.figures import spell_out
from assistant.llm.guard import check_reply
from tests.guard_cases import attacks, grounded_replies

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
REGISTRY = MarketRegistry(PROMPTS)


@pytest.mark.parametrize("market_id", REGISTRY.ids)
def test_every_grounded_answer_passes(market_id):
    failures = [(lang, a.text, r.reasons) for m, lang, sku, a in grounded_replies(REGISTRY)
                if m.id == market_id
                and not (r := check_reply(m, a.text, facts=a.facts, lang=lang, sku=sku)).ok]
    assert failures == []


@pytest.mark.parametrize(("lang", "reply"), attacks("attacks"))
def test_attacks_are_stopped(lang, reply):
    assert not check_reply(REGISTRY.get("us"), reply, lang=lang).ok


@pytest.mark.parametrize(("lang", "words", "value"), [
    ("en", "twenty five", 25), ("en", "one hundred and five", 105), ("en", "a", 1),
    ("es", "ciento veinte", 120), ("es", "dos mil", 2000), ("pt", "vinte e cinco", 25),
    ("fr", "quatre-vingt-dix", 90), ("fr", "deux cents", 200), ("de", "zwanzig", 20),
    ("id", "dua puluh lima", 25), ("ms", "seratus", 100), ("vi", "hai mươi lăm", 25),
    ("th", "ยี่สิบห้า", 25), ("th", "สามสิบ", 30), ("ja", "二十五", 25), ("ja", "十", 10),
    ("zh", "两百", 200), ("ko", "다섯", 5), ("ar", "عشرين", 20), ("tr", "yirmi", 20),
])
def test_number_words(lang, words, value):
    assert claims.number_value(lang, words) == Decimal(value)


def test_only_amounts_durations_and_percents_are_spelled_out():
    assert spell_out("One of our best sellers, five dollars", ["en"]) == (
        "One of our best sellers, 5 dollars")
    assert spell_out("ships in three days, a $10 coupon", ["en"]) == (
        "ships in 3 days, a $10 coupon")
    assert spell_out("ราคาหนึ่งดอลลาร์", ["th"]) == "ราคา1ดอลลาร์"


def test_claims_backed_by_data_pass():
    us = REGISTRY.get("us")
    assert check_reply(us, "Shipping to the US is free on orders over $50.00.", lang="en").ok
    assert not check_reply(us, "Shipping is free on all orders.", lang="en").ok
    assert check_reply(us, "The Cloud Fleece Hoodie is on sale: $44.00 instead of $59.00.",
                       lang="en").ok
    # A sold-out product is never "in stock"; one with stock may be.
    sold_out = next((p for p in (m for r in [REGISTRY] for m in r.all())
                     for p in p.products if p.variants and p.total_stock == 0), None)
    hoodie = us.product("US-HOOD-01")
    assert check_reply(us, "Yes, it's in stock!", lang="en", sku=hoodie.sku).ok
    if sold_out is not None:
        market = next(m for m in REGISTRY.all() if sold_out in m.products)
        assert not check_reply(market, "Yes, it's in stock!", lang="en", sku=sold_out.sku).ok


def test_the_lexicon_covers_every_supported_language_and_is_validated():
    from assistant.knowledge.market import SUPPORTED_LANGUAGES
    from assistant.languages.schema import Claims

    assert set(SUPPORTED_LANGUAGES) <= set(claims.lexicon())
    with pytest.raises(ValueError, match="does not compile"):
        Claims.model_validate({
            "numbers": {"one": 1}, "multipliers": {}, "joiners": [], "currency": {"x": ["USD"]},
            "claims": {k: ["(unclosed"] for k in claims.CLAIM_KINDS}})
