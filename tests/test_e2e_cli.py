"""The money path through the service as a user runs it: `assistant serve` (the shipped CLI, the
shipped default settings, its default log level) in a subprocess, driven by real clients - httpx
over REST, websockets on the comment stream and the host feed, the stock `openai` SDK on the
OpenAI-compatible endpoint and on the Realtime socket. A buyer in any language gets the
localized handoff line, the host's feed gets the handoff, and the server log has no traceback.

The first version passed its whole suite and still answered every buyer with an HTTP 500 under
`make serve`: its test servers ran at another log level. Nothing here may change a setting."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from openai import AsyncOpenAI, OpenAI

from tests.cli_server import served_cleanly

DEV_HOST_TOKEN = "dev-host-token"  # the documented default on a loopback bind

# (market, language, a buy-now message, what the localized handoff line says)
BUYERS = [
    ("us", "en", "I want to buy 2 hoodies in M now, how do I pay?",
     "Mia will help you with your order personally"),
    ("us", "es", "quiero comprar la sudadera ahora mismo", "Mia te ayudará personalmente"),
    ("br", "pt", "quero comprar agora, como pago no pix?", "Camila vai te ajudar pessoalmente"),
    ("eu", "de", "ich will die Jacke jetzt kaufen", "Lena hilft Ihnen persönlich"),
    ("eu", "fr", "je veux acheter la veste maintenant", "Lena va vous aider personnellement"),
    ("jp", "ja", "このパーカーを今すぐ買いたいです", "Yukiが個別にお手伝いします"),
    ("sea", "vi", "tôi muốn mua ngay", "Ayu sẽ hỗ trợ bạn đặt hàng"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with served_cleanly(tmp_path_factory.mktemp("cli")) as srv:
        yield srv


class HostFeed:
    """The host console's live feed, read in the background."""

    def __init__(self, url: str):
        self.url = url
        self.events: list[dict] = []

    async def __aenter__(self) -> HostFeed:
        self.ws = await websockets.connect(f"{self.url}/v1/handoffs/feed?token={DEV_HOST_TOKEN}")
        assert json.loads(await self.ws.recv())["type"] == "snapshot"
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self.ws:
            self.events.append(json.loads(raw))

    async def wait_for(self, pred, within: float = 10) -> dict:
        async with asyncio.timeout(within):
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                await asyncio.sleep(0.02)

    async def wait_for_viewer(self, viewer: str, within: float = 10) -> dict:
        e = await self.wait_for(lambda e: e["type"] == "handoff.created"
                                and e["handoff"]["viewer"] == viewer, within)
        return e["handoff"]

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()
        await self.ws.close()


@pytest.mark.parametrize(("market", "lang", "text", "line"), BUYERS,
                         ids=[f"{m}-{lang}" for m, lang, _, _ in BUYERS])
async def test_buyer_over_rest_gets_the_handoff_line_and_the_host_sees_it(
        served, market, lang, text, line):
    viewer = f"rest-{market}-{lang}"
    async with HostFeed(served.ws_url) as feed, httpx.AsyncClient(base_url=served.url) as c:
        r = await c.post(f"/v1/rooms/live-{market}/messages",
                         json={"market": market, "viewer_id": viewer, "text": text})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["lang"] == lang
        assert body["handoff"] and body["handoff"]["created"] is True
        assert line in body["text"]
        handoff = await feed.wait_for_viewer(viewer)
    assert handoff["id"] == body["handoff"]["id"]
    assert handoff["lang"] == lang and handoff["room"] == f"live-{market}"
    assert text in [t["text"] for t in handoff["turns"]]


async def test_buyers_on_the_comment_stream(served):
    async with HostFeed(served.ws_url) as feed, websockets.connect(
            f"{served.ws_url}/v1/rooms/stream-br/stream?market=br") as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"viewer_id": "s1", "text": "quero comprar agora, como pago?"}))
        await ws.send(json.dumps({"viewer_id": "s2", "text": "I want to buy the hoodie now"}))
        got = {}
        async with asyncio.timeout(10):
            while len(got) < 2:
                ev = json.loads(await ws.recv())
                assert ev["type"] == "answer", ev
                got[ev["viewer_ids"][0]] = ev
        await feed.wait_for_viewer("s1")
        await feed.wait_for_viewer("s2")
    assert "Camila vai te ajudar pessoalmente" in got["s1"]["text"]
    assert got["s2"]["lang"] == "en" and "Camila will help you" in got["s2"]["text"]
    assert got["s1"]["handoff"]["created"] and got["s2"]["handoff"]["created"]


@pytest.fixture
def clients(served):
    with OpenAI(base_url=f"{served.url}/v1", api_key="unused") as client, httpx.Client(
            base_url=served.url, headers={"Authorization": f"Bearer {DEV_HOST_TOKEN}"}) as host:
        yield client, host


def test_openai_client_buyer_once_per_message_and_two_markets_in_a_row(clients):
    client, host = clients
    out = client.chat.completions.create(
        model="jp", user="oa-buyer",
        messages=[{"role": "user", "content": "このパーカーを今すぐ買いたいです"}])
    assert "Yukiが個別にお手伝いします" in out.choices[0].message.content
    # Answered once: the host has the buyer's words once, not three times from client retries.
    handoffs = host.get("/v1/handoffs", params={"room": "openai-jp"}).json()["handoffs"]
    mine = [h for h in handoffs if h["viewer"] == "oa-buyer"]
    assert len(mine) == 1
    assert [t["text"] for t in mine[0]["turns"]].count("このパーカーを今すぐ買いたいです") == 1
    # Every market /v1/models lists, in any order, on the default rooms.
    for model in [m.id for m in client.models.list().data] + ["us"]:
        r = client.chat.completions.create(model=model, user="oa-tourist",
                                           messages=[{"role": "user", "content": "hi"}])
        assert r.choices[0].message.content


def test_openai_clients_without_user_are_separate_viewers(clients):
    client, host = clients
    for text in ("I want to buy the cap now", "I want to buy the boots now"):
        client.chat.completions.create(model="us", messages=[{"role": "user", "content": text}])
    handoffs = host.get("/v1/handoffs", params={"room": "openai-us"}).json()["handoffs"]
    anonymous = [h for h in handoffs if h["viewer"].startswith("anon-")]
    assert len(anonymous) == 2 and len({h["viewer"] for h in anonymous}) == 2


async def test_streamed_openai_buyer(served):
    async with AsyncOpenAI(base_url=f"{served.url}/v1", api_key="unused",
                           max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="eu", user="oa-stream", stream=True,
            messages=[{"role": "user", "content": "ich will die Jacke jetzt kaufen"}])
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert "Lena hilft Ihnen persönlich" in text


@pytest.mark.slow
async def test_spoken_buyer_gets_the_handoff_over_realtime(served):
    from tests.test_realtime import Recorder, send_audio, silence, spoken

    client = AsyncOpenAI(base_url=f"{served.url}/v1", api_key="unused")
    async with HostFeed(served.ws_url) as feed, client.realtime.connect(
            model="us", extra_query={"viewer": "voice-buyer"}) as conn:
        rec = Recorder(conn)
        await rec.wait_for("session.created")
        await send_audio(conn, silence(0.3) + spoken("I want to buy the hoodie right now.")
                         + silence(1.2))
        done = await rec.wait_for("response.done", within=40,
                                  pred=lambda e: e.response.status == "completed")
        rec.stop()
        handoff = await feed.wait_for_viewer("voice-buyer")
    said = done.response.output[0].content[0].transcript
    assert "Mia will help you with your order personally" in said
    assert not rec.of("error")
    assert handoff["room"] == "voice-us"
    # The handoff goes out through the session's ordered queue, before the reply is done.
    types = [getattr(e, "type", "") for e in rec.events]
    assert "conversation.handoff" in types
    assert types.index("conversation.handoff") < types.index("response.done")


async def test_a_promised_follow_up_is_a_host_task_once_per_viewer(served):
    operator = {"Authorization": "Bearer dev-operator-token"}
    async with HostFeed(served.ws_url) as feed, httpx.AsyncClient(base_url=served.url) as c:
        r = await c.post("/v1/rooms/q-br/messages", json={
            "market": "br", "viewer_id": "asker", "text": "o moletom serve para correr?"})
        body = r.json()
        assert "Camila" in body["text"] and body["handoff"]["created"] is True
        task = await feed.wait_for_viewer("asker")
        # A second question from the same viewer folds into the same task.
        r2 = await c.post("/v1/rooms/q-br/messages", json={
            "market": "br", "viewer_id": "asker", "text": "is the hoodie good for hiking?"})
        assert r2.json()["handoff"] == {"id": task["id"], "created": False}
        await feed.wait_for(lambda e: e["type"] == "handoff.updated"
                            and e["handoff"]["id"] == task["id"])
        groups = (await c.get("/v1/operator/markets/br/questions", headers=operator)).json()
    assert task["kind"] == "question" and task["lang"] == "pt"
    # A one-line summary in the host's language, with the viewer's own words.
    assert task["summary"].startswith("Pergunta a responder")
    assert "o moletom serve para correr?" in task["summary"]
    assert task["reasons"] == ["unanswered_question"]
    texts = {g["text"]: g for g in groups["questions"]}
    assert texts["o moletom serve para correr?"]["asks"] == 1
    assert "is the hoodie good for hiking?" in texts
