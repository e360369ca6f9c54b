"""The text-to-speech contract: what a voice is (VoiceChoice), what a backend must implement
(one hook, `TTSBackend._synthesize`), and what the base class does for every backend: input
checks, voice lookup in voices/voices.yaml, re-chunking to at most 100 ms, and translation of
engine failures into BackendError.

Threading: `synthesize` is a *blocking* generator. The voice pipeline runs it off the event loop
(a dedicated thread, or `asyncio.to_thread(next, it, None)` per chunk) and may consume chunks from
any one thread at a time. Backends whose engine keeps global state (eSpeak NG, Piper's
phonemizer) serialize engine calls with a module lock held by a producer thread, never by the
consumer, so a slow or abandoned consumer can't block other sessions. Closing the generator early
(barge-in) tells the producer to stop at its next chunk.
"""

from __future__ import annotations

import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from assistant.errors import AssistantError, BackendError

if TYPE_CHECKING:
    from assistant.tts.voices import VoiceTable

MAX_CHUNK_S = 0.1  # the pipeline's unit of cancellation: barge-in drops at most this much audio
DEFAULT_RATE_WPM = 175  # eSpeak NG's default speaking rate; Piper maps `rate` relative to it


@dataclass(frozen=True)
class VoiceChoice:
    """One backend's voice for one language, as configured in voices/voices.yaml."""

    backend: str
    voice: str  # eSpeak voice name, Piper voice file stem, or a label for a Coqui model
    rate: int | None = None  # words per minute; None = the engine's default
    speaker: str | None = None  # multi-speaker models (Piper, Coqui)
    model_path: Path | None = None  # Coqui: model checkpoint (absolute, resolved by voices.py)
    config_path: Path | None = None  # Coqui: the model's config.json


Emit = Callable[[bytes], bool]  # hands a PCM chunk to the consumer; False = consumer is gone


class TTSBackend(ABC):
    """A speech synthesizer. Subclasses set `name` and `sample_rate` and implement `_synthesize`."""

    name: ClassVar[str]
    sample_rate: int

    def __init__(self, voices: VoiceTable):
        self.voices = voices

    def synthesize(self, text: str, lang: str, *, voice: str | None = None) -> Iterator[bytes]:
        """Speak `text` in `lang`: PCM16 mono chunks at `self.sample_rate`, each <= 100 ms,
        as soon as the engine makes them. Empty or blank text yields nothing. An unsupported
        language or a failing engine raises BackendError (ConfigError for a missing voice file)
        when the generator is first advanced. `voice` overrides the configured voice name."""
        if not text.strip():
            return
        choice = self.voice_for(lang)
        if voice:
            choice = replace(choice, voice=voice)
        max_bytes = max(2, int(self.sample_rate * MAX_CHUNK_S) * 2)
        try:
            for pcm in self._synthesize(text, lang, choice):
                for start in range(0, len(pcm), max_bytes):
                    yield pcm[start:start + max_bytes]
        except AssistantError:
            raise
        except Exception as e:  # any engine failure, whatever the library raises
            raise BackendError(
                f"{self.name} TTS failed for language {lang!r} with voice {choice.voice!r}: {e}"
            ) from e

    def voice_for(self, lang: str) -> VoiceChoice:
        """The configured voice for `lang` (BackendError if voices.yaml has none)."""
        return self.voices.choice(self.name, lang)

    def warm_up(self, lang: str) -> None:
        """Load whatever `lang` needs (e.g. a Piper model) now rather than on the first reply."""
        try:
            self._warm_up(self.voice_for(lang))
        except AssistantError:
            raise
        except Exception as e:
            raise BackendError(f"{self.name} TTS could not load the voice for {lang!r}: {e}") from e

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release loaded models. The backend may be used again afterwards (it reloads)."""

    @abstractmethod
    def _synthesize(self, text: str, lang: str, choice: VoiceChoice) -> Iterator[bytes]:
        """Yield PCM16 mono bytes at `self.sample_rate`, any chunk size, as soon as made."""

    def _warm_up(self, choice: VoiceChoice) -> None:  # noqa: B027 - optional hook
        pass


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


def stream_from_thread(produce: Callable[[Emit], None], *, name: str) -> Iterator[bytes]:
    """Run a blocking, callback-style engine call (`produce(emit)`) in its own thread and yield
    what it emits as it comes. The consumer never holds the engine's lock; when the consumer
    closes the generator, `emit` starts returning False so the engine can abort."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    stopped = threading.Event()

    def emit(pcm: bytes) -> bool:
        if stopped.is_set():
            return False
        items.put(pcm)
        return True

    def run() -> None:
        try:
            produce(emit)
        except BaseException as e:  # handed to the consumer and re-raised there
            items.put(_Failed(e))
        else:
            items.put(_DONE)

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            assert isinstance(item, bytes)
            yield item
    finally:
        stopped.set()
