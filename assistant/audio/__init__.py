"""Audio plumbing for the voice co-host: PCM16 validation and framing (pcm), streaming
resampling between the wire rate and each engine's rate (resample), and per-frame voice
activity scoring with webrtcvad plus an optional Silero second opinion (vad)."""

from assistant.audio.pcm import (
    SUPPORTED_RATES,
    AudioRing,
    Framer,
    check_rate,
    decode_audio_b64,
    float_to_pcm16,
    pcm16_to_float,
    validate_pcm16,
)
from assistant.audio.resample import StreamResampler
from assistant.audio.vad import FrameClassifier, FrameScore, SileroVAD, threshold_to_aggressiveness

__all__ = [
    "AudioRing",
    "SUPPORTED_RATES",
    "FrameClassifier",
    "FrameScore",
    "Framer",
    "SileroVAD",
    "StreamResampler",
    "check_rate",
    "decode_audio_b64",
    "float_to_pcm16",
    "pcm16_to_float",
    "threshold_to_aggressiveness",
    "validate_pcm16",
]
