"""The speech-to-text contract: what a transcription returns (Transcript), what a backend
implements (one hook, `STTBackend._transcribe`), and what the base class does for every
backend: input validation, timing, metrics, and translation of third-party failures into
BackendError.

Input is one utterance as float32 mono PCM at 16 kHz in [-1, 1] (what the audio stage hands over
after resampling and VAD endpointing). Bad input raises `AudioInputError`, which is both an
`InputError` (so the API maps it to a client error) and a `ValueError` (so plain callers can
catch what they would expect from a numeric library).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from prometheus_client import Counter, Histogram

from assistant.errors import AssistantError, BackendError, InputError
from assistant.metrics import metric


@dataclass(frozen=True)
class Transcript:
    """One transcribed utterance.

    `lang` is the language the text was decoded in (ISO 639-1, e.g. "es"); `lang_probability`
    is the model's own probability for it over all languages it knows, so a low value means
    "probably none of the candidates" even when `lang` was picked from a market's list.
    `text` is "" when the audio held no speech (or only what looked like a hallucination).
    `timings_ms` always has "total"; backends add their stages (e.g. "encode", "decode").
    """

    text: str
    lang: str
    lang_probability: float
    audio_s: float
    timings_ms: dict[str, float] = field(default_factory=dict)


class AudioInputError(InputError, ValueError):
    """The audio handed to `transcribe` is unusable (wrong dtype or shape, empty, not finite,
    too long)."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message, status=400)



STT_DURATION = metric(
    Histogram, "assistant_stt_seconds", "Time to transcribe one utterance.",
    ("backend", "kind"), buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
)
STT_ERRORS = metric(Counter, "assistant_stt_errors_total", "STT backend failures.", ("backend",))


class STTBackend(ABC):
    """Base of every speech-to-text backend. Subclasses set `name` and implement
    `_transcribe`; callers use `transcribe`.

    `transcribe` is blocking (model inference): call it off the event loop, e.g.
    `await asyncio.to_thread(stt.transcribe, audio, languages=market.languages)`.
    Backends must be safe to call from several threads at once; one instance is shared by all
    sessions of a process.
    """

    name: str = "stt"
    sample_rate: int = 16_000
    max_audio_s: float = 120.0  # one utterance; VAD endpointing cuts far earlier than this
    languages: frozenset[str] = frozenset()  # what the backend can recognize; empty = anything

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        languages: Sequence[str] | None = None,
        interim: bool = False,
    ) -> Transcript:
        """Transcribe one utterance (float32 mono, 16 kHz, values in [-1, 1]).

        `languages`: the candidates (a market's languages), best first; the detected language
        is the most probable among them. None or empty = any language the model knows.
        `interim`: a cheaper, possibly less accurate pass for a transcript of speech still in
        progress. Raises AudioInputError / InputError for bad input, BackendError when the
        model fails.
        """
        audio = self._check_audio(audio)
        langs = self._check_languages(languages)
        kind = "interim" if interim else "final"
        timings: dict[str, float] = {}
        start = time.perf_counter()
        try:
            text, lang, prob = self._transcribe(audio, langs, interim=interim, timings=timings)
        except AssistantError:
            STT_ERRORS.labels(self.name).inc()
            raise
        except Exception as e:  # the boundary: no SDK exception goes past this point
            STT_ERRORS.labels(self.name).inc()
            raise BackendError(f"{self.name} speech-to-text failed: {type(e).__name__}: {e}") from e
        elapsed = time.perf_counter() - start
        STT_DURATION.labels(self.name, kind).observe(elapsed)
        timings["total"] = elapsed * 1000.0
        return Transcript(
            text=text,
            lang=lang,
            lang_probability=float(prob),
            audio_s=audio.shape[0] / self.sample_rate,
            timings_ms=timings,
        )

    @abstractmethod
    def _transcribe(
        self,
        audio: np.ndarray,
        languages: tuple[str, ...] | None,
        *,
        interim: bool,
        timings: dict[str, float],
    ) -> tuple[str, str, float]:
        """Return (text, language, language probability) for validated audio. Add stage timings
        in milliseconds to `timings`. May raise anything: the base class translates it."""

    def _check_audio(self, audio: object) -> np.ndarray:
        if not isinstance(audio, np.ndarray):
            raise AudioInputError(
                "audio_type", f"audio must be a numpy array, not {type(audio).__name__}"
            )
        if audio.dtype != np.float32:
            hint = " (divide int16 PCM by 32768)" if audio.dtype == np.int16 else ""
            raise AudioInputError(
                "audio_dtype", f"audio must be float32 samples in [-1, 1], not {audio.dtype}{hint}"
            )
        if audio.ndim != 1:
            raise AudioInputError(
                "audio_shape",
                f"audio must be mono: a 1-D array of samples, not shape {audio.shape}",
            )
        if audio.size == 0:
            raise AudioInputError("audio_empty", "audio is empty")
        if not np.isfinite(audio).all():
            raise AudioInputError("audio_not_finite", "audio contains NaN or infinite samples")
        seconds = audio.size / self.sample_rate
        if seconds > self.max_audio_s:
            raise AudioInputError(
                "audio_too_long",
                f"audio is {seconds:.1f} s; one utterance may be at most {self.max_audio_s:g} s",
            )
        return audio

    def _check_languages(self, languages: Sequence[str] | None) -> tuple[str, ...] | None:
        if not languages:
            return None
        if isinstance(languages, str):  # "en" would otherwise read as ("e", "n")
            languages = (languages,)
        langs = tuple(dict.fromkeys(lang.lower() for lang in languages))
        if self.languages:
            unknown = [lang for lang in langs if lang not in self.languages]
            if unknown:
                raise InputError(
                    "stt_language",
                    f"{self.name} cannot recognize language(s) {', '.join(unknown)}",
                )
        return langs
