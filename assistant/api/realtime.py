"""The voice co-host over the OpenAI Realtime API event protocol (GA event names and shapes of
`openai.types.realtime`), so the stock `openai` SDK realtime client can drive it:

    client = AsyncOpenAI(base_url="http://127.0.0.1:8000/v1", api_key=TOKEN)
    async with client.realtime.connect(model="us",
                                       extra_query={"room": "live-1", "viewer": "v42"}) as conn:

`model` is the market id (as in /v1/chat/completions); `market`, `room` and `viewer` may also be
given in the query string. This module only translates: JSON client events -> VoiceSession calls,
and voice_events -> JSON server events. The session owns the audio work and its tasks."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.exceptions import HTTPException

from assistant.api import frames
from assistant.api.auth import Role, check
from assistant.api.errors import to_payload
from assistant.audio import decode_audio_b64
from assistant.errors import AssistantError, InputError, ProtocolError, UnknownMarket
from assistant.session import voice_events as ev
from assistant.session.spoken import VoiceResponder
from assistant.session.voice import VoiceSession
from assistant.session.voice_engines import SessionSlots

log = logging.getLogger(__name__)
router = APIRouter(tags=["voice"])

SUPPORTED_RATES = (24_000, 16_000)
_MAX_EVENT_BYTES = 1 << 20  # one append of ~20 s of 24 kHz audio, base64


def _object(value: Any, where: str) -> dict:
    """An optional JSON object of session.update: missing is {}, anything else is an error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("invalid_session", f"{where} must be an object, not "
                         f"{type(value).__name__}")
    return value


def _eid() -> str:
    return f"event_{uuid.uuid4().hex[:20]}"


class _Protocol:
    """One Realtime connection: reads client events, forwards session events."""

    def __init__(self, ws: WebSocket, session: VoiceSession, market: str, session_id: str):
        self.ws = ws
        self.session = session
        self.market = market
        self.session_id = session_id
        self.send_lock = asyncio.Lock()

    # --- session description (session.created / session.updated)

    def describe(self) -> dict:
        s = self.session
        td = s.turns.settings if s.vad_enabled else None
        turn = None if td is None else {
            "type": "semantic_vad", "eagerness": td.eagerness,
            "create_response": td.create_response,
            "interrupt_response": td.interrupt_response,
        } if td.semantic else {
            "type": "server_vad", "threshold": td.threshold,
            "prefix_padding_ms": td.prefix_padding_ms,
            "silence_duration_ms": td.silence_duration_ms,
            "create_response": td.create_response,
            "interrupt_response": td.interrupt_response,
        }
        return {
            "type": "realtime", "object": "realtime.session", "id": self.session_id,
            "model": self.market, "output_modalities": ["audio"],
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": s.input_rate},
                    "transcription": {"model": "whisper"},
                    "turn_detection": turn,
                },
                "output": {"format": {"type": "audio/pcm", "rate": s.output_rate}},
            },
        }

    async def send(self, event: dict) -> None:
        event.setdefault("event_id", _eid())
        async with self.send_lock:
            await self.ws.send_text(frames.dumps(event))

    async def error(self, code: str, message: str, *, param: str | None = None,
                    event_id: str | None = None, kind: str = "invalid_request_error") -> None:
        await self.send({"type": "error", "error": {
            "type": kind, "code": code, "message": message, "param": param,
            "event_id": event_id}})

    async def error_from(self, exc: BaseException, *, event_id: str | None = None) -> None:
        status, body = to_payload(exc)
        err = body["error"]
        await self.error(err["code"], err["message"], event_id=event_id,
                         kind="server_error" if status >= 500 else "invalid_request_error")

    # --- client -> session

    async def reader(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            if msg.get("text") is None:
                await self.error("invalid_event", "binary frames are not part of the protocol; "
                                 "send JSON text events (audio as base64 in "
                                 "input_audio_buffer.append)")
                continue
            try:
                event = frames.decode(msg, _MAX_EVENT_BYTES)
            except ProtocolError as e:
                code = "event_too_large" if e.code == "message_too_large" else e.code
                await self.error(code, str(e))
                continue
            if not isinstance(event.get("type"), str):
                await self.error("invalid_event", "an event is a JSON object with a string 'type'")
                continue
            eid = event.get("event_id") if isinstance(event.get("event_id"), str) else None
            try:
                await self.dispatch(event)
            except Exception as e:
                # A bug must cost this one event, never the viewer's connection.
                await self.error_from(e, event_id=eid)

    async def dispatch(self, event: dict) -> None:
        kind, eid = event["type"], event.get("event_id")
        s = self.session
        if kind == "input_audio_buffer.append":
            audio = event.get("audio")
            if not isinstance(audio, str):
                raise InputError("invalid_audio", "input_audio_buffer.append needs 'audio': "
                                 "base64 PCM16")
            await s.push_audio(decode_audio_b64(audio))
        elif kind == "input_audio_buffer.commit":
            await s.commit()
        elif kind == "input_audio_buffer.clear":
            await s.clear()
            await self.send({"type": "input_audio_buffer.cleared"})
        elif kind == "response.create":
            await s.create_response()
        elif kind == "response.cancel":
            await s.cancel_response()
        elif kind == "conversation.item.truncate":
            item_id, end = event.get("item_id"), event.get("audio_end_ms")
            if not isinstance(item_id, str) or not isinstance(end, int) or end < 0:
                raise InputError("invalid_truncate", "conversation.item.truncate needs item_id "
                                 "and a non-negative integer audio_end_ms")
            s.truncate(item_id, end)
            await self.send({"type": "conversation.item.truncated", "item_id": item_id,
                             "content_index": event.get("content_index", 0),
                             "audio_end_ms": end})
        elif kind == "session.update":
            self.apply_update(event.get("session"), eid)
            await self.send({"type": "session.updated", "session": self.describe()})
        else:
            raise InputError(
                "unknown_event",
                f"unknown client event type {kind!r}; supported: session.update, "
                "input_audio_buffer.append/commit/clear, response.create, response.cancel, "
                "conversation.item.truncate",
            )

    def apply_update(self, session: Any, eid: str | None) -> None:
        if not isinstance(session, dict):
            raise InputError("invalid_session", "session.update needs a 'session' object")
        audio = _object(session.get("audio"), "session.audio")
        inp = _object(audio.get("input"), "session.audio.input")
        out = _object(audio.get("output"), "session.audio.output")
        rates: dict[str, int] = {}
        for name, part in (("input_rate", inp), ("output_rate", out)):
            fmt = part.get("format")
            if fmt is None:
                continue
            if not isinstance(fmt, dict) or fmt.get("type", "audio/pcm") != "audio/pcm":
                raise InputError("unsupported_audio_format",
                                 "only audio/pcm (PCM16 mono little-endian) is supported")
            rate = fmt.get("rate", 24_000)
            if isinstance(rate, bool) or rate not in SUPPORTED_RATES:
                raise InputError("unsupported_sample_rate",
                                 f"sample rate {rate} is not supported; use 24000 or 16000")
            rates[name] = rate
        turn: dict[str, Any] = {}
        if "turn_detection" in inp:
            td = inp["turn_detection"]
            if td is None:
                turn["type"] = None  # manual turns: the client commits
            elif isinstance(td, dict):
                kind = td.get("type", "server_vad")
                if kind not in ("server_vad", "semantic_vad"):
                    raise InputError("unsupported_turn_detection",
                                     "turn detection is server_vad or semantic_vad")
                turn = {k: v for k, v in td.items() if k != "type"} | {"type": kind}
            else:
                raise InputError("invalid_session", "turn_detection must be an object or null")
        self.session.update(**rates, **turn)

    # --- session -> client

    async def writer(self) -> None:
        async for e in self.session.events():
            await self.send(self.translate(e))

    def translate(self, e: ev.VoiceEvent) -> dict:  # noqa: PLR0911 - one mapping per event
        if isinstance(e, ev.AudioOut):
            return {"type": "response.output_audio.delta", "response_id": e.response_id,
                    "item_id": e.item_id, "output_index": 0, "content_index": e.content_index,
                    "delta": base64.b64encode(e.pcm).decode("ascii")}
        if isinstance(e, ev.AudioTranscriptDelta):
            return {"type": "response.output_audio_transcript.delta",
                    "response_id": e.response_id, "item_id": e.item_id, "output_index": 0,
                    "content_index": 0, "delta": e.delta}
        if isinstance(e, ev.SpeechStarted):
            return {"type": "input_audio_buffer.speech_started", "item_id": e.item_id,
                    "audio_start_ms": e.audio_start_ms}
        if isinstance(e, ev.SpeechStopped):
            return {"type": "input_audio_buffer.speech_stopped", "item_id": e.item_id,
                    "audio_end_ms": e.audio_end_ms}
        if isinstance(e, ev.InputCommitted):
            return {"type": "input_audio_buffer.committed", "item_id": e.item_id,
                    "previous_item_id": e.previous_item_id}
        if isinstance(e, ev.TranscriptDelta):
            return {"type": "conversation.item.input_audio_transcription.delta",
                    "item_id": e.item_id, "content_index": 0, "delta": e.delta}
        if isinstance(e, ev.TranscriptCompleted):
            return {"type": "conversation.item.input_audio_transcription.completed",
                    "item_id": e.item_id, "content_index": 0, "transcript": e.text,
                    "languages": [{"code": e.lang}] if e.lang else [],
                    "usage": {"type": "duration", "seconds": 0.0}}
        if isinstance(e, ev.ResponseCreated):
            return {"type": "response.created", "response": {
                "id": e.response_id, "object": "realtime.response", "status": "in_progress",
                "output_modalities": ["audio"], "output": []}}
        if isinstance(e, ev.ResponseDone):
            details = {"type": e.status}
            if e.reason:
                details["reason"] = e.reason
            # Realtime metadata is a string map: per-stage latency of this turn, in ms.
            metadata = {k: f"{v:.1f}" for k, v in e.timings_ms.items()}
            if e.lang:
                metadata["lang"] = e.lang
            return {"type": "response.done", "response": {
                "id": e.response_id, "object": "realtime.response", "status": e.status,
                "status_details": details, "output_modalities": ["audio"], "metadata": metadata,
                "output": [{"id": e.item_id, "type": "message", "role": "assistant",
                            "status": "completed" if e.status == "completed" else "incomplete",
                            "content": [{"type": "output_audio", "transcript": e.text}]}]}}
        if isinstance(e, ev.ItemTruncated):
            return {"type": "conversation.item.truncated", "item_id": e.item_id,
                    "content_index": 0, "audio_end_ms": e.audio_end_ms}
        if isinstance(e, ev.Error):
            return {"type": "error", "error": {"type": "invalid_request_error", "code": e.code,
                                               "message": e.message, "param": e.param,
                                               "event_id": e.event_id}}
        if isinstance(e, ev.Handoff):
            # No Realtime event means "handed to a human"; the host feed carries it. Clients
            # that know this service read it from here.
            return {"type": "conversation.handoff", "handoff_id": e.handoff_id,
                    "created": e.created}
        raise TypeError(f"unmapped voice event {type(e).__name__}")


@router.websocket("/v1/realtime")
async def realtime(ws: WebSocket) -> None:
    q = ws.query_params
    try:
        check(ws, Role.PLATFORM)
    except HTTPException as e:
        await ws.close(code=1008, reason=str(e.detail))
        return
    app = ws.app
    chat = app.state.chat
    market_id = q.get("market") or q.get("model") or ""
    # One default room per market: the demo and any client may switch markets freely.
    room = q.get("room") or f"voice-{market_id}"
    viewer = q.get("viewer") or q.get("user") or f"voice-{uuid.uuid4().hex[:8]}"
    await ws.accept()
    session_id = f"sess_{uuid.uuid4().hex[:20]}"

    async def fail(code: str, message: str, close: int, **extra) -> None:
        await ws.send_text(json.dumps({"type": "error", "event_id": _eid(), "error": {
            "type": "invalid_request_error", "code": code, "message": message, **extra}}))
        await ws.close(code=close)

    try:
        market = chat.registry.get(market_id)
        chat.room(room, market_id)
    except UnknownMarket as e:
        await fail("unknown_market", str(e), 4404)
        return
    except AssistantError as e:
        await fail(getattr(e, "code", "invalid_request"), str(e), 4409)
        return
    slots: SessionSlots = app.state.voice_slots
    if not slots.try_acquire():
        await fail("too_many_sessions", f"the voice co-host is at its limit of {slots.limit} "
                   "concurrent sessions; try again shortly", 1013)
        return
    try:
        await _serve(ws, app, chat, market, market_id, room, viewer, session_id, fail)
    finally:
        slots.release()


async def _serve(ws: WebSocket, app, chat, market, market_id: str, room: str, viewer: str,
                 session_id: str, fail) -> None:
    """One accepted voice session within its slot."""
    try:
        engines = await app.state.voice_engines.get()
    except Exception as e:
        _, body = to_payload(e)  # a missing model names its install command; a bug, a reference
        log.error("voice engines unavailable", extra={"error": body["error"]["message"]})
        await fail("voice_unavailable", body["error"]["message"], 1011)
        return

    respond = VoiceResponder(chat, room=room, market=market_id, viewer=viewer)
    captions = app.state.settings.voice_live_captions
    options = engines.session_options(market, captions=captions)
    session = VoiceSession(options, stt=engines.stt, tts=engines.tts, respond=respond)
    proto = _Protocol(ws, session, market_id, session_id)
    try:
        # A client that leaves before session.created is not an error either.
        await proto.send({"type": "session.created", "session": proto.describe()})
        # The session owns its audio tasks; this TaskGroup owns the two socket directions.
        async with session, asyncio.TaskGroup() as tg:
            writer = tg.create_task(proto.writer())
            try:
                await proto.reader()
            finally:
                writer.cancel()
    except* WebSocketDisconnect:
        pass
    finally:
        await respond.aclose()  # its prefetched LLM reply, if one is in flight

