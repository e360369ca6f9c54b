"""The chat side: a single message over HTTP, a room's comment stream over WebSocket, and the
product on stage.

Stream protocol (JSON text frames):
  in   {"viewer_id", "text", "ts"?, "lang"?}  (or with "type": "comment")
       {"type": "stage", "sku": "US-HOOD-01" | null}      the product on stage ("this one")
       {"type": "ping"}
  out  {"type": "ready", "room", "market", "languages"}
       {"type": "answer", "answer_id", "viewer_ids": [...], "text", "lang", "topic", "sku",
        "source", "in_reply_to_ts", "handoff": {"id", "created"} | null}
       {"type": "answer.addressed", "answer_id", "viewer_ids": [...], "in_reply_to_ts": [...]}
        the same answer, also for these viewers (a burst of one question is answered once)
       {"type": "stage.updated", "sku"}, {"type": "pong"}
       {"type": "error", "code", "message", "viewer_id"?}  the connection stays open
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import HTTPException

from assistant.api import frames
from assistant.api.auth import Role, check, require
from assistant.api.errors import error_event, event_payload
from assistant.api.schemas import MessageIn, StageIn
from assistant.errors import AssistantError, InputError, ProtocolError, UnknownMarket
from assistant.session.chat import ChatService, Comment

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])

_MAX_IN_FLIGHT = 64  # per connection: backpressure on a platform that pushes faster than we answer
_OUTBOX = 4096


def _service(conn: Request | WebSocket) -> ChatService:
    return conn.app.state.chat


@router.post("/v1/rooms/{room}/messages", dependencies=[Depends(require(Role.PLATFORM))])
async def post_message(room: str, body: MessageIn, request: Request) -> dict:
    reply = await _service(request).handle(
        Comment(room, body.market, body.viewer_id, body.text, body.ts, body.lang)
    )
    event = reply.to_event()
    event["duplicate"] = reply.duplicate
    return event


@router.post("/v1/rooms/{room}/stage", dependencies=[Depends(require(Role.PLATFORM))])
async def set_stage(room: str, body: StageIn, request: Request) -> dict:
    sku = _service(request).set_on_stage(room, body.market, body.sku)
    return {"room": room, "market": body.market, "sku": sku}


class _Connection:
    """One platform connection. It owns its tasks: the receive loop (this coroutine), one task
    per in-flight comment, and the single writer that serializes frames onto the socket."""

    def __init__(self, ws: WebSocket, service: ChatService, room: str, market: str):
        self.ws = ws
        self.service = service
        self.room = room
        self.market = market
        self.max_bytes = service.settings.max_ws_message_bytes
        self.outbox: asyncio.Queue[dict | tuple] = asyncio.Queue(_OUTBOX)
        self.slots = asyncio.Semaphore(_MAX_IN_FLIGHT)
        self.tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            self.tasks.add(tg.create_task(self._writer()))
            try:
                await self._reader(tg)
            finally:
                # The platform is gone: nothing it started may keep running (an LLM call, a write).
                for t in self.tasks:
                    t.cancel()

    def _spawn(self, tg: asyncio.TaskGroup, coro) -> None:
        task = tg.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _reader(self, tg: asyncio.TaskGroup) -> None:
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            try:
                data = frames.decode(msg, self.max_bytes)
            except ProtocolError as e:
                await self._error(e.code, str(e))
                continue
            kind = data.get("type", "comment")
            if kind == "comment":
                await self.slots.acquire()
                self._spawn(tg, self._comment(data))
            elif kind == "stage":
                await self._stage(data)
            elif kind == "ping":
                await self.outbox.put({"type": "pong"})
            else:
                await self._error(
                    "unknown_type",
                    f"unknown message type {kind!r}; expected comment, stage or ping",
                )

    async def _comment(self, data: dict) -> None:
        viewer = data.get("viewer_id")
        ts = data.get("ts")
        try:
            if not isinstance(viewer, str):
                raise InputError("invalid_viewer", "viewer_id must be a string")
            if ts is not None and not isinstance(ts, int | float):
                ts = None
                raise InputError("invalid_ts", "ts must be a number (epoch seconds)")
            lang = data.get("lang")
            comment = Comment(self.room, self.market, viewer, data.get("text"), ts,
                              lang if isinstance(lang, str) else None)
            reply = await self.service.handle(comment)
            if reply.duplicate:
                await self.outbox.put(("addressed", reply.answer_id, reply.viewer, ts))
            else:
                await self.outbox.put(reply.to_event())
        except Exception as e:
            # One bad comment must not take the room's stream down; a bug is logged with a
            # reference by event_payload and answered without internals.
            await self.outbox.put(event_payload(e, viewer_id=viewer, in_reply_to_ts=ts))
        finally:
            self.slots.release()

    async def _stage(self, data: dict) -> None:
        sku = data.get("sku")
        try:
            if sku is not None and not isinstance(sku, str):
                raise InputError("invalid_sku", "sku must be a string or null")
            sku = self.service.set_on_stage(self.room, self.market, sku)
            await self.outbox.put({"type": "stage.updated", "sku": sku})
        except Exception as e:
            await self.outbox.put(event_payload(e))

    async def _error(self, code: str, message: str) -> None:
        await self.outbox.put(error_event(code, message))

    async def _writer(self) -> None:
        # Drain whatever is queued and merge duplicate addressees per answer: under a burst the
        # room gets one "answer.addressed" per answer per write, not one frame per viewer.
        while True:
            batch = [await self.outbox.get()]
            while not self.outbox.empty() and len(batch) < 512:
                batch.append(self.outbox.get_nowait())
            out: list[dict] = []
            addressed: dict[str, dict] = {}
            for item in batch:
                if isinstance(item, tuple):
                    _, answer_id, viewer, ts = item
                    ev = addressed.get(answer_id)
                    if ev is None:
                        ev = addressed[answer_id] = {"type": "answer.addressed",
                                                     "answer_id": answer_id, "viewer_ids": [],
                                                     "in_reply_to_ts": []}
                        out.append(ev)
                    ev["viewer_ids"].append(viewer)
                    ev["in_reply_to_ts"].append(ts)
                else:
                    out.append(item)
            for frame in out:
                await self.ws.send_text(frames.dumps(frame))


@router.websocket("/v1/rooms/{room}/stream")
async def stream(ws: WebSocket, room: str, market: str = Query(...)) -> None:
    try:
        check(ws, Role.PLATFORM)
    except HTTPException as e:
        await ws.close(code=1008, reason=str(e.detail))
        return
    service = _service(ws)
    await ws.accept()
    try:
        service.room(room, market)
    except AssistantError as e:
        await ws.send_json(event_payload(e))
        await ws.close(code=4404 if isinstance(e, UnknownMarket) else 4409)
        return
    languages = service.registry.get(market).languages
    await ws.send_json({"type": "ready", "room": room, "market": market, "languages": languages})
    try:
        await _Connection(ws, service, room, market).run()
    except* WebSocketDisconnect:
        pass  # the platform went away; the TaskGroup has cancelled everything it owned
