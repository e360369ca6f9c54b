"""The operator API: read, validate, update, diff, roll back and try a market's data.

Operator role only. Every request is written to the audit trail with its outcome, including the
refused ones (missing or wrong token). The editor lives in `app.state.operator` (see
`assistant.operator.make_operator`). Handlers are plain `def`: they do file and SQLite I/O and
FastAPI runs them in its worker threads, off the event loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.auth import Role, check
from assistant.api.errors import error_body
from assistant.operator.editor import MarketEditor, OperatorError
from assistant.operator.store import Version

router = APIRouter(prefix="/v1/operator", tags=["operator"])


class Documents(BaseModel):
    """Any subset of a market's four documents; absent ones are left as they are."""

    model_config = ConfigDict(extra="forbid")

    market: dict[str, Any] | None = None
    system_prompt: str | None = Field(default=None, min_length=1)
    products: list[Any] | None = None
    faq: list[Any] | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class UpdateBody(Documents):
    base_version: int


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    base_version: int


class TryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draft: Documents | None = None
    text: str = Field(min_length=1, max_length=500)
    lang: str | None = None


def editor_of(request: Request) -> MarketEditor:
    return request.app.state.operator


def _action(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def operator_identity(request: Request) -> str:
    """The operator's identity; check() audits a refused request before the 401/403 goes out."""
    return check(request, Role.OPERATOR)


Operator = Depends(operator_identity)


def run_audited(request: Request, who: str, market: str | None,
                fn: Callable[[], tuple[Any, str]]):
    """Run one operator action; audit it with its outcome; map refusals to error bodies."""
    store = editor_of(request).store
    try:
        result, detail = fn()
    except OperatorError as e:
        store.audit(who=who, action=_action(request), market=market, outcome=e.code,
                    detail=str(e))
        return JSONResponse(error_body(e.code, str(e), **e.extra), status_code=e.status)
    store.audit(who=who, action=_action(request), market=market, outcome="ok", detail=detail)
    return result


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _meta(v: Version) -> dict:
    return {**v.meta(), "when": _iso(v.ts)}


@router.get("/markets")
def list_markets(request: Request, who: str = Operator) -> Any:
    return run_audited(request, who, None, lambda: (editor_of(request).markets(), ""))


@router.get("/markets/{market_id}")
def read_market(market_id: str, request: Request, who: str = Operator) -> Any:
    return run_audited(request, who, market_id, lambda: (editor_of(request).read(market_id), ""))


@router.put("/markets/{market_id}")
def update_market(market_id: str, body: UpdateBody, request: Request,
                  who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        docs = Documents.model_validate(body.model_dump(exclude={"base_version"})).given()
        v, changed = editor_of(request).update(market_id, docs, base_version=body.base_version,
                                             who=who)
        detail = f"version {v.version}: {v.summary}" if changed else "no change"
        return {**_meta(v), "changed": changed}, detail

    return run_audited(request, who, market_id, do)


@router.post("/markets/{market_id}/validate")
def validate_market(market_id: str, body: Documents, request: Request,
                    who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        m = editor_of(request).validate(market_id, body.given())
        return {"valid": True, "products": len(m.products), "faq": len(m.faq)}, "valid"

    return run_audited(request, who, market_id, do)


@router.get("/markets/{market_id}/versions")
def list_versions(market_id: str, request: Request, who: str = Operator,
                  limit: int = Query(100, ge=1, le=1000)) -> Any:
    def do() -> tuple[dict, str]:
        vs = editor_of(request).versions(market_id, limit)
        return {"market": market_id, "versions": [_meta(v) for v in vs]}, ""

    return run_audited(request, who, market_id, do)


@router.get("/markets/{market_id}/versions/{n}")
def read_version(market_id: str, n: int, request: Request, who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        editor = editor_of(request)
        v = editor.version(market_id, n)
        return {"id": market_id, **_meta(v), **editor.documents(v)}, f"version {n}"

    return run_audited(request, who, market_id, do)


@router.get("/markets/{market_id}/diff")
def diff(market_id: str, request: Request, who: str = Operator,
         from_: int = Query(alias="from"), to: int | None = None) -> Any:
    def do() -> tuple[dict, str]:
        return editor_of(request).diff(market_id, from_, to), f"{from_}..{to or 'current'}"

    return run_audited(request, who, market_id, do)


@router.post("/markets/{market_id}/rollback")
def rollback(market_id: str, body: RollbackBody, request: Request, who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        v = editor_of(request).rollback(market_id, version=body.version,
                                      base_version=body.base_version, who=who)
        return _meta(v), f"version {v.version}: {v.summary}"

    return run_audited(request, who, market_id, do)


@router.post("/markets/{market_id}/try")
def try_answer(market_id: str, body: TryBody, request: Request, who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        draft = body.draft.given() if body.draft else None
        out = editor_of(request).try_answer(market_id, body.text, draft=draft, lang=body.lang)
        return ({**out, "draft": draft is not None},
                f"lang={out['lang']} topic={out['topic']} draft={draft is not None}")

    return run_audited(request, who, market_id, do)


@router.get("/audit")
def audit(request: Request, who: str = Operator, limit: int = Query(100, ge=1, le=1000),
          market: str | None = None) -> dict:
    entries = editor_of(request).store.audit_log(limit=limit, market=market)
    return {"entries": [
        {"ts": _iso(e.ts), "who": e.who, "action": e.action, "market": e.market,
         "outcome": e.outcome, "detail": e.detail}
        for e in entries
    ]}
