"""The host's side: open handoffs of a room, acknowledge and close them, and a live feed.

Host credentials only: a platform (viewer-side) token is refused here."""

from __future__ import annotations

import asyncio
import base64

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import HTTPException

from assistant.api.auth import Role, check, require

router = APIRouter(tags=["host"])

_STATUSES = ("open", "acknowledged", "closed", "all")


def _cursor(h) -> str:
    return base64.urlsafe_b64encode(f"{h.created_at!r}|{h.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        ts, hid = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return float(ts), hid
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, "cursor is not one this service gave out") from None


@router.get("/v1/handoffs")
async def list_handoffs(
    request: Request,
    room: str | None = None,
    status: str = Query("open", description="open (not closed), acknowledged, closed or all"),
    kind: str | None = Query(None, description="purchase or question"),
    limit: int = Query(200, ge=1, le=1000),
    cursor: str | None = Query(None, description="`next` of the previous page"),
    _: str = Depends(require(Role.HOST)),
) -> dict:
    """Newest first, a page at a time: `next` is the cursor of the following page (null at
    the end)."""
    if status not in _STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(_STATUSES)}")
    if kind not in (None, "purchase", "question"):
        raise HTTPException(422, "kind must be purchase or question")
    before = _decode_cursor(cursor) if cursor else None
    items = request.app.state.store.list(room=room, status=status, limit=limit + 1,
                                         before=before, kind=kind)
    page = items[:limit]
    return {"handoffs": [h.to_dict() for h in page],
            "next": _cursor(page[-1]) if len(items) > limit else None}


@router.get("/v1/handoffs/{handoff_id}")
async def get_handoff(handoff_id: str, request: Request,
                      _: str = Depends(require(Role.HOST))) -> dict:
    h = request.app.state.store.get(handoff_id)
    if h is None:
        raise HTTPException(404, f"no handoff {handoff_id!r}")
    return h.to_dict()


async def _transition(request: Request, handoff_id: str, who: str, action: str) -> dict:
    store = request.app.state.store
    try:
        h = getattr(store, action)(handoff_id, by=who)
    except KeyError:
        raise HTTPException(404, f"no handoff {handoff_id!r}") from None
    except (LookupError, ValueError) as e:
        raise HTTPException(409, str(e)) from None
    request.app.state.feed.publish({"type": f"handoff.{h.status}", "handoff": h.to_dict()})
    return h.to_dict()


@router.post("/v1/handoffs/{handoff_id}/ack")
async def acknowledge(handoff_id: str, request: Request,
                      who: str = Depends(require(Role.HOST))) -> dict:
    return await _transition(request, handoff_id, who, "acknowledge")


@router.post("/v1/handoffs/{handoff_id}/close")
async def close(handoff_id: str, request: Request,
                who: str = Depends(require(Role.HOST))) -> dict:
    return await _transition(request, handoff_id, who, "close")


@router.websocket("/v1/handoffs/feed")
async def feed(ws: WebSocket, room: str | None = None) -> None:
    """Pushes {"type": "handoff.created" | "handoff.updated" | "handoff.acknowledged" |
    "handoff.closed", "handoff": {...}} as they happen; first a snapshot of the open ones."""
    try:
        check(ws, Role.HOST)
    except HTTPException as e:
        await ws.close(code=1008, reason=str(e.detail))
        return
    await ws.accept()
    app = ws.app
    with app.state.feed.subscribe(room) as sub:
        snapshot = app.state.store.list(room=room, status="open")
        await ws.send_json({"type": "snapshot", "handoffs": [h.to_dict() for h in snapshot]})

        async def pump() -> None:
            async for event in sub:
                await ws.send_json(event)

        async def drain() -> None:
            # The host sends nothing we need, but reading is how a disconnect is noticed.
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return

        try:
            async with asyncio.TaskGroup() as tg:
                pump_task = tg.create_task(pump())
                await drain()
                pump_task.cancel()
        except* WebSocketDisconnect:
            pass
