"""The service exactly as `make serve` runs it: the `assistant serve` CLI in a subprocess with the
shipped default settings. Only the port, the database path and a copy of prompts/ differ (and
whatever a test passes in `env`, for the tests of those settings themselves). Its log is kept
in a file so tests can read it (no traceback, no secret)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.server import free_port

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("assistant")


class CliServer:
    def __init__(self, tmp: Path, *, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = (), prompts: Path | None = None,
                 bind: str = "127.0.0.1"):
        self.tmp = tmp
        self.prompts = tmp / "prompts"
        if not self.prompts.exists():
            shutil.copytree(prompts or ROOT / "prompts", self.prompts)
        self.db = tmp / "db.sqlite3"
        self.port = free_port()
        self.log_path = tmp / "serve.log"
        # The shipped defaults, but for the calendar the tests pin (conftest.MARKET_DATE).
        base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        base.update(ASSISTANT_DB_PATH=str(self.db), ASSISTANT_PROMPTS_DIR=str(self.prompts))
        if "ASSISTANT_MARKET_DATE" in os.environ:
            base["ASSISTANT_MARKET_DATE"] = os.environ["ASSISTANT_MARKET_DATE"]
        base.update(env or {})
        self.env = base
        self.args = args
        self.bind = bind  # clients still connect over loopback
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        """Start `assistant serve` and wait for /healthz (start-up builds every market's
        indexes: 15-26 s on this 2-core machine when it is otherwise idle). A server that does
        not come up is stopped before the error, so no process or open log outlives it."""
        log = open(self.log_path, "a")  # noqa: SIM115 - the child writes it; closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            [str(EXE), "serve", "--host", self.bind, "--port", str(self.port), *self.args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"assistant serve exited {self.proc.returncode}:\n"
                                   f"{self.log()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"assistant serve did not answer /healthz:\n{self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


@contextmanager
def cli_server(tmp: Path, **kwargs) -> Iterator[CliServer]:
    srv = CliServer(tmp, **kwargs)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@contextmanager
def served_cleanly(tmp: Path, **kwargs) -> Iterator[CliServer]:
    """cli_server for a module's tests, and after them: no traceback or unhandled error in its
    log (a bug answered politely is still a bug)."""
    with cli_server(tmp, **kwargs) as srv:
        yield srv
        log = srv.log()
    for mark in ("Traceback", "unhandled error"):
        assert mark not in log, log[log.find(mark):][:3000]


async def recv_until(ws, pred, within: float = 20) -> tuple[dict, list[dict]]:
    """JSON frames from a websockets client until pred(frame): (that frame, all seen)."""
    import asyncio
    import json

    seen: list[dict] = []
    async with asyncio.timeout(within):
        while True:
            ev = json.loads(await ws.recv())
            seen.append(ev)
            if pred(ev):
                return ev, seen
