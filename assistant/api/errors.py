"""Error mapping: every error a client sees has the shape {"error": {"code", "message", ...}}."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.errors import InputError, ProtocolError, UnknownMarket


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def error_event(code: str, message: str, **extra) -> dict:
    """The WebSocket form of an error."""
    return {"type": "error", "code": code, "message": message, **extra}


def exception_payload(exc: Exception) -> tuple[int, dict]:
    if isinstance(exc, UnknownMarket):
        return 404, error_body("unknown_market", str(exc), known_markets=exc.known)
    if isinstance(exc, InputError):
        return exc.status, error_body(exc.code, str(exc))
    if isinstance(exc, ProtocolError):
        return 409 if exc.code == "room_market_mismatch" else 400, error_body(exc.code, str(exc))
    raise exc


def install(app: FastAPI) -> None:
    async def assistant_error(_: Request, exc: Exception) -> JSONResponse:
        status, body = exception_payload(exc)
        return JSONResponse(body, status_code=status)

    for cls in (UnknownMarket, InputError, ProtocolError):
        app.add_exception_handler(cls, assistant_error)

    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(
            exc.status_code, "http_error"
        )
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
