"""Credentials per role. Tokens come from settings; comparison is constant-time.

Roles never overlap: a platform (viewer-side) token is not accepted where a host or operator
token is needed, because each role is checked against its own list only."""

from __future__ import annotations

import hashlib
import hmac
import logging
from enum import StrEnum

from fastapi import HTTPException, Request, WebSocket, status
from pydantic import SecretStr

log = logging.getLogger("assistant.audit")


class Role(StrEnum):
    PLATFORM = "platform"
    HOST = "host"
    OPERATOR = "operator"


def token_from(conn: Request | WebSocket) -> str | None:
    auth = conn.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    # Browsers cannot set headers on a WebSocket: accept ?token= there too.
    return conn.query_params.get("token") or None


def _matches(token: str, allowed: list[SecretStr]) -> bool:
    # Compare against every token so that timing reveals neither which nor how many matched.
    found = False
    for t in allowed:
        found |= hmac.compare_digest(token.encode(), t.get_secret_value().encode())
    return found


def check(conn: Request | WebSocket, role: Role) -> str:
    """Return the caller's identity (a short token fingerprint) or raise 401/403."""
    settings = conn.app.state.settings
    allowed: list[SecretStr] = getattr(settings, f"{role.value}_tokens")
    token = token_from(conn)
    if role is Role.PLATFORM and not allowed:
        return "anonymous"  # no platform tokens configured: the viewer side is open (dev default)
    where = conn.url.path
    if token is None:
        log.warning("auth missing", extra={"role": role.value, "path": where})
        _audit_refusal(conn, role, None, 401)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    if not _matches(token, allowed):
        log.warning("auth refused", extra={"role": role.value, "path": where})
        _audit_refusal(conn, role, token, 403)
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"token is not valid for the {role} role")
    # An identity for audit logs and handoff actions that does not reveal the token.
    return f"{role.value}:{_fingerprint(token)}"


def _audit_refusal(conn: Request | WebSocket, role: Role, token: str | None, code: int) -> None:
    """Every refused request, whatever the role, goes into the operator's audit trail (who is a
    token fingerprint, never the token)."""
    editor = getattr(conn.app.state, "operator", None)
    if editor is None:
        return
    who = "anonymous" if token is None else f"token:{_fingerprint(token)}"
    method = getattr(conn, "method", "WS")
    editor.store.audit(who=who, action=f"{method} {conn.url.path}",
                       market=conn.path_params.get("market_id"),
                       outcome=f"refused_{code}", detail=f"needs the {role.value} role")


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def require(role: Role):
    """FastAPI dependency for HTTP routes."""

    def dep(request: Request) -> str:
        return check(request, role)

    return dep
