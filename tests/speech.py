"""Spoken shopping questions for the voice tests, said by Piper's neural English voice (a real
TTS component): Whisper base transcribes it reliably, unlike eSpeak (../shared/models.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import soxr

VOICES = Path(__file__).resolve().parent.parent / "voices"


@cache
def _piper():
    from assistant.tts import make_tts

    return make_tts("piper", voices_dir=VOICES)


def piper_speech(text: str, rate: int) -> np.ndarray:
    """`text` spoken in English, float32 mono at `rate`."""
    piper = _piper()
    pcm = b"".join(piper.synthesize(text, "en"))
    audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    return soxr.resample(audio, piper.sample_rate, rate)
