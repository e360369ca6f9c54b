"""What a voice session is made of and may be told: its options, the backends it takes, and
the validation of the turn_detection fields a client sends in session.update."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import InputError
from assistant.session.turns import EAGERNESS, TurnSettings

if TYPE_CHECKING:
    from assistant.session.voice_events import VoiceEvent

Heard = tuple[str, str]  # (text, language) of a transcript

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


UPDATABLE = frozenset(f.name for f in fields(TurnSettings))


def check_setting(key: str, value: Any) -> Any:
    """A turn_detection field's value from session.update, checked; InputError if it is not
    one the field takes."""
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
