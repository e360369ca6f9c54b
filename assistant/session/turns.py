"""Turn-taking and barge-in policy: pure state machines, no I/O, time injected.

`TurnTaker` reads one VAD score per frame (input-audio time advances a frame per call) and
says when a user turn starts and ends, and what to do with a reply that is playing:

    speech run >= start_ms                 -> a *candidate* turn; PauseReply if a reply plays
    candidate speech >= min_speech_ms      -> TurnStarted (nothing playing)
    candidate speech >= interrupt_min_ms   -> TurnStarted(interrupt=True): cancel the reply
    candidate ends (dismiss_ms of silence) -> ResumeReply: a cough, clap or "mm-hm" is no
                                              barge-in, the reply goes on where it paused
    turn: silence_duration_ms of silence   -> TurnEnded; turn longer than max_utterance_ms
                                              -> TurnEnded(reason="max_length")

With `type="semantic_vad"` the end of a turn is the end-of-turn model's call, not a fixed
silence (LiveKit and Pipecat wait for a turn model too; a fixed 500 ms cuts slow speakers off
mid-sentence and costs every fast one half a second):

    turn: semantic_check_ms of silence     -> EndOfTurnCheck (and again every
                                              semantic_recheck_ms while the silence lasts)
    verdict(p) >= the eagerness' threshold -> TurnEnded(reason="semantic")
    the eagerness' longest silence         -> TurnEnded(reason="silence")
    verdict(p, settle="closed")            -> a closed sentence the model doubts: this pause
                                              ends after settle_ms
    verdict(p, settle="open")              -> words Whisper left open: after settle_open_ms

In both types the words at a pause are a second signal. expect_words() (speech-to-text has
started on the audio up to this pause) keeps the turn open past its silence until words()
brings them, up to hold_dangling_ms: the reply needs the transcript anyway, so waiting for it
costs nothing, and words that end on "to", "and", "de" (dangling) let this pause last up to
hold_dangling_ms before the turn ends.

For a language the model does not cover (or no model), `model_available = False`: the end is
an adaptive silence window learned from this speaker's own pauses inside turns (LiveKit's
dynamic endpointing), between 700 ms and the eagerness' longest silence.

A frame counts as speech when webrtcvad says voiced AND (if Silero runs) Silero's probability
is >= threshold (threshold - 0.15 once speech is on, Silero's usual hysteresis): webrtcvad
alone calls music and crowd noise voiced nearly all the time.

`Playout` models what the client has played of the reply audio we sent: the client plays
whatever it has buffered in real time, so played = min(sent, time spent playing). The sender
keeps at most `lead_ms` sent-but-unplayed, which is all a barge-in cannot take back."""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from assistant.audio.vad import FrameScore

Clock = Callable[[], float]  # monotonic seconds
Settle = Literal["closed", "open"] | None  # what the words at a pause say (endpointing.py)


@dataclass(frozen=True, slots=True)
class TurnSettings:
    """The Realtime protocol's turn_detection (first three) plus our barge-in knobs."""

    threshold: float = 0.5  # Silero threshold; also picks webrtcvad aggressiveness
    prefix_padding_ms: int = 300  # audio kept before speech onset so the first syllable stays
    silence_duration_ms: int = 500  # end of turn (OpenAI server_vad default)
    start_ms: int = 60  # speech run that opens a candidate and pauses a playing reply
    min_speech_ms: int = 250  # speech that makes a candidate a user turn (nothing playing)
    interrupt_min_speech_ms: int = 500  # speech that confirms a barge-in (LiveKit: 0.5 s)
    interrupt_margin: float = 0.1  # a barge-in counts only frames >= threshold + margin
    dismiss_ms: int = 300  # silence that ends an unconfirmed candidate (then resume)
    max_utterance_ms: int = 30_000  # a longer monologue is cut into turns
    # Silence after which the turn is probably over: speech-to-text starts on the audio so far,
    # so that the transcript is ready when silence_duration_ms confirms the end of the turn.
    speculate_ms: int = 150
    pause_timeout_ms: int = 1000  # wall time: paused but no input audio arrives -> resume
    create_response: bool = True
    interrupt_response: bool = True
    # "server_vad": a fixed silence ends the turn; "semantic_vad": the end-of-turn model does.
    type: str = "server_vad"
    eagerness: str = "auto"  # semantic_vad: low | medium | high | auto (OpenAI Realtime)
    # Silence before the model is first asked (Pipecat: 0.2 s; at 150 ms it called a pause
    # inside Leopard's German sentence finished). Its verdict also waits for the speculative
    # transcript, which the reply needs anyway.
    semantic_check_ms: int = 200
    semantic_recheck_ms: int = 300  # and again this often while the silence grows
    # A pause whose words so far end on a dangling word ("Do you ship to ...") is not the end
    # of the turn: it lasts up to this long (both types). It is also the longest a turn waits
    # for the words of its pause (expect_words). 0: off.
    hold_dangling_ms: int = 1500
    # semantic_vad: a sentence Whisper closed but the model calls unfinished ends after this;
    # words Whisper left open at a pause, after settle_open_ms (Leopard-es pauses 870 ms
    # mid-sentence), whatever the model says.
    settle_ms: int = 700
    settle_open_ms: int = 1000

    def updated(self, **changes: object) -> TurnSettings:
        return replace(self, **changes)

    @property
    def semantic(self) -> bool:
        return self.type == "semantic_vad"

    @property
    def complete_at(self) -> float:
        """The end-of-turn probability that ends the turn: eager ends sooner."""
        return _EAGERNESS[self.eagerness][0]

    @property
    def max_silence_ms(self) -> int:
        """The longest silence a turn survives in semantic_vad, whatever the model says."""
        return _EAGERNESS[self.eagerness][1]


# eagerness -> (probability that ends the turn, longest silence ms). Measured on real
# recordings (leopard de/es/fr/it/ja/ko/pt, jfk, librispeech): finished sentences score
# 0.95-0.99 at their end; mid-sentence pauses up to 0.82 ("And so, my fellow Americans,").
_EAGERNESS = {"high": (0.5, 1200), "auto": (0.85, 2000), "medium": (0.85, 2000),
              "low": (0.93, 3000)}
EAGERNESS = frozenset(_EAGERNESS)
_ADAPTIVE_MIN_MS = 700  # no model: never shorter than this (a thinking pause is 0.5-0.9 s)
_ADAPTIVE_PAUSES = 20  # the speaker's latest pauses inside turns that set the window


@dataclass(frozen=True, slots=True)
class PauseReply:
    onset_ms: int  # input-audio time the speech began


@dataclass(frozen=True, slots=True)
class ResumeReply:
    heard_ms: int = 0  # speech of the dismissed candidate ("stop!", "mm-hm"); 0: no candidate


@dataclass(frozen=True, slots=True)
class TurnStarted:
    start_ms: int  # input-audio time of the turn's audio, prefix padding included
    onset_ms: int  # first speech frame
    interrupt: bool  # a reply was active: cancel it


@dataclass(frozen=True, slots=True)
class TurnPausing:
    """The speaker paused long enough that the turn is probably over (not yet confirmed)."""

    start_ms: int
    speech_end_ms: int


@dataclass(frozen=True, slots=True)
class EndOfTurnCheck:
    """semantic_vad: the speaker paused. Ask the end-of-turn model about the turn's audio up to
    speech_end_ms and hand its probability to TurnTaker.verdict(speech_end_ms, p)."""

    start_ms: int
    speech_end_ms: int


@dataclass(frozen=True, slots=True)
class TurnEnded:
    start_ms: int
    end_ms: int  # input-audio time the turn was closed (trailing silence included)
    speech_end_ms: int  # end of the last speech frame
    reason: str  # "silence" | "semantic" | "max_length" | "commit"


Action = PauseReply | ResumeReply | TurnStarted | TurnPausing | EndOfTurnCheck | TurnEnded


class _State(enum.Enum):
    SILENT = "silent"
    CANDIDATE = "candidate"
    SPEAKING = "speaking"


class TurnTaker:
    def __init__(self, settings: TurnSettings | None = None, *, frame_ms: int = 30,
                 clock: Clock = time.monotonic):
        self.settings = settings or TurnSettings()
        self.frame_ms = frame_ms
        self._clock = clock
        self.audio_ms = 0  # input-audio time at the end of the last frame
        self.reply_active = False  # a response exists (generating or playing)
        self.paused = False
        self.model_available = True  # semantic_vad: False -> the adaptive silence window
        self._pauses: deque[int] = deque(maxlen=_ADAPTIVE_PAUSES)
        self._last_frame_at = clock()
        self._reset_state()

    def _reset_state(self) -> None:
        self._state = _State.SILENT
        self._run = 0  # consecutive speech frames while silent
        self._onset = 0
        self._speech_ms = 0
        self._gap_ms = 0
        self._last_speech_end = 0
        self._speculated = False
        self._next_check_ms = 0
        self._pause_end_ms: int | None = None  # this pause's own end (hold, settle)
        self._words_pending = False  # speech-to-text runs on the audio up to this pause

    @property
    def in_turn(self) -> bool:
        return self._state is _State.SPEAKING

    @property
    def state(self) -> str:
        return self._state.value

    def _turn_start(self) -> int:
        return max(0, self._onset - self.settings.prefix_padding_ms)

    def on_frame(self, score: FrameScore) -> list[Action]:
        s = self.settings
        start = self.audio_ms
        self.audio_ms += self.frame_ms
        self._last_frame_at = self._clock()
        # Hysteresis only inside a confirmed turn: a candidate must earn its speech at the
        # full threshold, or noise near it adds up to a false barge-in.
        interrupting = self.reply_active and s.interrupt_response
        thr = s.threshold
        if self._state is _State.SPEAKING:
            thr = max(0.0, thr - 0.15)
        elif self._state is _State.CANDIDATE and interrupting:
            # Cutting the co-host off for good needs clearer speech than pausing it: crowd
            # noise sits at 0.5-0.7 for half a second, real speech at 0.8-1.0.
            thr = min(1.0, thr + s.interrupt_margin)
        speech = score.voiced and (score.speech_prob is None or score.speech_prob >= thr)
        out: list[Action] = []

        if self._state is _State.SILENT:
            if not speech:
                self._run = 0
                return out
            if self._run == 0:
                self._onset = start
            self._run += 1
            if self._run * self.frame_ms < s.start_ms:
                return out
            self._state = _State.CANDIDATE
            self._speech_ms = self._run * self.frame_ms
            self._gap_ms = 0
            self._last_speech_end = self.audio_ms
            return self._candidate_checks(out, interrupting)

        if self._state is _State.CANDIDATE:
            if speech:
                self._speech_ms += self.frame_ms
                self._gap_ms = 0
                self._last_speech_end = self.audio_ms
            else:
                self._gap_ms += self.frame_ms
                if self._gap_ms >= s.dismiss_ms:
                    heard = self._speech_ms
                    self._reset_state()
                    if self.paused:
                        self.paused = False
                        out.append(ResumeReply(heard_ms=heard))
                    return out
            return self._candidate_checks(out, interrupting)

        # SPEAKING
        if speech:
            if self._gap_ms >= 2 * self.frame_ms:
                self._pauses.append(self._gap_ms)  # a pause the speaker went on after
            self._gap_ms = 0
            self._last_speech_end = self.audio_ms
            self._speculated = False
            self._next_check_ms = s.semantic_check_ms
            self._pause_end_ms = None
            self._words_pending = False
        else:
            self._gap_ms += self.frame_ms
            if (not self._speculated and s.speculate_ms <= self._gap_ms
                    and s.speculate_ms < self.end_silence_ms()):
                self._speculated = True
                out.append(TurnPausing(self._turn_start(), self._last_speech_end))
            if s.semantic and self.model_available and self._gap_ms >= self._next_check_ms:
                self._next_check_ms = self._gap_ms + s.semantic_recheck_ms
                out.append(EndOfTurnCheck(self._turn_start(), self._last_speech_end))
        if self._gap_ms >= self.end_silence_ms() and not self._awaiting_words():
            out.append(self._end("silence"))
        elif self.audio_ms - self._onset >= s.max_utterance_ms:
            out.append(self._end("max_length"))
        return out

    def end_silence_ms(self) -> int:
        """The silence that ends a turn now: server_vad's fixed window; in semantic_vad the
        longest one (the model ends it sooner), or without the model the adaptive window."""
        s = self.settings
        if self._pause_end_ms is not None:
            return self._pause_end_ms
        if not s.semantic:
            return s.silence_duration_ms
        if self.model_available:
            return s.max_silence_ms
        floor = max(s.silence_duration_ms, _ADAPTIVE_MIN_MS)
        if len(self._pauses) < 3:
            return floor
        ranked = sorted(self._pauses)
        p90 = ranked[min(len(ranked) - 1, int(0.9 * len(ranked)))]
        return max(floor, min(s.max_silence_ms, int(1.3 * p90)))

    def verdict(self, speech_end_ms: int, probability: float, *,
                settle: Settle = None) -> list[Action]:
        """The end-of-turn model's answer to EndOfTurnCheck: ends the turn when the speaker is
        done, unless they spoke again since (then the check is stale). `settle`: the words
        make a closed sentence the model doubts ("closed": this pause ends after settle_ms),
        or Whisper left them open ("open": after settle_open_ms)."""
        if not self._pausing_at(speech_end_ms):
            return []
        if probability >= self.settings.complete_at:
            return [self._end("semantic")]
        if settle is not None and self._pause_end_ms is None:
            window = self.settings.settle_ms if settle == "closed" else \
                self.settings.settle_open_ms
            self._pause_end_ms = min(window, self.end_silence_ms())
        return self._end_if_over()

    def expect_words(self, speech_end_ms: int) -> None:
        """Speech-to-text has started on the audio up to this pause: the turn does not end
        on silence before words() brings the transcript (at most hold_dangling_ms)."""
        if self._pausing_at(speech_end_ms) and self.settings.hold_dangling_ms > 0:
            self._words_pending = True

    def words(self, speech_end_ms: int, *, dangling: bool) -> list[Action]:
        """The transcript of the audio up to this pause is in. `dangling`: it ends mid-sentence
        ("Do you ship to"), so this pause may last up to hold_dangling_ms (never less than the
        window in force). Returns the end of the turn if its silence is over."""
        if not self._pausing_at(speech_end_ms):
            return []
        self._words_pending = False
        if dangling:
            self.hold(speech_end_ms)
        return self._end_if_over()

    def hold(self, speech_end_ms: int) -> None:
        """The words so far end mid-sentence: this pause may last up to hold_dangling_ms."""
        if self._pausing_at(speech_end_ms) and self.settings.hold_dangling_ms > 0:
            self._pause_end_ms = max(self.settings.hold_dangling_ms, self.end_silence_ms())

    def _awaiting_words(self) -> bool:
        return self._words_pending and self._gap_ms < self.settings.hold_dangling_ms

    def _pausing_at(self, speech_end_ms: int) -> bool:
        return (self._state is _State.SPEAKING and self._last_speech_end == speech_end_ms
                and self._gap_ms > 0)

    def _end_if_over(self) -> list[Action]:
        if self._gap_ms >= self.end_silence_ms() and not self._awaiting_words():
            return [self._end("silence")]
        return []

    def _candidate_checks(self, out: list[Action], interrupting: bool) -> list[Action]:
        if interrupting and not self.paused:
            self.paused = True
            out.append(PauseReply(onset_ms=self._onset))
        s = self.settings
        need = s.interrupt_min_speech_ms if interrupting else s.min_speech_ms
        if self._speech_ms >= need:
            self._state = _State.SPEAKING
            self.paused = False  # the reply is cancelled, not resumed
            self._gap_ms = 0
            out.append(TurnStarted(self._turn_start(), self._onset, interrupt=interrupting))
        return out

    def _end(self, reason: str) -> TurnEnded:
        ev = TurnEnded(self._turn_start(), self.audio_ms, self._last_speech_end, reason)
        self._reset_state()
        return ev

    def tick(self) -> list[Action]:
        """Wall-clock check: a paused reply resumes if input audio stops arriving (a client
        that does not stream while the co-host speaks must not freeze it)."""
        if self.paused and (self._clock() - self._last_frame_at) * 1000 >= \
                self.settings.pause_timeout_ms:
            self._reset_state()
            self.paused = False
            return [ResumeReply()]
        return []

    def commit(self) -> TurnEnded | None:
        """Manual commit: close the turn (or candidate) in progress, if any."""
        if self._state is _State.SILENT:
            return None
        return self._end("commit")

    def reset(self) -> list[Action]:
        """Forget any speech in progress (input_audio_buffer.clear)."""
        self._reset_state()
        if self.paused:
            self.paused = False
            return [ResumeReply()]
        return []

    def set_reply_active(self, active: bool) -> list[Action]:
        self.reply_active = active
        if not active and self.paused:
            self.paused = False
            return [ResumeReply()]
        return []

    def update(self, settings: TurnSettings) -> None:
        self.settings = settings


class Playout:
    """Sent vs played reply audio, for pacing and for truncation at what was heard."""

    def __init__(self, clock: Clock = time.monotonic, *, lead_ms: float = 200.0):
        self._clock = clock
        self.lead_ms = lead_ms
        self.sent_ms = 0.0
        self._played_base = 0.0
        self._base_t = clock()

    def played_ms(self) -> float:
        elapsed = (self._clock() - self._base_t) * 1000.0
        return min(self.sent_ms, self._played_base + elapsed)

    def wait_s(self) -> float:
        """How long to wait before sending more so that at most lead_ms is unplayed."""
        over = self.sent_ms - self.played_ms() - self.lead_ms
        return over / 1000.0 if over >= 1.0 else 0.0  # sub-ms waits are float noise

    def on_sent(self, ms: float) -> None:
        # The client plays whatever it holds; if it ran dry, playing restarts now.
        self._played_base = self.played_ms()
        self._base_t = self._clock()
        self.sent_ms += ms
