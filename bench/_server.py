"""Start `assistant serve` as its own process for a benchmark (so the client never shares
its event loop or its core budget accounting with the server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, db: Path, **env: str) -> subprocess.Popen:
    full = {**os.environ, "ASSISTANT_PORT": str(port), "ASSISTANT_DB_PATH": str(db),
            "ASSISTANT_LOG_LEVEL": "warning", "ASSISTANT_PLATFORM_TOKENS": "", **env}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve"], env=full, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")
