"""Wire schemas of the chat and host HTTP endpoints (pydantic; the hot WebSocket path parses
plain dicts instead, see api/chat.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    market: str = Field(min_length=1, max_length=64)
    viewer_id: str = Field(min_length=1, max_length=128)
    text: str
    ts: float | None = None
    lang: str | None = Field(default=None, max_length=8)


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    market: str = Field(min_length=1, max_length=64)
    sku: str | None = Field(default=None, max_length=64)
