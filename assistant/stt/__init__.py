"""Speech-to-text: the backend contract (base.py), the Whisper backend (whisper.py) and where
its weights come from (model.py). Backends are picked by name from `BACKENDS`."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from assistant.errors import ConfigError
from assistant.stt.base import AudioInputError, STTBackend, Transcript

BACKENDS = {"whisper": "assistant.stt.whisper:WhisperSTT"}


def create_stt(name: str = "whisper", **options: Any) -> STTBackend:
    """Build the backend registered under `name` with its keyword options (e.g. model="base",
    fast_path=True). Loads the model: do it once at start-up, not per session."""
    try:
        module, attr = BACKENDS[name].split(":")
    except KeyError:
        raise ConfigError(
            f"unknown STT backend {name!r}; known: {', '.join(sorted(BACKENDS))}"
        ) from None
    return getattr(import_module(module), attr)(**options)


__all__ = ["BACKENDS", "AudioInputError", "STTBackend", "Transcript", "create_stt"]
