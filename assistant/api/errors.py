"""Error mapping: every error a client sees has one shape, built by one function.

HTTP: `{"error": {"code", "message", ...}}` with a status; the comment stream: the same fields
in an `{"type": "error", ...}` event; Realtime: its own `error` event built from the same
payload. `to_payload` is total: an exception it does not know is a bug, answered 500
`internal_error` with a reference that is also in the log, never with its text (internals,
paths, SQL). Backend outages (LLM, STT, TTS, store) are 503 `backend_unavailable`."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.errors import (
    AssistantError,
    BackendError,
    ConfigError,
    InputError,
    MarketError,
    ProtocolError,
    UnknownMarket,
)

log = logging.getLogger(__name__)


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def error_event(code: str, message: str, **extra) -> dict:
    """The WebSocket form of an error."""
    return {"type": "error", "code": code, "message": message, **extra}


def to_payload(exc: BaseException) -> tuple[int, dict]:
    """(HTTP status, error body) for any exception; logs the ones that are bugs."""
    if isinstance(exc, UnknownMarket):
        return 404, error_body("unknown_market", str(exc), known_markets=exc.known)
    if isinstance(exc, InputError):
        return exc.status, error_body(exc.code, str(exc))
    if isinstance(exc, ProtocolError):
        return 409 if exc.code == "room_market_mismatch" else 400, error_body(exc.code, str(exc))
    if isinstance(exc, BackendError):
        return 503, error_body("backend_unavailable", str(exc), retryable=exc.retryable)
    if isinstance(exc, ConfigError):  # e.g. a model not installed: the message names the fix
        return 503, error_body("not_configured", str(exc), retryable=False)
    if isinstance(exc, MarketError):
        return 422, error_body("invalid_market", str(exc), problems=[
            {"file": p.file, "field": p.field, "message": p.message} for p in exc.problems])
    if isinstance(exc, AssistantError) and isinstance(getattr(exc, "code", None), str):
        # Errors of a component that carry their own status (the operator's OperatorError).
        extra = getattr(exc, "extra", None) or {}
        return int(getattr(exc, "status", 400)), error_body(exc.code, str(exc), **extra)
    ref = uuid.uuid4().hex[:12]
    log.error("unhandled error", exc_info=exc, extra={"reference": ref})
    return 500, error_body("internal_error", f"internal error (reference {ref})",
                           reference=ref)


def event_payload(exc: BaseException, **extra: Any) -> dict:
    """The comment-stream error event for an exception."""
    _, body = to_payload(exc)
    err = body["error"]
    return error_event(err.pop("code"), err.pop("message"), **extra, **err)


class Boundary:
    """Outermost ASGI middleware of HTTP requests: refuses oversized bodies before they are read,
    and answers any exception that escaped the routes with the JSON error shape (Starlette's
    default is a plain-text 500). Pure ASGI: no per-request task, unlike BaseHTTPMiddleware."""

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _send_json(send, 413, error_body(
                    "body_too_large", f"request body is {int(value)} bytes; the limit is "
                    f"{self.max_body}"))
                return
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            status, body = to_payload(exc)
            if started:  # too late for a status: the client sees a cut response
                return
            await _send_json(send, status, body)


async def _send_json(send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def install(app: FastAPI) -> None:
    async def assistant_error(_: Request, exc: Exception) -> JSONResponse:
        status, body = to_payload(exc)
        return JSONResponse(body, status_code=status)

    app.add_exception_handler(AssistantError, assistant_error)

    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 429: "rate_limited"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    app.add_exception_handler(HTTPException, http_error)

    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
            for e in exc.errors()
        ]
        msg = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(error_body("invalid_request", msg, problems=problems),
                            status_code=422)

    app.add_exception_handler(RequestValidationError, validation_error)
