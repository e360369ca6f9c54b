"""One voice conversation: PCM16 in, VAD turns, STT, the reply's sentences, TTS, PCM16 out,
with barge-in. Owns every task and thread of the conversation and the order of events it
emits (assistant.session.voice_events); the Realtime adapter only translates both ways.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import numpy as np

from assistant.audio.pcm import AudioRing, Framer, check_rate, pcm16_to_float
from assistant.audio.resample import StreamResampler
from assistant.audio.turn_model import ASSEMBLE_COMMAND as TURN_MODEL_COMMAND
from assistant.audio.turn_model import LANGUAGES as TURN_MODEL_LANGUAGES
from assistant.audio.vad import VAD_RATE, FrameClassifier, threshold_to_aggressiveness
from assistant.errors import AssistantError, InputError
from assistant.session.endpointing import (
    is_backchannel,
    is_dangling,
    is_stop_command,
    may_be_backchannel,
    settles_sooner,
    with_transcript,
)
from assistant.session.turns import (
    EAGERNESS,
    Action,
    Clock,
    EndOfTurnCheck,
    PauseReply,
    Playout,
    ResumeReply,
    TurnEnded,
    TurnPausing,
    TurnSettings,
    TurnStarted,
    TurnTaker,
)
from assistant.session.voice_events import (
    Error,
    InputCommitted,
    ItemTruncated,
    ResponseCreated,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
    TranscriptCompleted,
    TranscriptDelta,
    VoiceEvent,
)
from assistant.session.voice_output import (
    EventQueue,
    Reply,
    Sleep,
    Speaker,
    TTSFailure,
    TTSLike,
)

log = logging.getLogger(__name__)

# Speech over the reply that Whisper finds no word in for this long is background sound
# (music, singing it cannot make out, a crowd): the reply goes on.
_UNHEARD_MS = 3000
# Words over a reply that has played less than this are the rest of the question it answers.
_CONTINUATION_MS = 1500

# Sentences to say, and voice events (a handoff, an error) to emit in order with them.
Respond = Callable[[str, str], AsyncIterator["str | VoiceEvent"]]


class STTLike(Protocol):
    sample_rate: int

    def transcribe(self, audio: np.ndarray, *, languages: Sequence[str] | None = None,
                   interim: bool = False) -> Any: ...


class TurnModel(Protocol):
    def complete(self, audio: np.ndarray) -> float: ...


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    input_rate: int = 24000  # wire rate of input_audio_buffer.append (24k or 16k)
    output_rate: int = 24000  # wire rate of AudioOut
    turn_detection: TurnSettings | None = field(default_factory=TurnSettings)  # None: manual
    max_utterance_s: float = 30.0  # a longer turn is cut; also bounds the input buffer
    # Interim transcript cadence while a turn goes on (live captions); 0 = off. Off by default:
    # one running when the speaker stops holds up the transcript the reply waits for.
    interim_interval_s: float = 0.0
    languages: tuple[str, ...] = ()  # candidate languages for STT (the market's); () = any
    default_lang: str = "en"  # when STT gives no language
    max_spoken_sentences: int | None = None  # spoken-answer mode: cap sentences per reply
    frame_ms: int = 30  # VAD frame (webrtcvad takes 10/20/30)
    silero: bool = True  # Silero second opinion (music/noise robustness)
    lead_ms: float = 200.0  # reply audio sent ahead of playback (what barge-in can't recall)
    out_chunk_ms: int = 50  # AudioOut size (the contract allows <= 100 ms)
    max_queued_audio: int = 40  # AudioOut events waiting for the transport (~2 s)
    max_queued_events: int = 2000  # control events; beyond it the client is gone: close
    # semantic_vad's end-of-turn model (audio/turn_model.SmartTurn, shared by every session);
    # None: semantic_vad is refused with an error that names the install command.
    turn_model: TurnModel | None = None
    # A barge-in that 500 ms of speech confirms is checked by its words before the reply is
    # cancelled (it stays paused meanwhile): acknowledgements ("mm-hm", "ok ok", "はいはい")
    # and sound Whisper hears no words in (music, singing it cannot make out) let it go on.
    confirm_barge_in_words: bool = True


@dataclass(slots=True)
class ConversationItem:
    item_id: str
    role: str  # "user" | "assistant"
    text: str
    lang: str = ""


_UPDATABLE = {f.name for f in fields(TurnSettings)}
# Speech over the reply at least this long, dismissed as no barge-in, is transcribed before the
# reply resumes: a stop command ends it. Shorter is a click or a breath.
_JUDGED_MS = 120


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


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
        self._stt = stt
        self._respond = respond
        self._clock = clock
        self._sleep = sleep
        self._events = EventQueue(opts.max_queued_audio, opts.max_queued_events)
        self._speaker = Speaker(tts, self._events, clock=clock, sleep=sleep,
                                out_chunk_ms=opts.out_chunk_ms,
                                max_sentences=opts.max_spoken_sentences)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

        self.input_rate = opts.input_rate
        self.output_rate = opts.output_rate
        self._in_resampler = StreamResampler(self.input_rate, VAD_RATE)
        self._classifier = FrameClassifier(frame_ms=opts.frame_ms, silero=opts.silero)
        self._framer = Framer(self._classifier.frame_samples)
        td = opts.turn_detection
        self._vad_on = td is not None
        base = td or TurnSettings()
        base = base.updated(max_utterance_ms=int(opts.max_utterance_s * 1000))
        self._classifier.set_aggressiveness(threshold_to_aggressiveness(base.threshold))
        self.turns = TurnTaker(base, frame_ms=opts.frame_ms, clock=clock)
        self._set_turn_model()
        self._checking: asyncio.Task[Any] | None = None  # the end-of-turn model's question
        self._pause_onset_ms = 0  # where the speech that paused the reply began
        self._pauses_seen = 0
        pad_s = base.prefix_padding_ms / 1000 + 2.0
        self._ring = AudioRing(int((opts.max_utterance_s + pad_s) * VAD_RATE))
        self._manual_start = 0  # ring position where uncommitted manual-mode audio begins

        self._user_item: str | None = None  # the user turn being spoken
        self._turn_start_ms = 0
        self._last_committed: str | None = None
        # item -> its transcript: an STT task, or a future already set (short speech judged)
        self._transcripts: OrderedDict[str, asyncio.Future[tuple[str, str] | None]] = OrderedDict()
        self._commit_info: dict[str, dict[str, float]] = {}
        self._interim: asyncio.Task[None] | None = None
        # (turn start ms, speech end ms, STT task) started at the turn's latest pause
        self._spec: tuple[int, int, asyncio.Task[Any]] | None = None
        self._interim_at_ms = 0
        self._interim_text = ""
        self._reply: Reply | None = None
        self._carry: list[str] = []
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
            self._handle(self.turns.tick())
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
        return self._vad_on

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
        samples = pcm16_to_float(pcm16)
        if self._closed or not len(samples):
            return
        x = self._in_resampler.process(samples)
        self._ring.append(x)
        if not self._vad_on:
            return
        for frame in self._framer.push(x):
            self._handle(self.turns.on_frame(self._classifier.classify(frame)))
            self._maybe_interim()

    async def commit(self) -> None:
        """input_audio_buffer.commit: close the user turn now."""
        if self._vad_on:
            ended = self.turns.commit()
            if ended is None:
                raise InputError("input_audio_buffer_commit_empty", "no speech to commit")
            if self._user_item is None:  # a candidate that was never announced
                self._handle([TurnStarted(ended.start_ms, ended.start_ms, interrupt=False)])
            self._handle([ended])
            return
        start, end = self._manual_start, self._ring.end
        if end - start < VAD_RATE // 10:  # OpenAI requires 100 ms
            raise InputError("input_audio_buffer_commit_empty",
                             "need at least 100 ms of audio to commit")
        item = _new_id("item")
        self._user_item = item
        self._turn_start_ms = start * 1000 // VAD_RATE
        self._handle([TurnEnded(self._turn_start_ms, end * 1000 // VAD_RATE,
                                end * 1000 // VAD_RATE, "commit")])

    async def clear(self) -> None:
        """input_audio_buffer.clear: forget uncommitted audio and any speech in progress."""
        self._handle(self.turns.reset())
        self._user_item = None
        self._framer.reset()
        self._manual_start = self._ring.end
        self._cancel_interim()

    async def cancel_response(self) -> None:
        """response.cancel: stop the active reply at once."""
        reply = self._reply
        if reply is None:
            raise InputError("response_cancel_not_active", "there is no active response")
        self._cancel_reply("client_cancelled")

    async def create_response(self) -> None:
        """response.create: answer the last committed user turn."""
        if self._reply is not None:
            raise InputError("conversation_already_has_active_response",
                             "a response is already in progress")
        if self._last_committed is None:
            raise InputError("no_user_turn", "nothing has been said yet to respond to")
        self._start_reply(self._last_committed)

    def update(self, **settings: Any) -> None:
        """session.update: turn_detection fields (type, threshold, prefix_padding_ms,
        silence_duration_ms, create_response, interrupt_response, and TurnSettings' other
        fields) and the wire rates (input_rate, output_rate). Raises InputError."""
        changes: dict[str, Any] = {}
        for key, value in settings.items():
            if key == "type":
                if value in (None, "none"):
                    self._vad_on = False
                    self.turns.reset()
                    self._manual_start = self._ring.end
                elif value in ("server_vad", "semantic_vad"):
                    if value == "semantic_vad" and self.options.turn_model is None:
                        raise InputError(
                            "semantic_vad_unavailable", "the end-of-turn model is not "
                            f"installed; run `{TURN_MODEL_COMMAND}` once on the server")
                    self._vad_on = True
                    changes["type"] = value
                else:
                    raise InputError("invalid_value", f"turn_detection type {value!r} is not "
                                     "supported (server_vad, semantic_vad or none)")
            elif key == "input_rate":
                self.input_rate = check_rate(value)
                self._in_resampler = StreamResampler(self.input_rate, VAD_RATE)
            elif key == "output_rate":
                self.output_rate = check_rate(value)
            elif key in _UPDATABLE:
                changes[key] = self._check_setting(key, value)
            else:
                raise InputError("unknown_parameter", f"unknown turn_detection field {key!r}")
        if changes:
            new = self.turns.settings.updated(**changes)
            self.turns.update(new)
            self._set_turn_model()
            self._classifier.set_aggressiveness(threshold_to_aggressiveness(new.threshold))

    def _set_turn_model(self) -> None:
        """semantic_vad asks the model when it covers a language of the session (else the
        speaker-adaptive silence window decides)."""
        langs = self.options.languages
        self.turns.model_available = self.options.turn_model is not None and (
            not langs or any(lang in TURN_MODEL_LANGUAGES for lang in langs))

    @staticmethod
    def _check_setting(key: str, value: Any) -> Any:
        if key == "eagerness":
            if value not in EAGERNESS:
                raise InputError("invalid_value", "eagerness must be low, medium, high or auto")
            return value
        if key in ("create_response", "interrupt_response"):
            if not isinstance(value, bool):
                raise InputError("invalid_value", f"{key} must be true or false")
            return value
        if key == "threshold":
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not 0.0 <= value <= 1.0:
                raise InputError("invalid_value", "threshold must be a number in 0..1")
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 600_000:
            raise InputError("invalid_value", f"{key} must be a whole number of ms >= 0")
        return value

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

    # ---------------------------------------------------------------- turn actions

    def _handle(self, actions: Iterable[Action]) -> None:
        for a in actions:
            if isinstance(a, PauseReply):
                self.stats["pauses"] += 1
                self.stats["pause_latency_ms"].append(self.turns.audio_ms - a.onset_ms)
                self._pause_onset_ms = a.onset_ms
                self._pauses_seen += 1
                if self._reply is not None:
                    self._reply.may_send.clear()
            elif isinstance(a, ResumeReply):
                if self._reply is not None and a.heard_ms >= _JUDGED_MS and self._stt is not None:
                    # Short speech over the reply: "stop!" ends it, "mm-hm" lets it go on.
                    self._spawn(self._judge_short_speech(self._reply, self._pauses_seen))
                    continue
                self.stats["resumes"] += 1
                if self._reply is not None:
                    self._reply.may_send.set()
            elif isinstance(a, TurnStarted):
                self._user_item = _new_id("item")
                self._turn_start_ms = a.start_ms
                self._interim_at_ms = a.onset_ms
                self._interim_text = ""
                self._emit(SpeechStarted(self._user_item, a.start_ms))
                if a.interrupt and self._reply is not None:
                    if (self.options.confirm_barge_in_words and self._reply.created
                            and self._stt is not None):
                        # Until judged, the turn counts as listening: if it ends first,
                        # its own transcript decides (_settle_listening).
                        self._listening.add(self._user_item)
                        self._spawn(self._judge_barge_in(self._reply, self._user_item))
                    else:
                        self.stats["barge_ins"] += 1
                        self._cancel_reply("turn_detected")
            elif isinstance(a, TurnPausing):
                self._speculate(a)
            elif isinstance(a, EndOfTurnCheck):
                self._check_end_of_turn(a)
            elif isinstance(a, TurnEnded):
                # Silero's recurrent state, primed by speech, keeps scoring noise as speech for
                # seconds afterwards (measured: 0.5-0.8 on crowd noise vs 0.1 fresh): start
                # every listening phase fresh.
                self._classifier.reset()
                self._end_turn(a)

    async def _words_over_reply(self) -> tuple[str, str] | None:
        """(text, language) of the speech since the reply paused; None if STT failed."""
        audio = self._ring.slice(max(0, self._pause_onset_ms - 100) * VAD_RATE // 1000,
                                 self._ring.end)
        try:
            tr = await asyncio.to_thread(self._stt.transcribe, self._stt_audio(audio),
                                         languages=self.options.languages or None,
                                         interim=True)
        except Exception:
            log.exception("transcribing speech over the reply failed")
            return None
        return self._heard(tr)

    async def _judge_short_speech(self, reply: Reply, pause: int) -> None:
        heard = await self._words_over_reply()
        # No transcript: it was short, so the reply goes on.
        stop = heard is not None and is_stop_command(*heard)
        said = heard is not None and bool(heard[0].strip()) and not stop \
            and not is_backchannel(*heard)
        if self._reply is not reply or self._pauses_seen != pause:
            return  # the reply ended, or new speech is being judged by the turn-taker
        if stop:
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")
        elif said:
            self._answer_short_speech(reply, heard)
        else:
            self.stats["resumes"] += 1
            reply.may_send.set()

    def _answer_short_speech(self, reply: Reply, heard: tuple[str, str]) -> None:
        """Words too short to be a barge-in by length ("the hoodie?" after a pause the reply
        started in): a turn. Just after the reply began it is the rest of the question, and
        the two are answered together."""
        self.stats["barge_ins"] += 1
        prior = [*reply.carry, reply.user_item] \
            if reply.playout.played_ms() < _CONTINUATION_MS else []
        self._cancel_reply("turn_detected")
        text, lang = heard[0].strip(), heard[1]
        item = _new_id("item")
        self._emit(SpeechStarted(item, self._pause_onset_ms))
        self._emit(SpeechStopped(item, self.turns.audio_ms))
        self._emit(InputCommitted(item, self._last_committed))
        self._last_committed = item
        self._emit(TranscriptCompleted(item, text, lang))
        self.conversation.append(ConversationItem(item, "user", text, lang))
        done: asyncio.Future[tuple[str, str] | None] = asyncio.get_running_loop().create_future()
        done.set_result((text, lang))
        self._transcripts[item] = done
        self._commit_info[item] = {"committed_at": self._clock(), "endpointing_ms": 0.0}
        self._carry = prior
        if self._reply is None and self.turns.settings.create_response:
            self._start_reply(item)

    async def _judge_barge_in(self, reply: Reply, item: str) -> None:
        """500 ms of speech over the reply: an interruption unless its words say otherwise. A
        failed transcription counts as an interruption (the viewer is heard, not talked over).
        No words yet (a short clip Whisper is unsure of, or music): the reply stays paused and
        the speech is heard again every 500 ms; after `_UNHEARD_MS` without a word it is
        background sound, and the reply goes on."""
        while True:
            heard_until = self.turns.audio_ms
            heard = await self._words_over_reply()
            if self._reply is not reply:
                return  # it ended meanwhile
            if heard is None:
                listening = False
                break
            if is_backchannel(*heard) or self._user_item != item:
                listening = True  # an acknowledgement; or the turn ended: its words decide
                break
            words = bool(heard[0].strip())
            if words and not may_be_backchannel(*heard):
                listening = False
                break
            if heard_until - self._pause_onset_ms >= _UNHEARD_MS:
                listening = not words  # no word in 3 s of it: background sound
                break
            # No words yet, or the start of an acknowledgement ("okay, go..."): hear more.
            while self._user_item == item and self.turns.audio_ms < heard_until + 500:
                await self._sleep(0.05)
        if not listening:
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
        task = self._transcripts.get(item)
        result = await asyncio.shield(task) if task is not None else None
        if not result or not result[0] or is_backchannel(*result):
            return
        if self._reply is not None:
            self.stats["barge_ins"] += 1
            self._cancel_reply("turn_detected")
        if self._reply is None and self.turns.settings.create_response:
            self._start_reply(item)

    def _check_end_of_turn(self, check: EndOfTurnCheck) -> None:
        model = self.options.turn_model
        if model is None or (self._checking is not None and not self._checking.done()):
            return  # one question at a time; the next check follows 300 ms later
        audio = self._ring.slice(check.start_ms * VAD_RATE // 1000,
                                 check.speech_end_ms * VAD_RATE // 1000)
        self._checking = self._spawn(self._ask_turn_model(model, audio, check.speech_end_ms))

    async def _ask_turn_model(self, model: TurnModel, audio: np.ndarray,
                              speech_end_ms: int) -> None:
        try:
            p = await asyncio.to_thread(model.complete, audio)
        except Exception:  # a broken model must not end the session: silence still ends turns
            log.exception("end-of-turn model failed")
            return
        # The words so far, transcribed at this pause, are the second opinion. The reply
        # needs them anyway, so waiting for them costs no time.
        heard = await self._pause_words(speech_end_ms)
        settle = False
        if heard is not None:
            p = with_transcript(p, *heard)
            settle = settles_sooner(p, *heard)
        self._handle(self.turns.verdict(speech_end_ms, p, settle=settle))

    async def _pause_words(self, speech_end_ms: int) -> tuple[str, str] | None:
        """(text, language) of the speculative transcript taken at this pause, if any."""
        spec = self._spec
        if spec is None or spec[1] != speech_end_ms:
            return None
        try:
            tr = await asyncio.shield(spec[2])
        except Exception:  # _transcribe reports a failed STT when the turn ends
            return None
        return self._heard(tr)

    def _end_turn(self, ended: TurnEnded) -> None:
        item = self._user_item or _new_id("item")
        self._user_item = None
        self._cancel_interim()
        if self._vad_on:
            self._emit(SpeechStopped(item, ended.end_ms))
        audio = self._ring.slice(ended.start_ms * VAD_RATE // 1000,
                                 ended.end_ms * VAD_RATE // 1000)
        self._manual_start = self._ring.end
        self._emit(InputCommitted(item, self._last_committed))
        self._last_committed = item
        self._commit_info[item] = {
            "committed_at": self._clock(),
            "endpointing_ms": float(ended.end_ms - ended.speech_end_ms),
        }
        spec, self._spec = self._spec, None
        early = None
        if spec is not None and (spec[0], spec[1]) == (ended.start_ms, ended.speech_end_ms):
            early = spec[2]  # no speech since the pause: the speculative transcript stands
        self._transcripts[item] = self._spawn(self._transcribe(item, audio, early=early))
        while len(self._transcripts) > 8:  # only recent turns can still be answered
            old, _ = self._transcripts.popitem(last=False)
            self._commit_info.pop(old, None)
        if item in self._listening:
            self._listening.discard(item)
            self._spawn(self._settle_listening(item))
        elif self._vad_on and self.turns.settings.create_response and self._reply is None:
            self._start_reply(item)

    # ---------------------------------------------------------------- STT

    def _heard(self, tr: Any) -> tuple[str, str]:
        """(text, language) of an STT result; the market's default language when it has none."""
        return (getattr(tr, "text", "") or "").strip(), \
            getattr(tr, "lang", "") or self.options.default_lang

    def _stt_audio(self, audio: np.ndarray) -> np.ndarray:
        rate = getattr(self._stt, "sample_rate", VAD_RATE)
        if rate == VAD_RATE:
            return audio
        r = StreamResampler(VAD_RATE, rate)
        return np.concatenate([r.process(audio), r.flush()])

    def _speculate(self, pausing: TurnPausing) -> None:
        """Start speech-to-text at the first real pause, before the turn is confirmed: by the
        time silence_duration_ms has passed the transcript is (nearly) ready. If the speaker
        goes on, the result is simply not used."""
        if self._stt is None or not self._vad_on:
            return
        audio = self._ring.slice(pausing.start_ms * VAD_RATE // 1000, self._ring.end)
        key = (pausing.start_ms, pausing.speech_end_ms)
        task = self._spawn(self._speculative_stt(key, audio))
        self._spec = (*key, task)
        self.turns.expect_words(pausing.speech_end_ms)

    async def _speculative_stt(self, key: tuple[int, int], audio: np.ndarray) -> Any:
        try:
            tr = await asyncio.to_thread(self._stt.transcribe, self._stt_audio(audio),
                                         languages=self.options.languages or None,
                                         interim=False)
        except Exception:
            # The turn stops waiting for these words (_transcribe reports the failure).
            self._handle(self.turns.words(key[1], dangling=False))
            raise
        text, lang = self._heard(tr)
        # "Do you ship to ...": the speaker is looking for the next word, not done.
        self._handle(self.turns.words(key[1], dangling=bool(text) and is_dangling(text, lang)))
        # Still pausing at the same place, nothing else to answer: let the dialogue start on
        # this transcript (an LLM's first token takes hundreds of ms). If the speaker goes on,
        # the dialogue sees another text at the end of the turn and drops the prefetch.
        prefetch = getattr(self._respond, "prefetch", None)
        if (prefetch is not None and text and self._spec is not None
                and self._spec[:2] == key and self._reply is None and not self._carry):
            prefetch(text, lang)
        return tr

    async def _transcribe(self, item: str, audio: np.ndarray,
                          early: asyncio.Task | None = None) -> tuple[str, str] | None:
        if self._stt is None:
            self._emit(Error("stt_unavailable", "no speech-to-text backend is configured"))
            return None
        t0 = self._clock()
        try:
            if early is not None:
                tr = await early
            else:
                tr = await asyncio.to_thread(self._stt.transcribe, self._stt_audio(audio),
                                             languages=self.options.languages or None,
                                             interim=False)
        except Exception as e:
            log.warning("speech-to-text failed", exc_info=True)
            self._emit(Error("stt_failed", f"speech-to-text failed: {e}"))
            return None
        text, lang = self._heard(tr)
        info = self._commit_info.get(item)
        if info is not None:
            info["stt_ms"] = (self._clock() - t0) * 1000
        self._emit(TranscriptCompleted(item, text, lang,
                                       float(getattr(tr, "lang_probability", 1.0) or 0.0)))
        if text:
            self.conversation.append(ConversationItem(item, "user", text, lang))
        return text, lang

    def _maybe_interim(self) -> None:
        opts = self.options
        if (opts.interim_interval_s <= 0 or self._stt is None or not self.turns.in_turn
                or self._user_item is None
                or (self._interim is not None and not self._interim.done())):
            return
        if self.turns.audio_ms - self._interim_at_ms < opts.interim_interval_s * 1000:
            return
        self._interim_at_ms = self.turns.audio_ms
        audio = self._ring.slice(self._turn_start_ms * VAD_RATE // 1000, self._ring.end)
        self._interim = self._spawn(self._interim_transcribe(self._user_item, audio))

    async def _interim_transcribe(self, item: str, audio: np.ndarray) -> None:
        try:
            tr = await asyncio.to_thread(self._stt.transcribe, self._stt_audio(audio),
                                         languages=self.options.languages or None,
                                         interim=True)
        except Exception:
            log.debug("interim transcription failed", exc_info=True)
            return
        text, _ = self._heard(tr)
        if item != self._user_item or not text or text == self._interim_text:
            return
        prev = self._interim_text
        delta = text[len(prev):] if text.startswith(prev) else text
        self._interim_text = text
        self._emit(TranscriptDelta(item, delta, text))

    def _cancel_interim(self) -> None:
        if self._interim is not None:
            self._interim.cancel()
            self._interim = None

    # ---------------------------------------------------------------- replies

    def _start_reply(self, user_item: str) -> None:
        reply = Reply(_new_id("resp"), _new_id("item"), user_item,
                       Playout(self._clock, lead_ms=self.options.lead_ms))
        reply.carry, self._carry = self._carry[-3:], []
        self._reply = reply
        self._handle(self.turns.set_reply_active(True))
        reply.task = self._spawn(self._run_reply(reply))

    async def _run_reply(self, reply: Reply) -> None:
        status, reason = "completed", None
        try:
            # A user who paused past silence_duration and went on: answer both parts.
            texts, lang = [], ""
            for item in [*reply.carry, reply.user_item]:
                stt_task = self._transcripts.get(item)
                result = await asyncio.shield(stt_task) if stt_task is not None else None
                if result and result[0]:
                    texts.append(result[0])
                    lang = result[1]
            if not texts:
                return  # nothing was understood: no response (noise, failed STT)
            text = " ".join(texts)
            reply.lang = lang
            info = self._commit_info.get(reply.user_item, {})
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
                code = "tts_failed" if isinstance(e, TTSFailure) else "dialogue_failed"
                ref = uuid.uuid4().hex[:12]
                log.warning("voice reply failed", exc_info=True, extra={"reference": ref})
                # Only our own errors carry words meant for a client; anything else is a bug
                # whose text (paths, internals) stays in the log.
                cause = e.__cause__ if isinstance(e, TTSFailure) else e
                detail = str(cause) if isinstance(cause, AssistantError) else (
                    f"internal error (reference {ref})")
                self._emit(Error(code, f"reply failed: {detail}"))
                status, reason = "failed", code
            spoken = reply.spoken_text(float("inf"))
            self._set_assistant_text(reply, spoken)
            self._emit(ResponseDone(reply.response_id, reply.item_id, status, reason,
                                    spoken, lang, dict(reply.timings)))
        finally:
            if self._reply is reply:
                self._reply = None
                self._handle(self.turns.set_reply_active(False))

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
        self._handle(self.turns.set_reply_active(False))
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
