"""The input side of one voice conversation: PCM16 in, VAD frames, the turn-taker's actions,
speech-to-text of every turn (speculative at a pause, live captions while it goes on), and the
end-of-turn model's questions under semantic_vad.

It emits the input events (speech started and stopped, committed, transcripts) and tells its
session what the reply should do through `ListenerHooks`: pause, resume, be interrupted, answer
a finished turn. The session owns every task (`spawn`) and the reply; this side never touches
it. Blocking engines (STT, the turn model) run in asyncio.to_thread."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import numpy as np

from assistant.audio.pcm import AudioRing, Framer, pcm16_to_float
from assistant.audio.resample import StreamResampler
from assistant.audio.turn_model import LANGUAGES as TURN_MODEL_LANGUAGES
from assistant.audio.vad import VAD_RATE, FrameClassifier, threshold_to_aggressiveness
from assistant.errors import InputError
from assistant.session.endpointing import is_dangling, pause_verdict
from assistant.session.turns import (
    Action,
    Clock,
    EndOfTurnCheck,
    PauseReply,
    ResumeReply,
    Settle,
    TurnEnded,
    TurnPausing,
    TurnSettings,
    TurnStarted,
    TurnTaker,
)
from assistant.session.voice_events import (
    Error,
    InputCommitted,
    SpeechStarted,
    SpeechStopped,
    TranscriptCompleted,
    TranscriptDelta,
    VoiceEvent,
)
from assistant.session.voice_options import Heard, STTLike, TurnModel, VoiceOptions

log = logging.getLogger(__name__)



def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class ListenerHooks(Protocol):
    """What the listener asks of its session."""

    def pause_reply(self, onset_ms: int) -> None: ...
    def resume_reply(self, heard_ms: int) -> None: ...
    def turn_started(self, item: str, interrupt: bool) -> None: ...
    def turn_ended(self, item: str) -> None: ...
    def user_said(self, item: str, text: str, lang: str) -> None: ...
    def may_prefetch(self) -> bool: ...  # no reply and nothing else waits to be answered


class Hearing:
    """Speech-to-text of one conversation (16 kHz float audio in, off the event loop)."""

    def __init__(self, stt: STTLike | None, options: VoiceOptions):
        self.stt = stt
        self._languages = options.languages or None
        self._default_lang = options.default_lang

    async def transcribe(self, audio: np.ndarray, *, interim: bool) -> Any:
        stt = self.stt
        if stt is None:
            raise RuntimeError("no speech-to-text backend")
        rate = getattr(stt, "sample_rate", VAD_RATE)
        if rate != VAD_RATE:
            r = StreamResampler(VAD_RATE, rate)
            audio = np.concatenate([r.process(audio), r.flush()])
        return await asyncio.to_thread(stt.transcribe, audio, languages=self._languages,
                                       interim=interim)

    def heard(self, tr: Any) -> Heard:
        """(text, language) of an STT result; the market's default language when it has none."""
        return (getattr(tr, "text", "") or "").strip(), \
            getattr(tr, "lang", "") or self._default_lang

    async def hear(self, audio: np.ndarray) -> Heard | None:
        """A quick transcript (interim decoding); None when STT failed (logged)."""
        try:
            return self.heard(await self.transcribe(audio, interim=True))
        except Exception:
            log.exception("transcribing speech failed")
            return None


class Listener:
    def __init__(self, options: VoiceOptions, *, hearing: Hearing, hooks: ListenerHooks,
                 emit: Callable[[VoiceEvent], None],
                 spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]],
                 clock: Clock, prefetch: Callable[[str, str], None] | None = None):
        self.options = opts = options
        self.hearing = hearing
        self._hooks, self._emit, self._spawn, self._clock = hooks, emit, spawn, clock
        # The dialogue's optional head start on the transcript at a pause (session/spoken.py).
        self._prefetch = prefetch
        self.input_rate = opts.input_rate
        self._in_resampler = StreamResampler(self.input_rate, VAD_RATE)
        self._classifier = FrameClassifier(frame_ms=opts.frame_ms, silero=opts.silero)
        self._framer = Framer(self._classifier.frame_samples)
        td = opts.turn_detection
        self.vad_on = td is not None
        base = (td or TurnSettings()).updated(max_utterance_ms=int(opts.max_utterance_s * 1000))
        self._classifier.set_aggressiveness(threshold_to_aggressiveness(base.threshold))
        self.turns = TurnTaker(base, frame_ms=opts.frame_ms, clock=clock)
        self._set_turn_model()
        self._checking: asyncio.Task[Any] | None = None  # the end-of-turn model's question
        pad_s = base.prefix_padding_ms / 1000 + 2.0
        self._ring = AudioRing(int((opts.max_utterance_s + pad_s) * VAD_RATE))
        self._manual_start = 0  # ring position where uncommitted manual-mode audio begins

        self.user_item: str | None = None  # the user turn being spoken
        self._turn_start_ms = 0
        self.last_committed: str | None = None
        # item -> its transcript: an STT task, or a future already set (words over a reply)
        self._transcripts: OrderedDict[str, asyncio.Future[Heard | None]] = OrderedDict()
        self._commit_info: dict[str, dict[str, float]] = {}
        # (turn start ms, speech end ms, STT task) started at the turn's latest pause
        self._spec: tuple[int, int, asyncio.Task[Any]] | None = None
        self._interim: asyncio.Task[None] | None = None
        self._interim_at_ms = 0
        self._interim_text = ""

    # ---------------------------------------------------------------- audio and settings

    @property
    def audio_ms(self) -> int:
        return self.turns.audio_ms

    def push(self, pcm16: bytes) -> None:
        samples = pcm16_to_float(pcm16)
        if not len(samples):
            return
        x = self._in_resampler.process(samples)
        self._ring.append(x)
        if not self.vad_on:
            return
        for frame in self._framer.push(x):
            self._handle(self.turns.on_frame(self._classifier.classify(frame)))
            self._maybe_interim()

    def commit(self) -> None:
        if self.vad_on:
            ended = self.turns.commit()
            if ended is None:
                raise InputError("input_audio_buffer_commit_empty", "no speech to commit")
            if self.user_item is None:  # a candidate that was never announced
                self._handle([TurnStarted(ended.start_ms, ended.start_ms, interrupt=False)])
            self._handle([ended])
            return
        start, end = self._manual_start, self._ring.end
        if end - start < VAD_RATE // 10:  # OpenAI requires 100 ms
            raise InputError("input_audio_buffer_commit_empty",
                             "need at least 100 ms of audio to commit")
        self.user_item = new_id("item")
        self._turn_start_ms = start * 1000 // VAD_RATE
        end_ms = end * 1000 // VAD_RATE
        self._handle([TurnEnded(self._turn_start_ms, end_ms, end_ms, "commit")])

    def clear(self) -> None:
        self._handle(self.turns.reset())
        self.user_item = None
        self._framer.reset()
        self._manual_start = self._ring.end
        self._cancel_interim()

    def set_detection(self, on: bool) -> None:
        if not on:
            self.turns.reset()
            self._manual_start = self._ring.end
        self.vad_on = on

    def set_input_rate(self, rate: int) -> None:
        self.input_rate = rate
        self._in_resampler = StreamResampler(rate, VAD_RATE)

    def update_turns(self, changes: dict[str, Any]) -> None:
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

    def tick(self) -> None:
        self._handle(self.turns.tick())

    def reply_active(self, active: bool) -> None:
        self._handle(self.turns.set_reply_active(active))

    # ---------------------------------------------------------------- what the session reads

    def audio_since(self, ms: int) -> np.ndarray:
        return self._ring.slice(max(0, ms) * VAD_RATE // 1000, self._ring.end)

    def transcript(self, item: str) -> asyncio.Future[Heard | None] | None:
        return self._transcripts.get(item)

    def commit_info(self, item: str) -> dict[str, float]:
        return self._commit_info.get(item, {})

    def add_heard(self, onset_ms: int, text: str, lang: str) -> str:
        """A turn the session made of words heard over its reply: announced, committed and
        transcribed at once."""
        item = new_id("item")
        self._emit(SpeechStarted(item, onset_ms))
        self._emit(SpeechStopped(item, self.audio_ms))
        self._commit(item, 0.0)
        self._emit(TranscriptCompleted(item, text, lang))
        self._hooks.user_said(item, text, lang)
        done: asyncio.Future[Heard | None] = asyncio.get_running_loop().create_future()
        done.set_result((text, lang))
        self._keep(item, done)
        return item

    # ---------------------------------------------------------------- turn actions

    def _handle(self, actions: Iterable[Action]) -> None:
        for a in actions:
            if isinstance(a, PauseReply):
                self._hooks.pause_reply(a.onset_ms)
            elif isinstance(a, ResumeReply):
                self._hooks.resume_reply(a.heard_ms)
            elif isinstance(a, TurnStarted):
                self.user_item = new_id("item")
                self._turn_start_ms = a.start_ms
                self._interim_at_ms = a.onset_ms
                self._interim_text = ""
                self._emit(SpeechStarted(self.user_item, a.start_ms))
                self._hooks.turn_started(self.user_item, a.interrupt)
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

    def _commit(self, item: str, endpointing_ms: float) -> None:
        self._emit(InputCommitted(item, self.last_committed))
        self.last_committed = item
        self._commit_info[item] = {"committed_at": self._clock(),
                                   "endpointing_ms": endpointing_ms}

    def _keep(self, item: str, transcript: asyncio.Future[Heard | None]) -> None:
        self._transcripts[item] = transcript
        while len(self._transcripts) > 8:  # only recent turns can still be answered
            old, _ = self._transcripts.popitem(last=False)
            self._commit_info.pop(old, None)

    def _end_turn(self, ended: TurnEnded) -> None:
        item = self.user_item or new_id("item")
        self.user_item = None
        self._cancel_interim()
        if self.vad_on:
            self._emit(SpeechStopped(item, ended.end_ms))
        audio = self._ring.slice(ended.start_ms * VAD_RATE // 1000,
                                 ended.end_ms * VAD_RATE // 1000)
        self._manual_start = self._ring.end
        self._commit(item, float(ended.end_ms - ended.speech_end_ms))
        spec, self._spec = self._spec, None
        early = None
        if spec is not None and (spec[0], spec[1]) == (ended.start_ms, ended.speech_end_ms):
            early = spec[2]  # no speech since the pause: the speculative transcript stands
        self._keep(item, self._spawn(self._transcribe(item, audio, early=early)))
        self._hooks.turn_ended(item)

    # ---------------------------------------------------------------- end of turn (semantic_vad)

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
        settle: Settle = None
        if heard is not None:
            p, settle = pause_verdict(p, *heard)
        self._handle(self.turns.verdict(speech_end_ms, p, settle=settle))

    async def _pause_words(self, speech_end_ms: int) -> Heard | None:
        """(text, language) of the speculative transcript taken at this pause, if any."""
        spec = self._spec
        if spec is None or spec[1] != speech_end_ms:
            return None
        try:
            tr = await asyncio.shield(spec[2])
        except Exception:  # _transcribe reports a failed STT when the turn ends
            return None
        return self.hearing.heard(tr)

    # ---------------------------------------------------------------- STT

    def _speculate(self, pausing: TurnPausing) -> None:
        """Start speech-to-text at the first real pause, before the turn is confirmed: by the
        time silence_duration_ms has passed the transcript is (nearly) ready. If the speaker
        goes on, the result is simply not used."""
        if self.hearing.stt is None or not self.vad_on:
            return
        audio = self._ring.slice(pausing.start_ms * VAD_RATE // 1000, self._ring.end)
        key = (pausing.start_ms, pausing.speech_end_ms)
        task = self._spawn(self._speculative_stt(key, audio))
        self._spec = (*key, task)
        self.turns.expect_words(pausing.speech_end_ms)

    async def _speculative_stt(self, key: tuple[int, int], audio: np.ndarray) -> Any:
        try:
            tr = await self.hearing.transcribe(audio, interim=False)
        except Exception:
            # The turn stops waiting for these words (_transcribe reports the failure).
            self._handle(self.turns.words(key[1], dangling=False))
            raise
        text, lang = self.hearing.heard(tr)
        # "Do you ship to ...": the speaker is looking for the next word, not done.
        self._handle(self.turns.words(key[1], dangling=bool(text) and is_dangling(text, lang)))
        # Still pausing at the same place, nothing else to answer: let the dialogue start on
        # this transcript (an LLM's first token takes hundreds of ms). If the speaker goes on,
        # the dialogue sees another text at the end of the turn and drops the prefetch.
        if (self._prefetch is not None and text and self._spec is not None
                and self._spec[:2] == key and self._hooks.may_prefetch()):
            self._prefetch(text, lang)
        return tr

    async def _transcribe(self, item: str, audio: np.ndarray,
                          early: asyncio.Task | None = None) -> Heard | None:
        if self.hearing.stt is None:
            self._emit(Error("stt_unavailable", "no speech-to-text backend is configured"))
            return None
        t0 = self._clock()
        try:
            tr = await (early if early is not None
                        else self.hearing.transcribe(audio, interim=False))
        except Exception as e:
            log.warning("speech-to-text failed", exc_info=True)
            self._emit(Error("stt_failed", f"speech-to-text failed: {e}"))
            return None
        text, lang = self.hearing.heard(tr)
        info = self._commit_info.get(item)
        if info is not None:
            info["stt_ms"] = (self._clock() - t0) * 1000
        self._emit(TranscriptCompleted(item, text, lang,
                                       float(getattr(tr, "lang_probability", 1.0) or 0.0)))
        if text:
            self._hooks.user_said(item, text, lang)
        return text, lang

    def _maybe_interim(self) -> None:
        opts = self.options
        if (opts.interim_interval_s <= 0 or self.hearing.stt is None or not self.turns.in_turn
                or self.user_item is None
                or (self._interim is not None and not self._interim.done())):
            return
        if self.audio_ms - self._interim_at_ms < opts.interim_interval_s * 1000:
            return
        self._interim_at_ms = self.audio_ms
        audio = self._ring.slice(self._turn_start_ms * VAD_RATE // 1000, self._ring.end)
        self._interim = self._spawn(self._interim_transcribe(self.user_item, audio))

    async def _interim_transcribe(self, item: str, audio: np.ndarray) -> None:
        try:
            tr = await self.hearing.transcribe(audio, interim=True)
        except Exception:
            log.debug("interim transcription failed", exc_info=True)
            return
        text, _ = self.hearing.heard(tr)
        if item != self.user_item or not text or text == self._interim_text:
            return
        prev = self._interim_text
        delta = text[len(prev):] if text.startswith(prev) else text
        self._interim_text = text
        self._emit(TranscriptDelta(item, delta, text))

    def _cancel_interim(self) -> None:
        if self._interim is not None:
            self._interim.cancel()
            self._interim = None
