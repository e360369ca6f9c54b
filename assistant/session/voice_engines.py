"""The speech engines one service shares across its voice sessions, and the cap on concurrent
sessions. Engines load once, off the event loop: at start-up in the background by default
(ASSISTANT_VOICE_PRELOAD; off, chat-only deployments never pay for them), else on the first
voice session; every session waits on that one load, never on a load of its own."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from assistant.audio.turn_model import SmartTurn
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.knowledge.market import Market
from assistant.session.turns import TurnSettings
from assistant.session.voice_options import VoiceOptions
from assistant.stt.base import STTBackend
from assistant.tts.base import TTSBackend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engines:
    stt: STTBackend
    tts: TTSBackend
    turn_model: SmartTurn | None = None  # semantic_vad's end-of-turn model, when assembled

    def session_options(self, market: Market, *, captions: bool = False,
                        turn_type: str = "server_vad") -> VoiceOptions:
        """The options of one voice session on `market`, the same for the Realtime endpoint
        and the CLI (VoiceSession refuses semantic_vad without the model, naming its install)."""
        return VoiceOptions(languages=tuple(market.languages),
                            default_lang=market.default_language,
                            turn_model=self.turn_model,
                            turn_detection=TurnSettings(type=turn_type),
                            interim_interval_s=1.0 if captions else 0.0)


class VoiceEngines:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._engines: Engines | None = None
        self._lock = asyncio.Lock()
        self._preloading = False

    def _load(self) -> Engines:
        from assistant.stt import create_stt
        from assistant.tts import make_tts

        s = self.settings
        stt = create_stt("whisper", model=s.stt_model, model_dir=s.stt_model_dir)
        tts = make_tts(s.tts_backend, voices_dir=s.voices_dir)
        try:
            turn_model: SmartTurn | None = SmartTurn()
        except ConfigError as e:  # server_vad still works; semantic_vad is refused, naming it
            log.warning("end-of-turn model unavailable", extra={"error": str(e)})
            turn_model = None
        return Engines(stt=stt, tts=tts, turn_model=turn_model)

    async def get(self) -> Engines:
        if self._engines is None:
            async with self._lock:
                if self._engines is None:
                    self._engines = await asyncio.to_thread(self._load)
        return self._engines

    @property
    def state(self) -> str:
        """not_loaded | loading | ready (for /healthz)."""
        if self._engines is not None:
            return "ready"
        return "loading" if self._lock.locked() or self._preloading else "not_loaded"

    def start_preload(self) -> asyncio.Task[None]:
        """The start-up load as a task for the app's lifespan to own; /healthz says `loading`
        from this moment, not only once the task has run."""
        self._preloading = True
        return asyncio.create_task(self.preload(), name="voice-preload")

    async def preload(self) -> None:
        """Load at start-up; a failure is logged here and reported again to each session."""
        try:
            await self.get()
            log.info("voice engines loaded", extra={"stt": self.settings.stt_model,
                                                    "tts": self.settings.tts_backend})
        except Exception as e:  # the chat side keeps serving; voice sessions get the error
            log.error("voice engines unavailable", extra={"error": str(e)})
        finally:
            self._preloading = False

    def close(self) -> None:
        if self._engines is not None:
            self._engines.tts.close()


class SessionSlots:
    """A cap on concurrent voice sessions that never queues: a connection over the cap is
    refused at once (a waiting one would hold a socket open with no event for as long as the
    sessions ahead of it last)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def try_acquire(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def release(self) -> None:
        self.used = max(0, self.used - 1)
