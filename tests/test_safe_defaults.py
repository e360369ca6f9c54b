"""Safe by default when exposed, through the shipped CLI: on a public bind the development
tokens and the open viewer side are replaced by generated tokens (kept across restarts, shown
once), unless explicitly allowed; a start-up banner says what serves and how it is protected;
tokens travel in URLs only where browsers need it (WebSockets) and never reach the log;
browser WebSockets from foreign origins are refused; refused requests do not grow the audit
trail one row each."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import stat

import httpx
import pytest
import websockets

from tests.cli_server import ROOT, cli_server

DEV_OPERATOR = {"Authorization": "Bearer dev-operator-token"}


def test_public_bind_generates_tokens_once_and_refuses_the_dev_ones(tmp_path):
    with cli_server(tmp_path, bind="0.0.0.0") as srv:
        log = srv.log()
        new = dict(re.findall(r"NEW (\w+) token \(shown once; kept in [^)]+\): (\S+)", log))
        assert set(new) == {"platform", "host", "operator"}
        c = httpx.Client(base_url=srv.url)
        with c:
            assert c.get("/v1/operator/markets", headers=DEV_OPERATOR).status_code == 403
            r = c.post("/v1/rooms/r/messages",
                       json={"market": "us", "viewer_id": "v", "text": "hi"})
            assert r.status_code == 401
            ok = c.get("/v1/operator/markets",
                       headers={"Authorization": f"Bearer {new['operator']}"})
            assert ok.status_code == 200
            r = c.post("/v1/rooms/r/messages", headers={
                "Authorization": f"Bearer {new['platform']}"}, json={
                "market": "us", "viewer_id": "v", "text": "how much is the hoodie?"})
            assert r.status_code == 200 and "$" in r.json()["text"]
    saved = tmp_path / "generated-tokens.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == new
    # A restart keeps them and does not print them again.
    srv.log_path.unlink()
    with cli_server(tmp_path, bind="0.0.0.0") as again:
        log = again.log()
        assert "NEW " not in log and "generated tokens are in" in log
        r = httpx.get(f"{again.url}/v1/handoffs",
                      headers={"Authorization": f"Bearer {new['host']}"})
        assert r.status_code == 200


def test_public_bind_with_the_dev_defaults_allowed_says_so(tmp_path):
    with cli_server(tmp_path, bind="0.0.0.0",
                    env={"ASSISTANT_INSECURE_DEV_DEFAULTS": "true"}) as srv:
        assert httpx.get(f"{srv.url}/v1/operator/markets",
                         headers=DEV_OPERATOR).status_code == 200
        assert "WARNING: ASSISTANT_INSECURE_DEV_DEFAULTS is on with a public bind" in srv.log()


@pytest.fixture
def loopback(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    (prompts / "zz").mkdir()
    (prompts / "zz" / "market.yaml").write_text("id: zz\n")
    with cli_server(tmp_path) as srv:
        yield srv


def test_banner_says_what_serves_what_is_refused_and_which_tokens_are_defaults(loopback):
    log = loopback.log()
    assert "markets: br, eu, gulf, jp, kr, sea, us" in log
    assert re.search(r"REFUSED zz: \[zz\] market.yaml: .+", log)
    assert "dialogue: embedded grounded engine" in log
    assert f"{loopback.url}/console/markets" in log
    assert "host tokens: the development default (fine on this loopback bind only)" in log
    assert "platform tokens: OPEN (no token needed)" in log


async def test_tokens_only_in_websocket_urls_and_never_in_the_log(loopback):
    async with httpx.AsyncClient() as c:
        r = await c.get(f"{loopback.url}/v1/handoffs?token=dev-host-token")
    assert r.status_code == 401  # an HTTP URL is no place for a token
    url = f"{loopback.ws_url}/v1/handoffs/feed?token=dev-host-token"
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
    await asyncio.sleep(0.2)
    log = loopback.log()
    assert "dev-host-token" not in log and "token=***" in log


async def test_browser_websockets_from_other_origins_are_refused(loopback):
    feed = f"{loopback.ws_url}/v1/handoffs/feed?token=dev-host-token"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(feed, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(feed, origin=loopback.url) as ws:  # the service's own page
        assert json.loads(await ws.recv())["type"] == "snapshot"
    stream = f"{loopback.ws_url}/v1/rooms/o/stream?market=us"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(stream, origin="https://evil.example"):
            pass


def test_a_flood_of_refused_requests_adds_a_few_audit_rows(loopback):
    with httpx.Client(base_url=loopback.url) as c:
        before = len(c.get("/v1/operator/audit", headers=DEV_OPERATOR,
                           params={"limit": 1000}).json()["entries"])
        for i in range(600):
            c.get("/v1/operator/markets", headers={"Authorization": f"Bearer bad-{i}"})
            c.get(f"/v1/handoffs/h{i}")
        entries = c.get("/v1/operator/audit", headers=DEV_OPERATOR,
                        params={"limit": 1000}).json()["entries"]
    # The two audit reads above are requests too; the 1,200 refusals make one row per route.
    refused = [e for e in entries[: len(entries) - before] if e["outcome"].startswith("refused")]
    assert len(refused) == 2
    assert {e["outcome"] for e in refused} == {"refused_403", "refused_401"}
