"""Small bounded in-memory structures the chat service keeps per viewer: a token-bucket rate
limiter and an LRU map. Both are bounded so that a room with millions of drive-by viewers
cannot grow memory without limit."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, max_items: int):
        self.max_items = max_items
        self._data: OrderedDict[K, V] = OrderedDict()

    def get_or_create(self, key: K, factory: Callable[[], V]) -> V:
        try:
            self._data.move_to_end(key)
            return self._data[key]
        except KeyError:
            value = self._data[key] = factory()
            if len(self._data) > self.max_items:
                self._data.popitem(last=False)
            return value

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


class TokenBuckets:
    """Per-key token bucket: `rate_per_min` sustained, `burst` at once."""

    def __init__(self, rate_per_min: float, burst: int, *, clock: Callable[[], float],
                 max_keys: int = 200_000):
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: LRU[str, list[float]] = LRU(max_keys)

    def allow(self, key: str) -> bool:
        now = self.clock()
        bucket = self._buckets.get_or_create(key, lambda: [self.burst, now])
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True
