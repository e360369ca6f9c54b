"""The voice session cap under a cold start, on the shipped CLI with its default settings
(8 sessions): 30 simultaneous connects to a server that has just started. 8 sessions start;
every other connection gets an immediate `too_many_sessions` error event and close code 1013 -
none is left open with no event. Engines are loaded once (at start-up), not per session."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.cli_server import served_cleanly

pytestmark = pytest.mark.slow
CONNECTS = 30
CAP = 8  # the default ASSISTANT_VOICE_MAX_SESSIONS


async def _connect(url: str, i: int, release: asyncio.Event) -> tuple[str, object]:
    ws = await websockets.connect(f"{url}/v1/realtime?model=us&viewer=cap-{i}")
    try:
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if first["type"] == "session.created":
            await release.wait()  # hold the slot until every connection has its answer
            return "created", None
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            return first["error"]["code"], closed.rcvd.code if closed.rcvd else None
        return first["error"]["code"], "still open"
    finally:
        await ws.close()


async def test_cold_start_burst_over_the_cap_is_refused_at_once(tmp_path):
    with served_cleanly(tmp_path) as srv:
        release = asyncio.Event()
        tasks = [asyncio.create_task(_connect(srv.ws_url, i, release)) for i in range(CONNECTS)]
        refused = []
        async with asyncio.timeout(60):
            for done in asyncio.as_completed(tasks):
                refused.append(await done)
                if len(refused) == CONNECTS - CAP:
                    break  # every refusal came while the 8 sessions were still open
        release.set()
        # The ones still open are the sessions that started, holding their slots till now.
        started = await asyncio.gather(*[t for t in tasks if not t.done()])
        log = srv.log()
    assert set(refused) == {("too_many_sessions", 1013)}
    assert started == [("created", None)] * CAP
    assert log.count("voice engines loaded") == 1
