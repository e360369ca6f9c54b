"""eSpeak NG, in process, through ctypes on the libespeak-ng.so (1.52) and espeak-ng-data that
the `espeakng-loader` wheel ships: no system package needed. The default TTS backend.

The library keeps global state (one voice, one rate, one callback), so one engine per process,
driven under `_LOCK` by a producer thread; the synth callback streams each buffer (~60 ms of
audio) to the consumer as it is made, and aborts synthesis when the consumer has gone."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator

from assistant.errors import BackendError, ConfigError
from assistant.tts.base import (
    DEFAULT_RATE_WPM,
    Emit,
    TTSBackend,
    VoiceChoice,
    stream_from_thread,
)
from assistant.tts.voices import VoiceTable

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a data error calls exit() in the library
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EE_NOT_FOUND = 2
_BUFFER_MS = 60  # callback granularity: how soon the first audio is handed over

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_LOCK = threading.Lock()
_engine: _Engine | None = None


class _Engine:
    """The process's one eSpeak NG instance. Every method is called with `_LOCK` held."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:
            raise ConfigError(
                "the espeak TTS backend needs the package espeakng-loader: "
                "pip install espeakng-loader"
            ) from e
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        data = espeakng_loader.get_data_path()
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise BackendError(f"eSpeak NG failed to initialize with data {data} (code {rate})")
        self.lib = lib
        self.sample_rate = rate
        self._emit: Emit | None = None
        self._error: BaseException | None = None
        # Kept on self: ctypes must not free the trampoline while the library holds it.
        self._callback = _SYNTH_CALLBACK(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, n_samples: int, _events) -> int:
        # Runs inside espeak_Synth. Exceptions can't cross the C boundary: keep, then abort.
        if not wav or n_samples <= 0 or self._emit is None:
            return 0
        try:
            return 0 if self._emit(ctypes.string_at(wav, n_samples * 2)) else 1
        except BaseException as e:
            self._error = e
            return 1

    def speak(self, text: str, choice: VoiceChoice, emit: Emit) -> None:
        status = self.lib.espeak_SetVoiceByName(choice.voice.encode())
        if status == _EE_NOT_FOUND:
            raise BackendError(
                f"eSpeak NG has no voice {choice.voice!r} (see espeak-ng-data/lang in the "
                "espeakng-loader package, or voices/voices.yaml)"
            )
        if status != 0:
            raise BackendError(f"eSpeak NG could not select voice {choice.voice!r} ({status})")
        # Rate is global: set it on every call so one language's rate doesn't leak into another.
        self.lib.espeak_SetParameter(_PARAM_RATE, choice.rate or DEFAULT_RATE_WPM, 0)
        data = text.encode("utf-8")
        self._emit, self._error = emit, None
        try:
            status = self.lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
        finally:
            self._emit = None
        if self._error is not None:
            raise self._error
        if status != 0:
            raise BackendError(f"eSpeak NG synthesis failed (code {status})", retryable=True)


def _get_engine() -> _Engine:
    global _engine
    with _LOCK:
        if _engine is None:
            _engine = _Engine()
        return _engine


class EspeakTTS(TTSBackend):
    """eSpeak NG voices named in voices/voices.yaml (`espeak:` entries)."""

    name = "espeak"

    def __init__(self, voices: VoiceTable):
        super().__init__(voices)
        self._engine = _get_engine()
        self.sample_rate = self._engine.sample_rate

    def _synthesize(self, text: str, lang: str, choice: VoiceChoice) -> Iterator[bytes]:
        def produce(emit: Emit) -> None:
            with _LOCK:
                self._engine.speak(text, choice, emit)

        return stream_from_thread(produce, name="tts-espeak")
