"""Logging can never break a reply, and every error a client sees has one JSON shape: a bug is a
500 with a reference (never its text), a dead store a 503, on HTTP and on the comment stream."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import websockets

from assistant.logs import JsonFormatter, RedactSecrets, TextFormatter


def _record(logger: logging.Logger, **extra) -> logging.LogRecord:
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("handoff", extra=extra)
    finally:
        logger.removeHandler(handler)
    return records[0]


def test_reserved_field_names_never_raise_and_are_kept():
    log = logging.getLogger("assistant.test.reserved")
    rec = _record(log, created=True, name="x", msg="m", room="r1")
    assert rec.fields == {"created": True, "name": "x", "msg": "m", "room": "r1"}
    assert rec.room == "r1" and rec.name == "assistant.test.reserved"  # the record's own stay
    line = TextFormatter().format(rec)
    assert line.endswith('handoff created=true name="x" msg="m" room="r1"')
    out = json.loads(JsonFormatter().format(rec))
    assert out["message"] == "handoff" and out["created"] is True and out["room"] == "r1"
    assert out["logger"] == "assistant.test.reserved" and out["level"] == "info"


def test_tokens_are_masked_in_access_log_lines():
    rec = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                            ("1.2.3.4:5", "GET", "/v1/handoffs/feed?room=a&token=s3cret", "1.1",
                             101), None)
    RedactSecrets().filter(rec)
    assert "s3cret" not in rec.getMessage() and "token=***" in rec.getMessage()
    assert "room=a" in rec.getMessage()


@pytest.fixture
def broken(server):
    """Failure injection: the chat turn raises a bug whose text must not reach a client."""
    chat = server.app.state.chat
    original = chat.handle

    async def bug(_comment):
        raise RuntimeError("secret detail /srv/app/internal.py")

    chat.handle = bug
    yield server
    chat.handle = original


def test_a_bug_is_a_json_500_with_a_reference_and_no_internals(broken, platform_headers):
    r = httpx.post(f"{broken.url}/v1/rooms/r/messages", headers=platform_headers,
                   json={"market": "us", "viewer_id": "v", "text": "how much is the hoodie?"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    err = r.json()["error"]
    assert err["code"] == "internal_error" and err["reference"] in err["message"]
    assert "secret" not in r.text and "RuntimeError" not in r.text


async def test_a_bug_on_the_stream_is_an_error_event_and_the_stream_stays(broken):
    from tests.conftest import PLATFORM_TOKEN

    url = f"{broken.ws_url}/v1/rooms/r2/stream?market=us&token={PLATFORM_TOKEN}"
    async with websockets.connect(url) as ws:
        await ws.recv()
        await ws.send(json.dumps({"viewer_id": "v", "text": "how much?"}))
        ev = json.loads(await ws.recv())
        assert ev["type"] == "error" and ev["code"] == "internal_error"
        assert ev["viewer_id"] == "v" and "secret" not in json.dumps(ev)
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


def test_a_dead_store_is_503_for_a_buyer_and_the_service_keeps_answering(server,
                                                                          platform_headers):
    store = server.app.state.store
    store.close_all()  # failure injection: the database connection is gone
    c = httpx.Client(base_url=server.url, headers=platform_headers)
    with c:
        r = c.post("/v1/rooms/r3/messages", json={"market": "us", "viewer_id": "buyer",
                                                  "text": "I want to buy the hoodie now"})
        assert r.status_code == 503
        err = r.json()["error"]
        assert err["code"] == "backend_unavailable" and err["retryable"] is True
        # Questions that need no store still get answers.
        r = c.post("/v1/rooms/r3/messages", json={"market": "us", "viewer_id": "asker",
                                                  "text": "how much is the hoodie?"})
        assert r.status_code == 200 and "$" in r.json()["text"]


def test_unknown_route_and_method_have_the_error_shape(server):
    r = httpx.get(f"{server.url}/v1/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.delete(f"{server.url}/v1/markets")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
