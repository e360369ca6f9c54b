"""The handoff store on a real SQLite file (create/update, one open per viewer, transitions,
filters, durability across a SIGKILL) and the in-process host feed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.handoff import HandoffFeed, HandoffStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path):
    s = HandoffStore(tmp_path / "db" / "handoffs.sqlite3")  # parent dir is created
    yield s
    s.close_all()


def _open(store: HandoffStore, *, room="r1", viewer="v1", score=0.7, reasons=("buy_now",),
          text="I'll take it", ts=1.0):
    return store.open_or_update(
        room=room, market="us", viewer=viewer, lang="en", summary=f"wants to buy: {text}",
        turns=[{"role": "viewer", "text": text, "lang": "en", "ts": ts}],
        score=score, reasons=reasons,
    )


def test_create_then_get(store: HandoffStore) -> None:
    h, created = _open(store)
    assert created
    assert len(h.id) == 32 and int(h.id, 16) >= 0  # uuid4 hex
    assert (h.room, h.market, h.viewer, h.lang, h.status) == ("r1", "us", "v1", "en", "open")
    assert h.turns == ({"role": "viewer", "text": "I'll take it", "lang": "en", "ts": 1.0},)
    assert h.reasons == ("buy_now",) and h.score == 0.7
    assert h.created_at == h.updated_at > 0
    assert store.get(h.id) == h
    assert store.get("nope") is None
    d = h.to_dict()
    assert d["turns"][0]["text"] == "I'll take it" and d["reasons"] == ["buy_now"]


def test_second_trigger_updates_the_open_one(store: HandoffStore) -> None:
    first, _ = _open(store, score=0.8, reasons=("buy_now",), text="I'll take it", ts=1.0)
    again, created = _open(store, score=0.67, reasons=("payment", "quantity"),
                           text="2 pcs, paypal?", ts=2.0)
    assert not created
    assert again.id == first.id
    assert again.score == 0.8  # max, not last
    assert again.reasons == ("buy_now", "payment", "quantity")
    assert [t["text"] for t in again.turns] == ["I'll take it", "2 pcs, paypal?"]
    assert again.summary == "wants to buy: 2 pcs, paypal?"
    assert again.updated_at >= first.updated_at
    # the same turn sent again is not duplicated
    third, _ = _open(store, text="2 pcs, paypal?", ts=2.0)
    assert len(third.turns) == 2
    assert len(store.list(status="all")) == 1


def test_one_open_per_viewer_per_room(store: HandoffStore) -> None:
    a, _ = _open(store, room="r1", viewer="v1")
    b, created_b = _open(store, room="r1", viewer="v2")
    c, created_c = _open(store, room="r2", viewer="v1")
    assert created_b and created_c
    assert len({a.id, b.id, c.id}) == 3
    # the database itself refuses a second open row, not just the Python code path
    db = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO handoffs (id, room, market, viewer, lang, summary, turns, score, reasons,"
            " status, created_at, updated_at) VALUES ('x','r1','us','v1','en','s','[]',0.7,'[]',"
            "'open',1,1)"
        )
    db.close()


def test_acknowledged_still_counts_as_open(store: HandoffStore) -> None:
    h, _ = _open(store)
    store.acknowledge(h.id, by="host-ana")
    again, created = _open(store, text="hello?", ts=5.0)
    assert not created and again.id == h.id
    assert again.status == "acknowledged" and again.acknowledged_by == "host-ana"


def test_new_handoff_after_close(store: HandoffStore) -> None:
    h, _ = _open(store)
    store.close(h.id, by="host-ana")
    h2, created = _open(store, text="one more please", ts=9.0)
    assert created and h2.id != h.id and h2.status == "open"
    assert store.get(h.id).status == "closed"


def test_transitions(store: HandoffStore) -> None:
    h, _ = _open(store)
    acked = store.acknowledge(h.id, by="host-ana")
    assert acked.status == "acknowledged" and acked.acknowledged_by == "host-ana"
    assert store.acknowledge(h.id, by="host-bob").acknowledged_by == "host-ana"  # idempotent
    closed = store.close(h.id, by="host-bob")
    assert closed.status == "closed" and closed.closed_by == "host-bob"
    assert closed.acknowledged_by == "host-ana"
    with pytest.raises(ValueError):
        store.acknowledge(h.id, by="host-ana")
    with pytest.raises(ValueError):
        store.close(h.id, by="host-ana")
    with pytest.raises(KeyError):
        store.acknowledge("missing", by="host-ana")
    with pytest.raises(KeyError):
        store.close("missing", by="host-ana")
    # an open handoff can be closed without being acknowledged
    h2, _ = _open(store, viewer="v2")
    assert store.close(h2.id, by="host-ana").acknowledged_by is None


def test_list_filters(store: HandoffStore) -> None:
    a, _ = _open(store, room="r1", viewer="a")
    b, _ = _open(store, room="r1", viewer="b")
    c, _ = _open(store, room="r2", viewer="c")
    store.acknowledge(b.id, by="host")
    store.close(c.id, by="host")

    def ids(**kw) -> set[str]:
        return {h.id for h in store.list(**kw)}

    assert ids() == {a.id, b.id}  # default: open + acknowledged
    assert ids(status="all") == ids(status=None) == {a.id, b.id, c.id}
    assert ids(status="acknowledged") == {b.id}
    assert ids(status="closed") == {c.id}
    assert ids(room="r1") == {a.id, b.id}
    assert ids(room="r2") == set()
    assert ids(room="r2", status="all") == {c.id}
    assert len(store.list(status="all", limit=2)) == 2
    newest_first = store.list(status="all")
    assert [h.created_at for h in newest_first] == sorted(
        (h.created_at for h in newest_first), reverse=True
    )
    with pytest.raises(ValueError):
        store.list(status="bogus")


def test_unicode_round_trip(store: HandoffStore) -> None:
    h, _ = store.open_or_update(
        room="r", market="jp", viewer="v", lang="ja", summary="購入希望",
        turns=[{"role": "viewer", "text": "これ買いたいです", "lang": "ja", "ts": 1}],
        score=0.7, reasons=["buy_now"],
    )
    assert store.get(h.id).turns[0]["text"] == "これ買いたいです"


def test_record_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "handoffs.sqlite3"
    code = textwrap.dedent(f"""
        import os, signal
        from assistant.handoff.store import HandoffStore
        store = HandoffStore({str(path)!r})
        h, created = store.open_or_update(
            room="r1", market="us", viewer="v1", lang="en", summary="wants 2",
            turns=[{{"role": "viewer", "text": "I'll take 2", "lang": "en", "ts": 1.0}}],
            score=0.82, reasons=["buy_now", "quantity"])
        print(h.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no atexit, no checkpoint
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    handoff_id = proc.stdout.strip()
    reopened = HandoffStore(path)
    try:
        h = reopened.get(handoff_id)
        assert h is not None and h.status == "open"
        assert h.reasons == ("buy_now", "quantity") and h.turns[0]["text"] == "I'll take 2"
        # the uniqueness rule holds across the restart too
        _, created = _open(reopened, room="r1", viewer="v1")
        assert not created
    finally:
        reopened.close_all()


# --- feed


async def test_two_subscribers_get_published_events() -> None:
    feed = HandoffFeed()
    with feed.subscribe() as s1, feed.subscribe() as s2:
        assert feed.publish({"type": "handoff.created", "room": "r1", "id": "a"}) == 2
        e1 = await asyncio.wait_for(s1.get(), 1)
        e2 = await asyncio.wait_for(s2.get(), 1)
        assert e1["id"] == e2["id"] == "a"
    assert feed.subscriber_count == 0  # context manager unsubscribed
    assert feed.publish({"type": "x", "room": "r1"}) == 0


async def test_room_filter() -> None:
    feed = HandoffFeed()
    async with feed.subscribe("r1") as only_r1, feed.subscribe(None) as every:
        feed.publish({"type": "handoff.created", "room": "r2", "id": "b"})
        feed.publish({"type": "handoff.created", "handoff": {"room": "r1", "id": "c"}})
        assert (await asyncio.wait_for(only_r1.get(), 1))["handoff"]["id"] == "c"
        assert only_r1.pending() == 0
        got = [(await asyncio.wait_for(every.get(), 1)) for _ in range(2)]
        assert [g.get("id") or g["handoff"]["id"] for g in got] == ["b", "c"]


async def test_async_iteration() -> None:
    feed = HandoffFeed()
    async with feed.subscribe() as sub:
        for i in range(3):
            feed.publish({"room": "r", "n": i})
        seen = []
        async for event in sub:
            seen.append(event["n"])
            if len(seen) == 3:
                break
        assert seen == [0, 1, 2]


async def test_slow_subscriber_does_not_block_or_starve_others() -> None:
    feed = HandoffFeed(max_queue=3)
    async with feed.subscribe() as slow, feed.subscribe() as fast:
        received = []

        async def drain() -> None:
            for _ in range(10):
                received.append((await fast.get())["n"])

        reader = asyncio.create_task(drain())
        for n in range(10):
            feed.publish({"room": "r", "n": n})  # returns at once: publish is synchronous
            await asyncio.sleep(0)  # let the fast reader run; the slow one never reads
        await asyncio.wait_for(reader, 1)
        assert received == list(range(10))
        assert slow.pending() == 3 and slow.dropped == 7
        assert [slow.get_nowait()["n"] for _ in range(3)] == [0, 1, 2]


def test_a_database_from_before_kinds_is_migrated(tmp_path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE handoffs (id TEXT PRIMARY KEY, room TEXT NOT NULL,
        market TEXT NOT NULL, viewer TEXT NOT NULL, lang TEXT NOT NULL, summary TEXT NOT NULL,
        turns TEXT NOT NULL, score REAL NOT NULL, reasons TEXT NOT NULL, status TEXT NOT NULL,
        created_at REAL NOT NULL, updated_at REAL NOT NULL, acknowledged_by TEXT,
        closed_by TEXT);
        INSERT INTO handoffs VALUES ('old','r','us','v','en','s','[]',0.9,'[]','open',1,1,
        NULL,NULL);""")
    db.close()
    store = HandoffStore(path)
    try:
        assert store.get("old").kind == "purchase"
        h, created = store.open_or_update(room="r", market="us", viewer="v2", lang="en",
                                          summary="q", turns=[], score=0.0, reasons=["q"],
                                          kind="question")
        assert created and store.get(h.id).kind == "question"
    finally:
        store.close_all()


def test_kinds_fold_into_one_open_handoff(store: HandoffStore) -> None:
    q, created = store.open_or_update(room="r", market="us", viewer="v", lang="es",
                                      summary="Pregunta por responder", turns=[], score=0.1,
                                      reasons=["unanswered"], kind="question")
    assert created and q.kind == "question"
    p, created = store.open_or_update(room="r", market="us", viewer="v", lang="es",
                                      summary="Quiere comprar", turns=[], score=0.9,
                                      reasons=["buy_now"])
    assert not created and p.id == q.id and p.kind == "purchase"
    again, _ = store.open_or_update(room="r", market="us", viewer="v", lang="es",
                                    summary="Pregunta por responder", turns=[], score=0.1,
                                    reasons=["unanswered"], kind="question")
    assert again.kind == "purchase" and again.summary == "Quiere comprar"
    assert again.reasons == ("unanswered", "buy_now")
