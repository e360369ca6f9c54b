"""What a voice session tells its transport: small frozen dataclasses, one per thing that
happened. The Realtime WebSocket adapter (api/realtime.py) maps each to the OpenAI Realtime
event of the same meaning; tests read them directly.

Control events (everything but AudioOut) are never dropped; AudioOut is data and is discarded
when a response is cancelled (barge-in)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    item_id: str
    audio_start_ms: int  # position in the session's input audio


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    item_id: str
    audio_end_ms: int


@dataclass(frozen=True, slots=True)
class InputCommitted:
    item_id: str
    previous_item_id: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptDelta:
    """An interim transcript of the user's turn while it goes on (replaces the previous one:
    `text` is the whole interim text so far, `delta` what it adds to the previous one)."""

    item_id: str
    delta: str
    text: str


@dataclass(frozen=True, slots=True)
class TranscriptCompleted:
    item_id: str
    text: str
    lang: str
    lang_probability: float = 1.0


@dataclass(frozen=True, slots=True)
class ResponseCreated:
    response_id: str
    item_id: str  # the assistant message item this response speaks


@dataclass(frozen=True, slots=True)
class AudioOut:
    """A chunk of reply audio: PCM16 mono at the session's output rate, at most 100 ms."""

    response_id: str
    item_id: str
    pcm: bytes
    content_index: int = 0


@dataclass(frozen=True, slots=True)
class AudioTranscriptDelta:
    """Text of the reply, sent as the sentence it belongs to starts being spoken."""

    response_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class ResponseDone:
    response_id: str
    item_id: str
    status: str  # "completed" | "cancelled" | "failed"
    reason: str | None = None  # "turn_detected" (barge-in) | "client_cancelled" | error code
    text: str = ""  # what the response said (when cancelled: only what was played)
    lang: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)  # per-stage latency of the turn


@dataclass(frozen=True, slots=True)
class ItemTruncated:
    item_id: str
    audio_end_ms: int  # how much of the reply audio was actually played


@dataclass(frozen=True, slots=True)
class Handoff:
    handoff_id: str
    created: bool


@dataclass(frozen=True, slots=True)
class Error:
    code: str
    message: str
    param: str | None = None
    event_id: str | None = None  # the client event that caused it


VoiceEvent = (
    SpeechStarted | SpeechStopped | InputCommitted | TranscriptDelta | TranscriptCompleted
    | ResponseCreated | AudioOut | AudioTranscriptDelta | ResponseDone | ItemTruncated
    | Handoff | Error
)
