"""Types shared by everything that answers a viewer: what a question is about (Understanding),
what the viewer said before (Turn), and the reply (Answer). Frozen dataclasses: they are made
on the hot path of the comment stream, thousands a second."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Topic(StrEnum):
    PRICE = "price"
    SALE = "sale"  # discount, promo price, coupon
    SIZE = "size"  # size and fit, size chart
    STOCK = "stock"
    COLOR = "color"
    MATERIAL = "material"
    SHIPPING = "shipping"  # ship to a place, shipping fee
    DELIVERY = "delivery"  # how long it takes
    RETURNS = "returns"
    PAYMENT = "payment"
    CAMPAIGN = "campaign"
    WARRANTY = "warranty"  # a product's warranty or guarantee
    CARE = "care"  # washing and care
    HOW_TO_BUY = "how_to_buy"
    HUMAN = "human"  # explicit ask for a person / the host
    FAQ = "faq"  # matched one of the market's FAQ entries
    GREETING = "greeting"  # hello, thanks, chit-chat
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Understanding:
    """What a viewer message asks, resolved against one market's data."""

    topic: Topic
    sku: str | None = None  # the product meant (by name, alias, SKU, or "this one" on stage)
    size: str | None = None
    color: str | None = None  # a color id of the product
    country: str | None = None  # ISO country code the viewer asks about (shipping)
    faq_id: str | None = None
    topics: tuple[Topic, ...] = ()  # every topic detected, the main one first

    @property
    def dedup_key(self) -> tuple[str, str | None, str | None, str | None, str | None, str | None]:
        """Two messages with the same key get the same answer (used to answer bursts once)."""
        return (self.topic.value, self.sku, self.size, self.color, self.country, self.faq_id)


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "viewer" or "assistant"
    text: str
    lang: str
    topic: Topic | None = None
    ts: float = 0.0


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    lang: str
    understanding: Understanding
    source: str = "grounded"  # grounded | llm | fallback
    needs_host: bool = False  # the reply promises the host will follow up (a host task)
    unanswered: bool = False  # the data could not answer it ("I'll check"): operators see it
    facts: tuple[str, ...] = field(default=())  # the fact lines the answer was built from
