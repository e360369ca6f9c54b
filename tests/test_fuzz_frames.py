"""Malformed and random frames on every WebSocket of the shipped service (`assistant serve` with
its default settings, in a subprocess): each socket takes a few thousand seeded random frames -
broken and deeply nested JSON, NaN/Infinity, lone surrogates, wrong field types, binary junk,
oversized frames, random event payloads - and must answer with error events and stay open:
after every batch a ping (comment stream) or an empty session.update (Realtime) still gets its
answer, and at the end a real question is answered. No frame may leave a traceback in the log.

One such frame used to close the whole platform connection (1006) for every viewer on it."""

from __future__ import annotations

import base64
import json
import random

import pytest
import websockets

from tests.cli_server import recv_until, served_cleanly

SEED = 20261202
FRAMES = 2400
BATCH = 200
LIMIT = 16_384  # the default ASSISTANT_MAX_WS_MESSAGE_BYTES

_TEXTS = ["how much is the hoodie?", "ship to Brazil?", "\ud800", "a\udfffb", "\x00\x01",
          "🔥🔥", "", " ", "x" * 600, "¿talla M?", "このパーカー", "\u202e", "\ufeff"]


def _scalar(r: random.Random):
    return r.choice([None, True, False, 0, -1, 2**70, 1.5, -0.0, 1e308, "", "x",
                     r.choice(_TEXTS), [], {}])


def _value(r: random.Random, depth: int = 0):
    if depth > 6 or r.random() < 0.4:
        return _scalar(r)
    if r.random() < 0.5:
        return [_value(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {r.choice(["type", "viewer_id", "text", "ts", "lang", "sku", "session", "audio",
                      "\ud800", "x"]): _value(r, depth + 1) for _ in range(r.randint(0, 4))}


def _encode(obj) -> str:
    # ensure_ascii keeps lone surrogates as \\ud800 escapes: exactly what a client can send.
    return json.dumps(obj)


def _raw_variants(r: random.Random) -> str | bytes:
    kind = r.randrange(9)
    if kind == 0:
        n = r.choice([40, 1000, 8000])
        return "[" * n + "]" * n
    if kind == 1:
        return r.choice(["NaN", "Infinity", "-Infinity", '{"ts": NaN}', '{"text": Infinity}',
                         '{"viewer_id": "v", "text": "hi", "ts": -Infinity}'])
    if kind == 2:
        good = _encode({"viewer_id": "v", "text": "how much?"})
        cut = r.randrange(len(good))
        return good[:cut]
    if kind == 3:
        return bytes(r.randrange(256) for _ in range(r.randint(1, 64)))
    if kind == 4:
        return "x" * (LIMIT + r.randint(1, 5000))
    if kind == 5:
        return '{"a":' * 5000 + "1" + "}" * 5000
    if kind == 6:
        return '{"viewer_id": "\\ud800", "text": "how much is the hoodie?"}'
    if kind == 7:
        return "\ufeff" + _encode({"viewer_id": "v", "text": "hi"})
    return _encode(_value(r))


def comment_frames(r: random.Random):
    for _ in range(FRAMES):
        roll = r.random()
        if roll < 0.35:
            yield _raw_variants(r)
        elif roll < 0.7:
            yield _encode({"viewer_id": _value(r) if r.random() < 0.5 else f"f{r.randrange(999)}",
                           "text": _value(r) if r.random() < 0.5 else r.choice(_TEXTS),
                           "ts": _scalar(r), "lang": _scalar(r)})
        elif roll < 0.85:
            yield _encode({"type": r.choice(["stage", "comment", "bogus", 5, None]),
                           "sku": _scalar(r)})
        else:
            yield _encode(_value(r))


_EVENTS = ["session.update", "input_audio_buffer.append", "input_audio_buffer.commit",
           "input_audio_buffer.clear", "response.create", "response.cancel",
           "conversation.item.truncate", "nope", ""]


def realtime_frames(r: random.Random):
    for _ in range(FRAMES):
        roll = r.random()
        if roll < 0.3:
            yield _raw_variants(r)
            continue
        event: dict = {"type": r.choice(_EVENTS)}
        if r.random() < 0.3:
            event["event_id"] = _scalar(r)
        kind = event["type"]
        if kind == "session.update":
            event["session"] = r.choice([
                _value(r), {"audio": _value(r)}, {"audio": {"input": _value(r)}},
                {"audio": {"input": {"format": _value(r), "turn_detection": _value(r)}}},
                {"audio": {"output": {"format": {"type": "audio/pcm", "rate": _scalar(r)}}}},
                {"audio": 5}])
        elif kind == "input_audio_buffer.append":
            event["audio"] = r.choice([
                _scalar(r), "!!notbase64", base64.b64encode(bytes(r.randrange(256)
                                                                  for _ in range(33))).decode(),
                base64.b64encode(bytes(640)).decode()])
        elif kind == "conversation.item.truncate":
            event.update(item_id=_scalar(r), audio_end_ms=_scalar(r), content_index=_scalar(r))
        else:
            event.update({"x": _value(r)} if r.random() < 0.3 else {})
        yield _encode(event)


async def _send(ws, frame: str | bytes) -> None:
    await ws.send(frame)


async def _until(ws, pred, within: float = 20) -> list[dict]:
    return (await recv_until(ws, pred, within))[1]


async def _sync(ws, marker: str) -> list[dict]:
    """Every Realtime event up to the answer to a marker event (errors echo the event_id)."""
    await ws.send(json.dumps({"type": "sync.marker", "event_id": marker}))
    return await _until(ws, lambda e: e["type"] == "error"
                        and e["error"].get("event_id") == marker)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with served_cleanly(tmp_path_factory.mktemp("fuzz")) as srv:
        yield srv


async def test_comment_stream_survives_random_frames(served):
    r = random.Random(SEED)
    errors = 0
    async with websockets.connect(f"{served.ws_url}/v1/rooms/fuzz/stream?market=us",
                                  max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        for i, frame in enumerate(comment_frames(r), 1):
            await _send(ws, frame)
            if i % BATCH == 0:
                await ws.send(json.dumps({"type": "ping"}))
                got = await _until(ws, lambda e: e["type"] == "pong")
                errors += sum(e["type"] == "error" for e in got)
                assert all(e["type"] in ("error", "answer", "answer.addressed",
                                         "stage.updated", "pong") for e in got), got
                assert not any(e.get("code") == "internal_error" for e in got), got
        await ws.send(json.dumps({"viewer_id": "after-fuzz", "text": "how much is the bottle?"}))
        got = await _until(ws, lambda e: e["type"] == "answer"
                           and e["viewer_ids"] == ["after-fuzz"])
    assert "$" in got[-1]["text"]
    assert errors > FRAMES // 3  # the junk was answered with errors, not swallowed


async def test_realtime_survives_random_frames(served):
    r = random.Random(SEED + 1)
    async with websockets.connect(f"{served.ws_url}/v1/realtime?model=us&viewer=fuzz",
                                  max_size=None) as ws:
        await _until(ws, lambda e: e["type"] == "session.created")
        errors = 0
        for i, frame in enumerate(realtime_frames(r), 1):
            await _send(ws, frame)
            if i % BATCH == 0:
                got = await _sync(ws, f"sync-{i}")
                bad = [e for e in got if e["type"] == "error"]
                errors += len(bad)
                assert all(e["error"]["code"] != "internal_error" for e in bad), bad
        # Still a working voice session: a real setting change is applied.
        await ws.send(json.dumps({"type": "session.update", "session": {"audio": {
            "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 640}}}}}))
        got = await _sync(ws, "sync-end")
    td = [e for e in got if e["type"] == "session.updated"][-1]["session"]["audio"]["input"][
        "turn_detection"]
    assert td["silence_duration_ms"] == 640
    assert errors > FRAMES // 3


async def test_the_smoke_frames_each_get_an_error_and_the_next_comment_an_answer(served):
    async with websockets.connect(f"{served.ws_url}/v1/rooms/smoke/stream?market=us") as ws:
        await ws.recv()
        for frame in ('{"viewer_id": "\\ud800", "text": "how much is the hoodie?"}',
                      "[" * 8000 + "]" * 8000, '{"viewer_id": "v", "text": "hi", "ts": NaN}'):
            await ws.send(frame)
            ev = json.loads(await ws.recv())
            assert ev["type"] == "error" and ev["code"] in ("invalid_text", "invalid_json"), ev
        await ws.send(json.dumps({"viewer_id": "ok", "text": "how much is the hoodie?"}))
        assert json.loads(await ws.recv())["type"] == "answer"
    async with websockets.connect(f"{served.ws_url}/v1/realtime?model=us") as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "session.update", "session": {"audio": 5}}))
        ev = json.loads(await ws.recv())
        assert ev["type"] == "error" and ev["error"]["code"] == "invalid_session"
        assert "session.audio" in ev["error"]["message"]
