"""Streaming sample-rate conversion with soxr, one stateful converter per direction per
session, so chunk boundaries leave no clicks and nothing waits for a whole utterance."""

from __future__ import annotations

import numpy as np
import soxr


class StreamResampler:
    """float32 mono in at `in_rate`, float32 mono out at `out_rate`, chunk by chunk.

    Equal rates pass through untouched. `flush()` drains the filter's tail at the end of a
    stream (a reply), after which the converter starts a fresh stream."""

    def __init__(self, in_rate: int, out_rate: int, *, quality: str = "HQ"):
        self.in_rate = int(in_rate)
        self.out_rate = int(out_rate)
        self._quality = quality
        self._stream = self._new()

    def _new(self) -> soxr.ResampleStream | None:
        if self.in_rate == self.out_rate:
            return None
        return soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32",
                                   quality=self._quality)

    def process(self, samples: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(samples, dtype=np.float32)
        if self._stream is None:
            return x
        return self._stream.resample_chunk(x)

    def flush(self) -> np.ndarray:
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        tail = self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        self._stream = self._new()
        return tail

    def reset(self) -> None:
        self._stream = self._new()
