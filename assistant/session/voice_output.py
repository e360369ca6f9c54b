"""The speaking side of a voice session: the ordered event queue the transport reads, the
reply being said (its sentences at output-audio offsets, its pacing), and the Speaker that
turns reply sentences into paced PCM16 chunks through a TTS thread per sentence.

Owned by VoiceSession (assistant.session.voice), which decides when a reply starts, pauses and
is cancelled; nothing here knows about turns."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol

from assistant.audio.pcm import float_to_pcm16, pcm16_to_float
from assistant.audio.resample import StreamResampler
from assistant.session.turns import Clock, Playout
from assistant.session.voice_events import AudioOut, AudioTranscriptDelta, VoiceEvent

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class TTSLike(Protocol):
    sample_rate: int

    def synthesize(self, text: str, lang: str) -> Iterator[bytes]: ...


class EventQueue:
    """Control events are never dropped; AudioOut waits for room and is dropped on cancel."""

    def __init__(self, max_audio: int, max_control: int):
        self._items: deque[VoiceEvent] = deque()
        self._audio = 0
        self._max_audio = max_audio
        self._max_control = max_control
        self._not_empty = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.closed = False

    def put(self, ev: VoiceEvent) -> None:
        if self.closed:
            return
        self._items.append(ev)
        self._not_empty.set()
        if len(self._items) - self._audio > self._max_control:
            log.warning("voice event queue overflow: the client stopped reading")
            self.close()

    async def put_audio(self, ev: AudioOut) -> None:
        while self._audio >= self._max_audio and not self.closed:
            self._room.clear()
            await self._room.wait()
        if self.closed:
            return
        self._items.append(ev)
        self._audio += 1
        self._not_empty.set()

    def drop_audio(self, response_id: str) -> int:
        """Remove queued audio of a response; returns how many bytes were dropped."""
        keep: deque[VoiceEvent] = deque()
        dropped = 0
        for ev in self._items:
            if isinstance(ev, AudioOut) and ev.response_id == response_id:
                dropped += len(ev.pcm)
                self._audio -= 1
            else:
                keep.append(ev)
        self._items = keep
        self._room.set()
        return dropped

    async def get(self) -> VoiceEvent | None:
        while not self._items:
            if self.closed:
                return None
            self._not_empty.clear()
            await self._not_empty.wait()
        ev = self._items.popleft()
        if isinstance(ev, AudioOut):
            self._audio -= 1
            self._room.set()
        return ev

    def close(self) -> None:
        self.closed = True
        self._not_empty.set()
        self._room.set()


_END = object()


class TTSStream:
    """Runs a blocking TTS generator in its own thread, handing chunks to the loop through a
    small queue (the thread blocks when the reply is far enough ahead) and stopping at the next
    chunk once `stop()` is called."""

    def __init__(self, tts: TTSLike, text: str, lang: str):
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize=4)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, args=(tts, text, lang),
                                       name="voice-tts", daemon=True)
        self.thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                fut = asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop)
            except RuntimeError:  # loop closed: nobody is listening any more
                return False
            try:
                fut.result(timeout=0.1)
                return True
            except concurrent.futures.TimeoutError:
                if not fut.cancel():
                    return True  # it completed just now
            except concurrent.futures.CancelledError:
                return False
        return False

    def _pump(self, tts: TTSLike, text: str, lang: str) -> None:
        gen = None
        try:
            gen = tts.synthesize(text, lang)
            for chunk in gen:
                if self._stop.is_set() or not self._put(chunk):
                    return
            self._put(_END)
        except Exception as e:  # reported to the reply, which reports an Error event
            self._put(e)
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    async def next(self) -> bytes | None:
        """The next PCM16 chunk, or None at the end; raises what the engine raised."""
        item = await self._queue.get()
        if item is _END:
            return None
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[return-value]

    def stop(self) -> None:
        self._stop.set()


class Reply:
    """One response: its ids, what it has said (sentences at output-audio offsets), pacing."""

    def __init__(self, response_id: str, item_id: str, user_item: str, playout: Playout):
        self.response_id = response_id
        self.item_id = item_id
        self.user_item = user_item
        self.playout = playout
        self.created = False  # ResponseCreated sent (after a non-empty transcript)
        self.lang = ""
        # (start_ms, end_ms, text) in output audio; end_ms None while the sentence plays
        self.sentences: list[tuple[float, float | None, str]] = []
        self.timings: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None
        self.carry: list[str] = []  # earlier user items whose pending reply a turn overrode
        self.may_send = asyncio.Event()
        self.may_send.set()

    def spoken_text(self, played_ms: float) -> str:
        parts: list[str] = []
        for start, end, text in self.sentences:
            if end is None:  # still being synthesized: guess its length from its text
                end = max(self.playout.sent_ms, start + 65.0 * len(text))
            if played_ms >= end:
                parts.append(text)
            elif played_ms > start:
                # Keep the words the listener heard, assuming an even speaking rate.
                words = text.split()
                n = int(len(words) * (played_ms - start) / max(end - start, 1.0))
                if n:
                    parts.append(" ".join(words[:n]))
        return " ".join(parts)


class Speaker:
    """Says replies: one per call of speak(), paced so that at most the reply's lead_ms is
    sent ahead of playback, waiting while the reply is paused (a possible barge-in)."""

    def __init__(self, tts: TTSLike | None, events: EventQueue, *, clock: Clock, sleep: Sleep,
                 out_chunk_ms: int, max_sentences: int | None):
        self._tts = tts
        self._events = events
        self._clock = clock
        self._sleep = sleep
        self._out_chunk_ms = out_chunk_ms
        self._max_sentences = max_sentences

    async def speak(self, reply: Reply, sentences: AsyncIterator[str | VoiceEvent], lang: str,
                    out_rate: int, committed_at: float | None, endpointing_ms: float) -> None:
        """Sentences (and events to emit in order with them) -> TTS -> output rate -> paced
        AudioOut chunks. Closes `sentences` however it ends, so the dialogue stops too."""
        t0 = self._clock()
        chunk_bytes = out_rate * self._out_chunk_ms // 1000 * 2
        limit = self._max_sentences
        resampler: StreamResampler | None = None
        n = 0

        async def send(pcm: bytes) -> None:
            await self._send(reply, pcm, out_rate, committed_at, endpointing_ms)

        async with closing(sentences):
            async for raw in sentences:
                if not isinstance(raw, str):
                    self._events.put(raw)  # a handoff or a refusal, in order
                    continue
                sentence = raw.strip()
                if not sentence:
                    continue
                if n == 0:
                    reply.timings["dialogue_first_sentence_ms"] = round(
                        (self._clock() - t0) * 1000, 1)
                n += 1
                if self._tts is None:
                    raise TTSFailure("no text-to-speech backend is configured")
                if resampler is None:
                    resampler = StreamResampler(self._tts.sample_rate, out_rate)
                start_ms = reply.playout.sent_ms
                reply.sentences.append((start_ms, None, sentence))
                self._events.put(AudioTranscriptDelta(reply.response_id, reply.item_id,
                                                sentence if n == 1 else " " + sentence))
                pending = b""
                t_tts = self._clock()
                stream = TTSStream(self._tts, sentence, lang)
                try:
                    while True:
                        try:
                            pcm = await stream.next()
                        except Exception as e:
                            raise TTSFailure(str(e)) from e
                        if pcm is None:
                            break
                        reply.timings.setdefault(
                            "tts_first_chunk_ms", round((self._clock() - t_tts) * 1000, 1))
                        pending += float_to_pcm16(resampler.process(pcm16_to_float(pcm)))
                        while len(pending) >= chunk_bytes:
                            await send(pending[:chunk_bytes])
                            pending = pending[chunk_bytes:]
                finally:
                    stream.stop()
                if pending:
                    await send(pending)
                reply.sentences[-1] = (start_ms, reply.playout.sent_ms, sentence)
                if limit is not None and n >= limit:
                    break
        if resampler is not None:
            tail = float_to_pcm16(resampler.flush())
            if tail:
                await send(tail)
                s, _, t = reply.sentences[-1]
                reply.sentences[-1] = (s, reply.playout.sent_ms, t)

    async def _send(self, reply: Reply, pcm: bytes, rate: int, committed_at: float | None,
                    endpointing_ms: float) -> None:
        while True:
            await reply.may_send.wait()  # paused by a possible barge-in
            wait = reply.playout.wait_s()
            if wait <= 0:
                if reply.may_send.is_set():
                    break
                continue
            await self._sleep(wait)
        if "voice_to_voice_ms" not in reply.timings:
            now = self._clock()
            reply.timings["first_audio_ms"] = round((now - (committed_at or now)) * 1000, 1)
            if committed_at is not None:
                # Speech ended endpointing_ms of (real-time) input audio before the commit.
                reply.timings["voice_to_voice_ms"] = round(
                    (now - committed_at) * 1000 + endpointing_ms, 1)
        await self._events.put_audio(AudioOut(reply.response_id, reply.item_id, pcm))
        reply.playout.on_sent(len(pcm) / 2 / rate * 1000)


class TTSFailure(Exception):
    """The engine failed; the reply reports tts_failed."""


@contextlib.asynccontextmanager
async def closing(it: AsyncIterator[Any]) -> AsyncIterator[AsyncIterator[Any]]:
    """Close the reply's sentence stream even when the reply is cancelled mid-way, so the
    dialogue backend stops generating (async generators have aclose; plain iterators not)."""
    try:
        yield it
    finally:
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            await aclose()
