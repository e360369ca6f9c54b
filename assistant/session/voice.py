"""One voice conversation: PCM16 in, VAD turns, STT, the reply's sentences, TTS, PCM16 out,
with barge-in. Owns every task and thread of the conversation and the order of events it
emits (assistant.session.voice_events); the Realtime adapter only translates both ways. The
input side (audio, turns, transcripts) is session/listening.py; what speech over a reply
means is session/barge_in.py; speaking a reply is session/voice_output.py.

    session = VoiceSession(VoiceOptions(), stt=stt, tts=tts, respond=respond)
    async with session:                      # starts run(); aclose() on exit
        await session.push_audio(pcm16)      # input_audio_buffer.append
        async for ev in session.events(): ...

Client mistakes (odd-length audio, bad settings, nothing to commit, no active response) raise
InputError from the method called; backend failures become Error events and the session goes
on. Blocking engines never run on the event loop: STT in asyncio.to_thread, TTS in one thread
per reply that feeds a small asyncio queue and stops when the reply is cancelled."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from assistant.audio.pcm import check_rate
from assistant.audio.turn_model import ASSEMBLE_COMMAND as TURN_MODEL_COMMAND
from assistant.errors import AssistantError, InputError
from assistant.session.barge_in import judge_barge_in, judge_short_speech
from assistant.session.endpointing import is_backchannel
from assistant.session.listening import Hearing, Listener, new_id
from assistant.session.turns import Clock, Playout, TurnTaker
from assistant.session.voice_events import (
    Error,
    ItemTruncated,
    ResponseCreated,
    ResponseDone,
    VoiceEvent,
)
from assistant.session.voice_options import (
    UPDATABLE,
    ConversationItem,
    Heard,
    Respond,
    STTLike,
    VoiceOptions,
    check_setting,
)
from assistant.session.voice_output import EventQueue, Reply, Sleep, Speaker, TTSFailure, TTSLike

__all__ = ["ConversationItem", "VoiceOptions", "VoiceSession"]

log = logging.getLogger(__name__)

# Words over a reply that has played less than this are the rest of the question it answers.
_CONTINUATION_MS = 1500
# Speech over the reply at least this long, dismissed as no barge-in, is transcribed before the
# reply resumes: a stop command ends it. Shorter is a click or a breath.
_JUDGED_MS = 120


class VoiceSession:
    """The orchestrator. Client events map one to one onto methods:

    input_audio_buffer.append -> push_audio(pcm16)   .commit -> commit()   .clear -> clear()
    response.create -> create_response()   response.cancel -> cancel_response()
    session.update -> update(**turn_detection, input_rate=, output_rate=)
    conversation.item.truncate -> truncate(item_id, audio_end_ms)

    and everything the server says comes out of events(). `respond(text, lang)` is an async
    iterator of reply sentences and events (the dialogue: session/spoken.py); `stt`/`tts` are
    blocking backends."""

    def __init__(
        self,
        options: VoiceOptions | None = None,
        *,
        stt: STTLike | None,
        tts: TTSLike | None,
        respond: Respond,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        self.options = opts = options or VoiceOptions()
        check_rate(opts.input_rate)
        check_rate(opts.output_rate)
        if opts.turn_detection is not None:
            self._require_turn_model(opts.turn_detection.type)
        self._respond = respond
        self._clock = clock
        self._sleep = sleep
        self._events = EventQueue(opts.max_queued_audio, opts.max_queued_events)
        self._speaker = Speaker(tts, self._events, clock=clock, sleep=sleep,
                                out_chunk_ms=opts.out_chunk_ms,
                                max_sentences=opts.max_spoken_sentences)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.output_rate = opts.output_rate
        self.hearing = Hearing(stt, opts)
        self.listener = Listener(opts, hearing=self.hearing, hooks=self, emit=self._emit,
                                 spawn=self._spawn, clock=clock,
                                 prefetch=getattr(respond, "prefetch", None))
        self._pause_onset_ms = 0  # where the speech that paused the reply began
        self._pauses_seen = 0
        self._reply: Reply | None = None
        self._carry: list[str] = []  # unanswered turns the next reply answers too
        self._spoken: OrderedDict[str, Reply] = OrderedDict()  # for conversation.item.truncate
        self.conversation: deque[ConversationItem] = deque(maxlen=50)
        self._listening: set[str] = set()  # user turns over the reply taken for listening
        self.stats = {"pauses": 0, "resumes": 0, "barge_ins": 0, "backchannels": 0,
                      "pause_latency_ms": []}

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> VoiceSession:
        self._spawn(self.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def run(self) -> None:
        """Housekeeping until closed: the wall-clock side of turn-taking (a paused reply
        resumes when input audio stops arriving)."""
        while not self._closed:
            self.listener.tick()
            await self._sleep(0.05)

    async def aclose(self) -> None:
        """Cancel every task of the session (STT waits, the reply, TTS threads) and end
        events(). Safe to call more than once, e.g. when the client disconnects mid-reply."""
        if self._closed:
            return
        self._closed = True
        if self._reply is not None:
            self._stop_reply(self._reply)
            self._reply = None
        me = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._events.close()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def vad_enabled(self) -> bool:
        """Server turn detection on (server_vad) or off (the client commits turns)."""
        return self.listener.vad_on

    @property
    def turns(self) -> TurnTaker:
        return self.listener.turns

    @property
    def input_rate(self) -> int:
        return self.listener.input_rate

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(t for t in self._tasks if not t.done())

    async def events(self) -> AsyncIterator[VoiceEvent]:
        while True:
            ev = await self._events.get()
            if ev is None:
                return
            yield ev

    def _emit(self, ev: VoiceEvent) -> None:
        self._events.put(ev)

    # ---------------------------------------------------------------- client events

    async def push_audio(self, pcm16: bytes) -> None:
        """input_audio_buffer.append: PCM16 mono at input_rate, any length."""
        if not self._closed:
            self.listener.push(pcm16)

    async def commit(self) -> None:
        """input_audio_buffer.commit: close the user turn now."""
        self.listener.commit()

    async def clear(self) -> None:
        """input_audio_buffer.clear: forget uncommitted audio and any speech in progress."""
        self.listener.clear()

    async def cancel_response(self) -> None:
        """response.cancel: stop the active reply at once."""
        if self._reply is None:
            raise InputError("response_cancel_not_active", "there is no active response")
        self._cancel_reply("client_cancelled")

    async def create_response(self) -> None:
        """response.create: answer the last committed user turn."""
        if self._reply is not None:
            raise InputError("conversation_already_has_active_response",
                             "a response is already in progress")
        if self.listener.last_committed is None:
            raise InputError("no_user_turn", "nothing has been said yet to respond to")
        self._start_reply(self.listener.last_committed)

    def update(self, **settings: Any) -> None:
        """session.update: turn_detection fields (type, threshold, prefix_padding_ms,
        silence_duration_ms, create_response, interrupt_response, and TurnSettings' other
        fields) and the wire rates (input_rate, output_rate). Raises InputError."""
        changes: dict[str, Any] = {}
        for key, value in settings.items():
            if key == "type":
                if value in (None, "none"):
                    self.listener.set_detection(False)
                elif value in ("server_vad", "semantic_vad"):
                    self._require_turn_model(value)
                    self.listener.set_detection(True)
                    changes["type"] = value
                else:
                    raise InputError("invalid_value", f"turn_detection type {value!r} is not "
                                     "supported (server_vad, semantic_vad or none)")
            elif key == "input_rate":
                self.listener.set_input_rate(check_rate(value))
            elif key == "output_rate":
                self.output_rate = check_rate(value)
            elif key in UPDATABLE:
                changes[key] = check_setting(key, value)
            else:
                raise InputError("unknown_parameter", f"unknown turn_detection field {key!r}")
        if changes:
            self.listener.update_turns(changes)

    def _require_turn_model(self, turn_type: str) -> None:
        if turn_type == "semantic_vad" and self.options.turn_model is None:
            raise InputError("semantic_vad_unavailable", "the end-of-turn model is not "
                             f"installed; run `{TURN_MODEL_COMMAND}` once on the server")

    def truncate(self, item_id: str, audio_end_ms: int) -> None:
        """conversation.item.truncate: the client played only audio_end_ms of item_id."""
        reply = self._spoken.get(item_id)
        if reply is None:
            raise InputError("item_truncate_invalid_item_id", f"no assistant item {item_id!r}")
        if isinstance(audio_end_ms, bool) or not isinstance(audio_end_ms, int) \
                or audio_end_ms < 0 or audio_end_ms > reply.playout.sent_ms + 1:
            raise InputError("invalid_audio_end_ms",
                             "audio_end_ms is beyond the audio sent for this item")
        if self._reply is reply:
            self._cancel_reply("client_cancelled", truncate_at=audio_end_ms)
            return
        self._set_assistant_text(reply, reply.spoken_text(audio_end_ms))
        self._emit(ItemTruncated(item_id, audio_end_ms))

    # ---------------------------------------------------------------- the listener's hooks

    def pause_reply(self, onset_ms: int) -> None:
        self.stats["pauses"] += 1
        self.stats["pause_latency_ms"].append(self.listener.audio_ms - onset_ms)
        self._pause_onset_ms = onset_ms
        self._pauses_seen += 1
        if self._reply is not None:
            self._reply.may_send.clear()

    def resume_reply(self, heard_ms: int) -> None:
        if self._reply is not None and heard_ms >= _JUDGED_MS and self.hearing.stt is not None:
            # Short speech over the reply: "stop!" ends it, "mm-hm" lets it go on.
            self._spawn(self._judge_short_speech(self._reply, self._pauses_seen))
            return
        self.stats["resumes"] += 1
        if self._reply is not None:
            self._reply.may_send.set()

    def turn_started(self, item: str, interrupt: bool) -> None:
        if not interrupt or self._reply is None:
            return
        if self.options.confirm_barge_in_words and self._reply.created \
                and self.hearing.stt is not None:
            # Until judged, the turn counts as listening: if it ends first, its own
            # transcript decides (_settle_listening).
            self._listening.add(item)
            self._spawn(self._judge_barge_in(self._reply, item))
        else:
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")

    def turn_ended(self, item: str) -> None:
        if item in self._listening:
            self._listening.discard(item)
            self._spawn(self._settle_listening(item))
        elif self.listener.vad_on and self.turns.settings.create_response \
                and self._reply is None:
            self._start_reply(item)

    def user_said(self, item: str, text: str, lang: str) -> None:
        self.conversation.append(ConversationItem(item, "user", text, lang))

    def may_prefetch(self) -> bool:
        return self._reply is None and not self._carry

    # ---------------------------------------------------------------- speech over the reply

    async def _words_over_reply(self) -> Heard | None:
        """(text, language) of the speech since the reply paused; None if STT failed."""
        return await self.hearing.hear(self.listener.audio_since(self._pause_onset_ms - 100))

    async def _judge_short_speech(self, reply: Reply, pause: int) -> None:
        verdict, heard = await judge_short_speech(self._words_over_reply)
        if self._reply is not reply or self._pauses_seen != pause:
            return  # the reply ended, or new speech is being judged by the turn-taker
        if verdict == "stop":
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")
        elif verdict == "turn" and heard is not None:
            self._answer_short_speech(reply, heard)
        else:
            self.stats["resumes"] += 1
            reply.may_send.set()

    def _answer_short_speech(self, reply: Reply, heard: Heard) -> None:
        """Words too short to be a barge-in by length ("the hoodie?" after a pause the reply
        started in): a turn. Just after the reply began it is the rest of the question, and
        the two are answered together."""
        self.stats["barge_ins"] += 1
        prior = [*reply.carry, reply.user_item] \
            if reply.playout.played_ms() < _CONTINUATION_MS else []
        self._cancel_reply("turn_detected")
        item = self.listener.add_heard(self._pause_onset_ms, heard[0].strip(), heard[1])
        self._carry = prior
        if self._reply is None and self.turns.settings.create_response:
            self._start_reply(item)

    async def _judge_barge_in(self, reply: Reply, item: str) -> None:
        """500 ms of speech over the reply (session/barge_in.py): it stays paused until its
        words are judged."""
        verdict = await judge_barge_in(
            self._words_over_reply, onset_ms=self._pause_onset_ms,
            audio_ms=lambda: self.listener.audio_ms,
            speaking=lambda: self.listener.user_item == item,
            current=lambda: self._reply is reply, sleep=self._sleep)
        if verdict is None:
            return
        if verdict == "interrupt":
            self._listening.discard(item)
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")
            return
        # The turn goes on being heard; its end decides (_settle_listening): words after the
        # "ok" make it a turn after all, and the reply is cut then.
        self.stats["backchannels"] += 1
        reply.may_send.set()

    async def _settle_listening(self, item: str) -> None:
        """The end of a turn that was taken for listening: answered only if it said more."""
        task = self.listener.transcript(item)
        result = await asyncio.shield(task) if task is not None else None
        if not result or not result[0] or is_backchannel(*result):
            return
        if self._reply is not None:
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")
        if self._reply is None and self.turns.settings.create_response:
            self._start_reply(item)

    # ---------------------------------------------------------------- replies

    def _start_reply(self, user_item: str) -> None:
        reply = Reply(new_id("resp"), new_id("item"), user_item,
                      Playout(self._clock, lead_ms=self.options.lead_ms))
        reply.carry, self._carry = self._carry[-3:], []
        self._reply = reply
        self.listener.reply_active(True)
        reply.task = self._spawn(self._run_reply(reply))

    async def _run_reply(self, reply: Reply) -> None:
        status, reason = "completed", None
        try:
            # A user who paused past silence_duration and went on: answer both parts.
            texts, lang = [], ""
            for item in [*reply.carry, reply.user_item]:
                stt_task = self.listener.transcript(item)
                result = await asyncio.shield(stt_task) if stt_task is not None else None
                if result and result[0]:
                    texts.append(result[0])
                    lang = result[1]
            if not texts:
                return  # nothing was understood: no response (noise, failed STT)
            text = " ".join(texts)
            reply.lang = lang
            info = self.listener.commit_info(reply.user_item)
            for key in ("endpointing_ms", "stt_ms"):
                if key in info:
                    reply.timings[key] = round(info[key], 1)
            reply.created = True
            self._emit(ResponseCreated(reply.response_id, reply.item_id))
            self._spoken[reply.item_id] = reply
            while len(self._spoken) > 20:
                self._spoken.popitem(last=False)
            try:
                await self._speaker.speak(reply, self._respond(text, lang), lang,
                                          self.output_rate, info.get("committed_at"),
                                          info.get("endpointing_ms", 0.0))
            except Exception as e:
                status, reason = "failed", self._reply_failed(e)
            spoken = reply.spoken_text(float("inf"))
            self._set_assistant_text(reply, spoken)
            self._emit(ResponseDone(reply.response_id, reply.item_id, status, reason,
                                    spoken, lang, dict(reply.timings)))
        finally:
            if self._reply is reply:
                self._reply = None
                self.listener.reply_active(False)

    def _reply_failed(self, e: Exception) -> str:
        """Report a failed reply as an Error event; returns its code."""
        code = "tts_failed" if isinstance(e, TTSFailure) else "dialogue_failed"
        ref = uuid.uuid4().hex[:12]
        log.warning("voice reply failed", exc_info=e, extra={"reference": ref})
        # Only our own errors carry words meant for a client; anything else is a bug whose
        # text (paths, internals) stays in the log.
        cause = e.__cause__ if isinstance(e, TTSFailure) else e
        detail = str(cause) if isinstance(cause, AssistantError) else (
            f"internal error (reference {ref})")
        self._emit(Error(code, f"reply failed: {detail}"))
        return code

    def _stop_reply(self, reply: Reply) -> None:
        if reply.task is not None:
            reply.task.cancel()  # its TTS thread stops at the next chunk (finally: stop())
        dropped = self._events.drop_audio(reply.response_id)
        reply.playout.sent_ms -= dropped / 2 / self.output_rate * 1000

    def _cancel_reply(self, reason: str, truncate_at: int | None = None) -> None:
        reply = self._reply
        if reply is None:
            return
        self._reply = None
        self._stop_reply(reply)
        self.listener.reply_active(False)
        if not reply.created:
            # Nothing was said or announced: the pending reply disappears, and its question
            # is answered together with the turn that interrupted it.
            self._carry = [*reply.carry, reply.user_item] if reason == "turn_detected" else []
            return
        played = reply.playout.played_ms() if truncate_at is None else float(truncate_at)
        played = min(played, reply.playout.sent_ms)
        spoken = reply.spoken_text(played)
        self._set_assistant_text(reply, spoken)
        self._emit(ResponseDone(reply.response_id, reply.item_id, "cancelled", reason, spoken,
                                reply.lang, dict(reply.timings)))
        if reason == "turn_detected" or truncate_at is not None:
            self._emit(ItemTruncated(reply.item_id, int(played)))

    def _set_assistant_text(self, reply: Reply, text: str) -> None:
        for item in self.conversation:
            if item.item_id == reply.item_id:
                item.text = text
                return
        if text:
            self.conversation.append(ConversationItem(reply.item_id, "assistant", text,
                                                      reply.lang))
