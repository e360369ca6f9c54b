"""The speech engines one service shares across its voice sessions: loaded once, on the first
voice session (chat-only deployments never pay for them), off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from assistant.config import Settings
from assistant.stt.base import STTBackend
from assistant.tts.base import TTSBackend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engines:
    stt: STTBackend
    tts: TTSBackend


class VoiceEngines:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._engines: Engines | None = None
        self._lock = asyncio.Lock()

    def _load(self) -> Engines:
        from assistant.stt import create_stt
        from assistant.tts import make_tts

        s = self.settings
        stt = create_stt("whisper", model=s.stt_model, model_dir=s.stt_model_dir)
        tts = make_tts(s.tts_backend, voices_dir=s.voices_dir)
        return Engines(stt=stt, tts=tts)

    async def get(self) -> Engines:
        if self._engines is None:
            async with self._lock:
                if self._engines is None:
                    self._engines = await asyncio.to_thread(self._load)
        return self._engines

    def close(self) -> None:
        if self._engines is not None:
            self._engines.tts.close()
