"""A real local chat-completions server for tests (stdlib http.server on a free loopback port, in
a background thread), with scriptable misbehaviour: reply (streamed in small SSE chunks), hang
before answering, hang after the first chunk, fail with a status, or drop the connection
mid-stream. It records every request so tests can assert what prompt was sent.

Plain http.server rather than an ASGI app so that a test controls the bytes on the socket:
"drop mid-stream" is a closed socket inside a chunked body, which the client must see as an error.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    text: str
    chunk_chars: int = 6
    first_chunk_s: float = 0.0  # scripted pace: a wait before the first chunk ...
    chunk_interval_s: float = 0.0  # ... and between chunks


@dataclass(frozen=True)
class Hang:
    """Read the request, never answer."""


@dataclass(frozen=True)
class HangAfterFirstChunk:
    text: str


@dataclass(frozen=True)
class Status:
    code: int
    message: str = "scripted failure"


@dataclass(frozen=True)
class DropMidStream:
    text: str


Behaviour = Reply | Hang | HangAfterFirstChunk | Status | DropMidStream


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body.get("messages", [])


def _chunk(model: str, content: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    return {
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.owner.record(RecordedRequest(
            self.path, {k.lower(): v for k, v in self.headers.items()}, body
        ))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, {"error": {"message": "not found", "type": "not_found"}})
        behaviour = self.server.owner.next_behaviour()
        model = body.get("model", "test-model")
        if isinstance(behaviour, Hang):
            self.server.owner.stopping.wait()
            self.close_connection = True
            return None
        if isinstance(behaviour, Status):
            err = {"message": behaviour.message, "type": "scripted", "code": str(behaviour.code)}
            return self._json(behaviour.code, {"error": err})
        text = behaviour.text
        if not body.get("stream"):
            return self._json(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
            })
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        size = behaviour.chunk_chars if isinstance(behaviour, Reply) else max(1, len(text) // 3)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        pace = behaviour if isinstance(behaviour, Reply) else None
        if pace and pace.first_chunk_s:
            time.sleep(pace.first_chunk_s)
        try:
            self._stream(model, behaviour, pieces, pace)
        except (BrokenPipeError, ConnectionResetError):
            self.server.owner.outcomes.append((text, "aborted"))  # the client hung up
            self.server.owner.hung_up.set()
            self.close_connection = True
        return None

    def _stream(self, model: str, behaviour: Behaviour, pieces: list[str],
                pace: Reply | None) -> None:
        for i, piece in enumerate(pieces):
            if i and pace and pace.chunk_interval_s:
                time.sleep(pace.chunk_interval_s)
            self._sse(_chunk(model, piece))
            if i == 0 and isinstance(behaviour, HangAfterFirstChunk):
                self.server.owner.stopping.wait()
                self.close_connection = True
                return None
            if i == 0 and isinstance(behaviour, DropMidStream):
                # Close inside the chunked body: an incomplete message, not a clean end.
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return None
        self._sse(_chunk(model, None, "stop"))
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")
        self.server.owner.finished.append(time.perf_counter())
        self.server.owner.outcomes.append((behaviour.text, "finished"))  # sent whole

    def _sse(self, payload: dict[str, Any]) -> None:
        self._write_chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out close their socket; that is the point of several tests


class LLMServer:
    """`with LLMServer() as srv:` serves on `srv.base_url` (".../v1"). `script(...)` queues
    behaviours for the next requests; after the queue, `default` is used."""

    def __init__(self, default: Behaviour | None = None):
        self.default: Behaviour = default or Reply("Hello from the test server.")
        self.requests: list[RecordedRequest] = []
        self.finished: list[float] = []  # perf_counter() when each stream was sent whole
        self.hung_up = threading.Event()  # set at the first hang-up
        # (text, "finished" | "aborted") per stream: a hang-up is seen only at the next write,
        # so the times of two streams do not say which one was cut.
        self.outcomes: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.finished.clear()
            self.outcomes.clear()
            self.hung_up.clear()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()  # releases hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)


@contextmanager
def dead_endpoint() -> Iterator[str]:
    """A base URL on a loopback port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1"
