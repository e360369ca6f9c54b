"""Replies for the guard's tests and bench: every grounded answer the engine can give in every
market and language (the guard must pass all of them: a model repeating the facts is right),
and the attack sets in tests/data/guard/."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.dialogue import Topic
from assistant.knowledge.grounded import GroundedUnderstanding
from assistant.knowledge.registry import MarketRegistry

DATA = Path(__file__).resolve().parent / "data" / "guard"
_PRODUCT_TOPICS = (Topic.PRICE, Topic.SALE, Topic.SIZE, Topic.STOCK, Topic.COLOR,
                   Topic.MATERIAL, Topic.DELIVERY, Topic.SHIPPING)
_MARKET_TOPICS = (Topic.RETURNS, Topic.PAYMENT, Topic.CAMPAIGN, Topic.SALE, Topic.HOW_TO_BUY,
                  Topic.GREETING, Topic.UNKNOWN, Topic.DELIVERY, Topic.SHIPPING)


def understandings(market) -> list[GroundedUnderstanding]:
    out = []
    countries = [None] + [d.country for d in market.policies.shipping.destinations]
    for p in market.products:
        for t in _PRODUCT_TOPICS:
            for c in countries if t in (Topic.SHIPPING, Topic.DELIVERY) else [None]:
                out.append(GroundedUnderstanding(topic=t, sku=p.sku, country=c, topics=(t,)))
    for t in _MARKET_TOPICS:
        for c in countries if t in (Topic.SHIPPING, Topic.DELIVERY) else [None]:
            out.append(GroundedUnderstanding(topic=t, country=c, topics=(t,)))
    out += [GroundedUnderstanding(topic=Topic.FAQ, faq_id=f.id, topics=(Topic.FAQ,))
            for f in market.faq]
    return out


def grounded_replies(registry: MarketRegistry):
    """(market, lang, sku, answer) for every understanding in every language of every market."""
    for market in registry.all():
        engine = registry.engine(market.id)
        for lang in market.languages:
            for u in understandings(market):
                yield market, lang, u.sku, engine.answer(u, lang)


def attacks(name: str) -> list[tuple[str, str]]:
    """(lang, reply) of an attack file."""
    raw = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    out = []
    for lang, texts in raw.items():
        out += [(lang, t) for t in (texts.values() if isinstance(texts, dict) else texts)]
    return out
