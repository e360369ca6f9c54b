"""Coqui TTS (the maintained `coqui-tts` fork, imported as `TTS`), optional: install with
pip install 'live-cohost-assistant[coqui]'. Models are loaded only from local files named in
voices/voices.yaml (`coqui: {voice, model_path, config_path, speaker}`), never from a hub.

Coqui returns a whole utterance per call, so text is split with Coqui's own sentence splitter
and each sentence is streamed when done; output is resampled (soxr) to `sample_rate`.
Only the error paths (missing package, missing files) are tested here: no model is available
offline."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError
from assistant.tts.base import Emit, TTSBackend, VoiceChoice, stream_from_thread
from assistant.tts.voices import VoiceTable

EXTRA_HINT = "pip install 'live-cohost-assistant[coqui]'"

_LOCK = threading.Lock()  # one model run at a time: PyTorch already uses every core


class CoquiTTS(TTSBackend):
    """Coqui models named in voices/voices.yaml (`coqui:` entries)."""

    name = "coqui"
    sample_rate = 22050

    def __init__(self, voices: VoiceTable):
        super().__init__(voices)
        if importlib.util.find_spec("TTS") is None:
            raise ConfigError(f"the coqui TTS backend needs the package coqui-tts: {EXTRA_HINT}")
        self._loaded: dict[tuple[Path, Path | None], Any] = {}
        self._load_lock = threading.Lock()

    def _load(self, choice: VoiceChoice) -> Any:
        if choice.model_path is None:
            raise ConfigError(
                f"Coqui voice {choice.voice!r} needs model_path (and config_path) in "
                f"{self.voices.path}"
            )
        for path in (choice.model_path, choice.config_path):
            if path is not None and not path.exists():
                raise ConfigError(
                    f"Coqui model file not found: {path} (named in {self.voices.path})"
                )
        key = (choice.model_path, choice.config_path)
        with self._load_lock:
            model = self._loaded.get(key)
            if model is None:
                from TTS.api import TTS

                model = TTS(
                    model_path=str(choice.model_path),
                    config_path=str(choice.config_path) if choice.config_path else None,
                    progress_bar=False,
                ).to("cpu")
                self._loaded[key] = model
            return model

    def _warm_up(self, choice: VoiceChoice) -> None:
        self._load(choice)

    def close(self) -> None:
        with self._load_lock:
            self._loaded.clear()

    def _synthesize(self, text: str, lang: str, choice: VoiceChoice) -> Iterator[bytes]:
        model = self._load(choice)
        kwargs: dict[str, Any] = {}
        if choice.speaker:
            kwargs["speaker"] = choice.speaker
        if getattr(model, "is_multi_lingual", False):
            kwargs["language"] = lang

        def produce(emit: Emit) -> None:
            import soxr

            with _LOCK:
                source_rate = model.synthesizer.output_sample_rate
                for sentence in model.synthesizer.split_into_sentences(text):
                    wav = model.tts(sentence, split_sentences=False, **kwargs)
                    wav = np.asarray(wav, dtype=np.float32)
                    if source_rate != self.sample_rate:
                        wav = soxr.resample(wav, source_rate, self.sample_rate)
                    pcm = (np.clip(wav, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
                    if not emit(pcm):
                        return

        return stream_from_thread(produce, name="tts-coqui")
