"""Credentials that are safe by default when the service is exposed, and the start-up banner.

On a loopback bind the documented development tokens (`dev-host-token`, `dev-operator-token`)
and an open viewer side are fine: only this machine can reach them. On any other bind (the
Docker image binds 0.0.0.0) they would let anyone who reaches the port set a price to $1 or
read transcripts, so - as Jupyter does - the service generates random tokens for every role
still on its development default, keeps them in `generated-tokens.json` (mode 0600) next to the
database so they survive restarts, and prints them when they are made. Configured tokens are
never touched; ASSISTANT_INSECURE_DEV_DEFAULTS=true keeps the development defaults anyway."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from assistant.config import DEV_HOST_TOKEN, DEV_OPERATOR_TOKEN, Settings

ROLES = ("platform", "host", "operator")
_DEV = {"host": DEV_HOST_TOKEN, "operator": DEV_OPERATOR_TOKEN, "platform": None}


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass
class CredentialReport:
    """What the banner says about each role's tokens."""

    public: bool
    state: dict[str, str] = field(default_factory=dict)  # role -> dev|open|configured|generated
    generated_now: dict[str, str] = field(default_factory=dict)  # role -> token, shown once
    file: Path | None = None


def _on_dev_default(settings: Settings, role: str) -> bool:
    tokens = [t.get_secret_value() for t in getattr(settings, f"{role}_tokens")]
    dev = _DEV[role]
    return tokens == ([] if dev is None else [dev])


def secure(settings: Settings) -> tuple[Settings, CredentialReport]:
    """The settings to serve with, and what was decided."""
    public = not is_loopback(settings.host)
    report = CredentialReport(public=public)
    defaults = [r for r in ROLES if _on_dev_default(settings, r)]
    for role in ROLES:
        if role not in defaults:
            report.state[role] = "configured"
        else:
            report.state[role] = "open" if _DEV[role] is None else "dev"
    if not public or settings.insecure_dev_defaults or not defaults:
        return settings, report
    path = Path(settings.db_path).parent / "generated-tokens.json"
    report.file = path
    saved = _read(path)
    changes: dict[str, list[SecretStr]] = {}
    for role in defaults:
        token = saved.get(role)
        if not token:
            token = saved[role] = secrets.token_urlsafe(24)
            report.generated_now[role] = token
        changes[f"{role}_tokens"] = [SecretStr(token)]
        report.state[role] = "generated"
    if report.generated_now:
        _write(path, saved)
    return settings.model_copy(update=changes), report


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {k: v for k, v in data.items() if k in ROLES and isinstance(v, str)}


def _write(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


_STATE_TEXT = {
    "configured": "configured",
    "open": "OPEN (no token needed)",
    "dev": "the development default (fine on this loopback bind only)",
    "generated": "generated",
}


def banner(settings: Settings, report: CredentialReport | None, *, markets: list[str],
           refused: dict[str, str], stale: dict[str, str], backend: str) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"Live co-host serving on {base} (dialogue: {backend})",
             f"  markets: {', '.join(markets) or 'NONE'}"]
    for mid, why in refused.items():
        lines.append(f"  REFUSED {mid}: {why}")
    for mid, why in stale.items():
        lines.append(f"  STALE {mid} (last good version serving): {why}")
    lines += [f"  consoles: {base}/console/markets (operator)  {base}/console/host (host)  "
              f"{base}/console/demo (voice)  {base}/docs (API)"]
    if report is not None:
        for role in ROLES:
            lines.append(f"  {role} tokens: {_STATE_TEXT[report.state[role]]}")
        for role, token in report.generated_now.items():
            lines.append(f"  NEW {role} token (shown once; kept in {report.file}): {token}")
        if report.public and not report.generated_now and report.file is not None:
            lines.append(f"  generated tokens are in {report.file}")
        if report.public and settings.insecure_dev_defaults:
            lines.append("  WARNING: ASSISTANT_INSECURE_DEV_DEFAULTS is on with a public bind: "
                         "anyone who can reach this port can edit prices and read transcripts")
    return "\n".join(lines)
