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
    # The shipped default log level (info), as users run it, unless the caller's environment
    # says otherwise: a benchmark at another level once hid a crash of every buyer's reply.
    # Campaigns are judged on a day all the demo markets' run (the evaluation sets ask about
    # them), unless the caller's environment says otherwise.
    full = {"ASSISTANT_LOG_LEVEL": "info", "ASSISTANT_MARKET_DATE": "2026-12-01",
            **os.environ, "ASSISTANT_PORT": str(port),
            "ASSISTANT_DB_PATH": str(db), "ASSISTANT_PLATFORM_TOKENS": "", **env}
    # Server log to a file: at info it says a line per handoff, which a terminal would drown in.
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve"], env=full, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            # Measure the warmed-up service: the speech engines load in the background at
            # start-up and would share the cores with the first seconds of a benchmark.
            if r.status_code == 200 and r.json().get("voice") != "loading":
                return proc
            time.sleep(0.2)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")
