"""An OpenAI-compatible face on the FAQ bot, so the stock `openai` client can talk to it:
`model` is the market id, `user` the viewer id, the last user message the question.

The room is the X-Room header or `metadata={"room": ...}`, else `openai-<market>`: one default
room per market, so one client can talk to every market /v1/models lists, in any order (a room
belongs to one market). Without `user` (or `metadata.viewer`), the viewer is named after the
conversation (caller + its first user message), so clients that omit it neither share one
viewer, sticky language and handoff, nor lose their own across the turns of a conversation."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.auth import Role, require
from assistant.errors import InputError
from assistant.session.chat import Comment, Reply

router = APIRouter(tags=["openai-compatible"], dependencies=[Depends(require(Role.PLATFORM))])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict] | None = None


class ChatCompletionRequest(BaseModel):
    # Clients send many optional fields (temperature, n, tools, ...): accept and ignore them.
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = None
    metadata: dict[str, str] | None = None


def _text_of(msg: ChatMessage) -> str:
    if isinstance(msg.content, str):
        return msg.content
    if isinstance(msg.content, list):
        return " ".join(p.get("text", "") for p in msg.content if p.get("type") == "text")
    return ""


def _conversation_viewer(request: Request, body: ChatCompletionRequest) -> str:
    first = next((_text_of(m) for m in body.messages if m.role == "user"), "")
    caller = request.headers.get("authorization", "") + "|" + (
        request.client.host if request.client else "")
    digest = hashlib.sha256(f"{caller}\x00{first}".encode("utf-8", "replace")).hexdigest()
    return f"anon-{digest[:16]}"


@router.get("/v1/models")
async def models(request: Request) -> dict:
    return {
        "object": "list",
        "data": [
            {"id": m.id, "object": "model", "created": 0, "owned_by": "live-cohost",
             "name": m.name, "languages": m.languages}
            for m in request.app.state.registry.all()
        ],
    }


def _extras(reply: Reply) -> dict:
    return {"lang": reply.lang, "topic": reply.topic, "sku": reply.sku, "source": reply.source,
            "answer_id": reply.answer_id,
            "handoff": {"id": reply.handoff.id, "created": reply.handoff_created}
            if reply.handoff else None}


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatCompletionRequest, request: Request):
    registry = request.app.state.registry
    registry.get(body.model)  # 404 naming the known markets
    question = next((m for m in reversed(body.messages) if m.role == "user"), None)
    if question is None:
        raise InputError("no_user_message", "messages must contain a user message")
    meta = body.metadata or {}
    room = request.headers.get("x-room") or meta.get("room") or f"openai-{body.model}"
    viewer = body.user or meta.get("viewer") or _conversation_viewer(request, body)
    reply = await request.app.state.chat.handle(
        Comment(room=room, market=body.model, viewer=viewer, text=_text_of(question))
    )
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        return {
            "id": cid, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply.text}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "cohost": _extras(reply),
        }

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        data = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        words = reply.text.split(" ")
        for i in range(0, len(words), 4):
            piece = " ".join(words[i:i + 4])
            yield chunk({"content": piece if i == 0 else " " + piece})
        yield chunk({}, "stop", cohost=_extras(reply))
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
