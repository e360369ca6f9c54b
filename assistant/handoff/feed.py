"""HandoffFeed: in-process publish/subscribe of handoff events for the host console WebSocket.

Each subscriber has its own bounded asyncio.Queue. `publish` never blocks and never waits for a
subscriber: when a subscriber's queue is full (a slow or stalled host console) the event is
dropped for that subscriber only and counted in `Subscription.dropped`, so one stuck browser tab
cannot hold up the chat pipeline that publishes. The durable store is the source of truth; a
console that dropped events re-reads the list from it.

Publish from the event loop thread (asyncio.Queue is not thread-safe); from another thread use
`loop.call_soon_threadsafe(feed.publish, event)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

DEFAULT_MAX_QUEUE = 100


class Subscription:
    """One subscriber: iterate with `async for`, or `await get()`. Use as a (async) context
    manager so it unsubscribes on exit."""

    def __init__(self, feed: HandoffFeed, room: str | None, max_queue: int):
        self.room = room  # None = every room
        self.dropped = 0
        self._feed = feed
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=max_queue)

    def _offer(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    def pending(self) -> int:
        return self._queue.qsize()

    async def get(self) -> dict[str, Any]:
        return await self._queue.get()

    def get_nowait(self) -> dict[str, Any]:
        """Raises asyncio.QueueEmpty when nothing is pending."""
        return self._queue.get_nowait()

    def close(self) -> None:
        self._feed._unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self._queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class HandoffFeed:
    def __init__(self, *, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self._max_queue = max_queue
        self._subscribers: set[Subscription] = set()

    def subscribe(self, room: str | None = None) -> Subscription:
        """Events of one room, or of every room when room is None."""
        sub = Subscription(self, room, self._max_queue)
        self._subscribers.add(sub)
        return sub

    def publish(self, event: dict[str, Any]) -> int:
        """Offer the event to every matching subscriber without waiting; returns how many got it.
        The event's room is event["room"] or event["handoff"]["room"]."""
        room = event.get("room")
        if room is None and isinstance(event.get("handoff"), dict):
            room = event["handoff"].get("room")
        delivered = 0
        for sub in tuple(self._subscribers):
            if sub.room is None or sub.room == room:
                before = sub.dropped
                sub._offer(event)
                delivered += sub.dropped == before
        return delivered

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def _unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
