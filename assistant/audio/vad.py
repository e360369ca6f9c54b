"""Per-frame voice activity scoring at 16 kHz: webrtcvad (microseconds a frame, but it calls
music and crowd noise "voiced") and, optionally, Silero VAD as a noise-robust second opinion.

Silero runs from the ONNX file faster-whisper ships (faster_whisper/assets), through
onnxruntime, with its recurrent state carried from window to window so it streams. Nothing
here decides turns: assistant.session.turns reads the scores."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
import webrtcvad

from assistant.audio.pcm import float_to_pcm16
from assistant.errors import ConfigError

VAD_RATE = 16000
FRAME_MS_CHOICES = (10, 20, 30)  # what webrtcvad accepts


def threshold_to_aggressiveness(threshold: float) -> int:
    """Map the Realtime protocol's turn_detection.threshold (0..1, higher = needs louder,
    clearer speech) onto webrtcvad's aggressiveness 0..3; 0.5 (the protocol default) -> 2."""
    t = min(max(float(threshold), 0.0), 1.0)
    return min(3, int(t * 4))


@dataclass(frozen=True, slots=True)
class FrameScore:
    """One frame's verdict: webrtcvad's, and Silero's latest speech probability (None when
    Silero is off)."""

    voiced: bool
    speech_prob: float | None = None


@functools.lru_cache(maxsize=1)
def _silero_session():
    try:
        import onnxruntime
        from faster_whisper.utils import get_assets_path
    except ImportError as e:  # pragma: no cover - both come with faster-whisper
        raise ConfigError("Silero VAD needs faster-whisper and onnxruntime installed") from e
    path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    if not os.path.exists(path):
        raise ConfigError(f"Silero VAD model not found at {path}; reinstall faster-whisper")
    opts = onnxruntime.SessionOptions()
    # One thread: a session scores 31 windows a second; threads would only add contention.
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"],
                                        sess_options=opts)


class SileroVAD:
    """Streaming Silero VAD v6 at 16 kHz: 512-sample windows with 64 samples of context.

    The ONNX session is shared by the process (onnxruntime sessions are safe to run from
    several callers); the recurrent state and context are per instance (per session)."""

    WINDOW = 512
    CONTEXT = 64

    def __init__(self) -> None:
        self._session = _silero_session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.prob = 0.0

    def push(self, samples: np.ndarray) -> float:
        """Feed 16 kHz float32 samples; return the probability of the latest full window."""
        buf = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        n = len(buf) // self.WINDOW
        for i in range(n):
            window = buf[i * self.WINDOW : (i + 1) * self.WINDOW]
            x = np.concatenate([self._context, window])[None, :]
            out, self._h, self._c = self._session.run(
                None, {"input": x, "h": self._h, "c": self._c}
            )
            self._context = window[-self.CONTEXT :].copy()
            self.prob = float(out[0])
        self._pending = buf[n * self.WINDOW :].copy()
        return self.prob


class FrameClassifier:
    """Scores 16 kHz float32 frames of `frame_ms` with webrtcvad (+ Silero if `silero`)."""

    def __init__(self, *, frame_ms: int = 30, aggressiveness: int = 2, silero: bool = True):
        if frame_ms not in FRAME_MS_CHOICES:
            raise ValueError(f"frame_ms must be one of {FRAME_MS_CHOICES}")
        self.frame_ms = frame_ms
        self.frame_samples = VAD_RATE * frame_ms // 1000
        self._vad = webrtcvad.Vad(aggressiveness)
        self.silero = SileroVAD() if silero else None

    def set_aggressiveness(self, aggressiveness: int) -> None:
        self._vad.set_mode(int(aggressiveness))

    def classify(self, frame: np.ndarray) -> FrameScore:
        if len(frame) != self.frame_samples:
            raise ValueError(f"expected {self.frame_samples} samples, got {len(frame)}")
        voiced = self._vad.is_speech(float_to_pcm16(frame), VAD_RATE)
        prob = self.silero.push(frame) if self.silero is not None else None
        return FrameScore(voiced=voiced, speech_prob=prob)

    def reset(self) -> None:
        if self.silero is not None:
            self.silero.reset()
