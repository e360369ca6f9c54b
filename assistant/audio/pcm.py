"""PCM16 mono on the wire: decoding and validating what clients send, converting to and from
float32 for the engines, and cutting a stream of arbitrary-sized chunks into fixed frames."""

from __future__ import annotations

import base64
import binascii

import numpy as np

from assistant.errors import InputError

# The OpenAI Realtime default (24 kHz) and the rate most speech engines use (16 kHz).
SUPPORTED_RATES: tuple[int, ...] = (16000, 24000)


def check_rate(rate: int, supported: tuple[int, ...] = SUPPORTED_RATES) -> int:
    """Return `rate` if the wire accepts it, else raise InputError("unsupported_rate")."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate not in supported:
        allowed = ", ".join(str(r) for r in supported)
        raise InputError("unsupported_rate", f"sample rate {rate!r} is not supported ({allowed})")
    return rate


def validate_pcm16(data: bytes) -> bytes:
    """PCM16 has two bytes a sample: an odd length means a truncated or non-PCM payload."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError("invalid_audio", "audio must be bytes of PCM16 mono")
    if len(data) % 2:
        raise InputError("invalid_audio", "PCM16 audio must have an even number of bytes")
    return bytes(data)


def decode_audio_b64(text: str) -> bytes:
    """Decode an input_audio_buffer.append payload (base64 PCM16) or raise InputError."""
    if not isinstance(text, str):
        raise InputError("invalid_audio", "audio must be a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InputError("invalid_audio", "audio is not valid base64") from e
    return validate_pcm16(data)


def pcm16_to_float(data: bytes) -> np.ndarray:
    return np.frombuffer(validate_pcm16(data), dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    # Clip first: resampling can overshoot full scale slightly and int16 would wrap around.
    clipped = np.clip(np.asarray(samples, dtype=np.float32) * 32768.0, -32768.0, 32767.0)
    return np.round(clipped).astype("<i2").tobytes()


class Framer:
    """Cuts float32 chunks of any size into frames of exactly `frame_samples`.

    Holds less than one frame between calls, so memory stays bounded however audio arrives."""

    def __init__(self, frame_samples: int):
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self._rest = np.zeros(0, dtype=np.float32)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        buf = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32)])
        n = len(buf) // self.frame_samples
        cut = n * self.frame_samples
        self._rest = buf[cut:].copy()
        return [buf[i : i + self.frame_samples] for i in range(0, cut, self.frame_samples)]

    @property
    def pending(self) -> int:
        return len(self._rest)

    def reset(self) -> None:
        self._rest = np.zeros(0, dtype=np.float32)


class AudioRing:
    """The last `capacity` samples of a stream, addressed by absolute sample position.

    A session keeps its input here (at the VAD rate) and cuts each turn out of it, so a turn's
    pre-roll is already there and ten minutes of audio still cost only `capacity` floats."""

    def __init__(self, capacity: int):
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._buf = np.zeros(capacity, dtype=np.float32)
        self.end = 0  # absolute position after the newest sample

    @property
    def start(self) -> int:
        return max(0, self.end - self.capacity)

    def append(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float32)
        if len(x) >= self.capacity:
            self.end += len(x) - self.capacity
            x = x[-self.capacity :]
        i = self.end % self.capacity
        first = min(len(x), self.capacity - i)
        self._buf[i : i + first] = x[:first]
        self._buf[: len(x) - first] = x[first:]
        self.end += len(x)

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples in [start, end), clamped to what is still held."""
        start, end = max(start, self.start), min(end, self.end)
        if end <= start:
            return np.zeros(0, dtype=np.float32)
        idx = np.arange(start, end) % self.capacity
        return self._buf[idx].copy()
