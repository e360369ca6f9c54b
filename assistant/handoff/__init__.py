"""Handing a high-intent viewer to the human host: the durable record (store) and the live feed
to the host console (feed)."""

from assistant.handoff.feed import HandoffFeed, Subscription
from assistant.handoff.store import ACKNOWLEDGED, CLOSED, OPEN, Handoff, HandoffStore

__all__ = [
    "ACKNOWLEDGED",
    "CLOSED",
    "OPEN",
    "Handoff",
    "HandoffFeed",
    "HandoffStore",
    "Subscription",
]
