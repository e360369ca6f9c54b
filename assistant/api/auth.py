"""Credentials per role. Tokens come from settings; comparison is constant-time.

Roles never overlap: a platform (viewer-side) token is not accepted where a host or operator
token is needed, because each role is checked against its own list only."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
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
    # Browsers cannot set headers on a WebSocket: accept ?token= there, and only there (a
    # token in an HTTP URL ends up in histories, proxies and logs).
    if conn.scope["type"] == "websocket":
        return conn.query_params.get("token") or None
    return None


def origin_allowed(ws: WebSocket) -> bool:
    """A browser's WebSocket carries its page's Origin: the service's own pages and the CORS
    origins may connect, other sites may not (cross-site WebSocket hijacking). Clients that are
    not browsers send no Origin."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    if origin in ws.app.state.settings.cors_origins:
        return True
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


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
    if conn.scope["type"] == "websocket" and not origin_allowed(conn):
        log.warning("websocket origin refused", extra={"origin": conn.headers.get("origin"),
                                                       "path": conn.url.path})
        _audit_refusal(conn, role, None, 403)
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "this page's origin may not open this WebSocket (add it to "
                            "ASSISTANT_CORS_ORIGINS)")
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


_REFUSAL_WINDOW_S = 60.0


class RefusalLog:
    """Refused requests go into the audit trail, aggregated: at most one row per minute per
    (role, status, route), counting the ones in between. A flood of bad tokens (2,000 requests
    once added 18 MB in 8 s) costs a few rows, not one each."""

    def __init__(self, clock=time.monotonic, max_keys: int = 10_000):
        self._clock = clock
        self._max_keys = max_keys
        self._windows: dict[tuple, list] = {}  # key -> [window start, suppressed, who seen]

    def admit(self, key: tuple, who: str) -> tuple[bool, int, int]:
        """(write a row now?, refusals suppressed in the window before, distinct callers)."""
        now = self._clock()
        w = self._windows.get(key)
        if w is not None and now - w[0] < _REFUSAL_WINDOW_S:
            w[1] += 1
            if len(w[2]) < 100:
                w[2].add(who)
            return False, 0, 0
        if len(self._windows) >= self._max_keys:
            self._windows.clear()
        self._windows[key] = [now, 0, {who}]
        return True, (w[1] if w else 0), (len(w[2]) if w else 0)

    def flush(self, store) -> None:
        """At shutdown: the counts no later row reported."""
        for (role, code, method, route), (_, suppressed, whos) in self._windows.items():
            if suppressed:
                store.audit(who="aggregate", action=f"{method} {route}", market=None,
                            outcome=f"refused_{code}",
                            detail=f"needs the {role} role; {suppressed} more refused in the "
                            f"last minute (from {len(whos)} caller(s))")
        self._windows.clear()


def _audit_refusal(conn: Request | WebSocket, role: Role, token: str | None, code: int) -> None:
    """Every refused request, whatever the role, is in the operator's audit trail (who is a
    token fingerprint, never the token), aggregated per minute (RefusalLog)."""
    editor = getattr(conn.app.state, "operator", None)
    if editor is None:
        return
    who = "anonymous" if token is None else f"token:{_fingerprint(token)}"
    method = getattr(conn, "method", "WS")
    route = getattr(conn.scope.get("route"), "path", None) or conn.url.path
    refusals: RefusalLog = conn.app.state.refusals
    write, suppressed, callers = refusals.admit((role.value, code, method, route), who)
    if not write:
        return
    detail = f"needs the {role.value} role"
    if suppressed:
        detail += (f"; {suppressed} more refused in the minute before (from {callers} "
                   "caller(s))")
    editor.store.audit(who=who, action=f"{method} {conn.url.path}"[:300],
                       market=conn.path_params.get("market_id"),
                       outcome=f"refused_{code}", detail=detail)


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def require(role: Role):
    """FastAPI dependency for HTTP routes."""

    def dep(request: Request) -> str:
        return check(request, role)

    return dep
