"""The operator API end to end: a real server on a port, a copied prompts folder on disk, real
SQLite, and the chat endpoint to see that a publish or rollback reaches live rooms at once."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import HOST_TOKEN, OPERATOR_TOKEN, PLATFORM_TOKEN, PROMPTS, make_settings
from tests.server import live_server

OP = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
VIEWER = {"Authorization": f"Bearer {PLATFORM_TOKEN}"}
HOODIE = "US-HOOD-01"
QUESTION = "How much is the Cloud Fleece Hoodie?"
_rooms = itertools.count()


@contextmanager
def operator_server(tmp_path: Path, prepare: Callable[[Path], None] | None = None):
    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS, prompts)
    if prepare is not None:
        prepare(prompts)
    settings = make_settings(tmp_path, prompts_dir=prompts)
    with live_server(settings) as srv:
        srv.prompts = prompts
        yield srv


@pytest.fixture
def op_server(tmp_path: Path):
    with operator_server(tmp_path) as srv:
        yield srv


def api(srv, method: str, path: str, headers=OP, **kw) -> httpx.Response:
    return httpx.request(method, f"{srv.url}/v1/operator{path}", headers=headers, **kw)


def chat_price(srv) -> str:
    # A fresh room each time: a room shares one answer per question for a few seconds.
    room = f"room-{next(_rooms)}"
    r = httpx.post(f"{srv.url}/v1/rooms/{room}/messages", headers=VIEWER,
                   json={"market": "us", "viewer_id": room, "text": QUESTION})
    assert r.status_code == 200, r.text
    assert r.json()["sku"] == HOODIE
    return r.json()["text"]


def read_us(srv) -> dict:
    r = api(srv, "GET", "/markets/us")
    assert r.status_code == 200, r.text
    return r.json()


def with_hoodie(products: list, **fields) -> list:
    out = []
    for p in products:
        out.append({**p, **fields} if p["sku"] == HOODIE else p)
    return out


def put_products(srv, products: list, base: int) -> httpx.Response:
    return api(srv, "PUT", "/markets/us", json={"products": products, "base_version": base})


def test_publish_reaches_chat_at_once_and_rollback_restores(op_server):
    srv = op_server
    assert "44" in chat_price(srv)
    doc = read_us(srv)
    assert doc["version"] == 1
    assert isinstance(doc["market"], dict) and doc["market"]["id"] == "us"
    assert isinstance(doc["system_prompt"], str) and doc["system_prompt"]
    assert isinstance(doc["faq"], list)
    untouched = {f: (srv.prompts / "us" / f).read_bytes()
                 for f in ("market.yaml", "faq.yaml", "system_prompt.md")}

    r = put_products(srv, with_hoodie(doc["products"], sale_price=37.5), base=1)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["files"] == ["products.yaml"]
    assert "37.5" in chat_price(srv) and "44" not in chat_price(srv)
    # Files the edit did not touch keep their bytes (and their comments).
    for f, data in untouched.items():
        assert (srv.prompts / "us" / f).read_bytes() == data
    on_disk = yaml.safe_load((srv.prompts / "us" / "products.yaml").read_text("utf-8"))
    assert next(p for p in on_disk if p["sku"] == HOODIE)["sale_price"] == 37.5

    r = api(srv, "POST", "/markets/us/rollback", json={"version": 1, "base_version": 2})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3 and r.json()["action"] == "rollback"
    text = chat_price(srv)
    assert "44" in text and "37.5" not in text
    # Rolling back restores the exact old text, comments included.
    assert (srv.prompts / "us" / "products.yaml").read_bytes() == (
        PROMPTS / "us" / "products.yaml").read_bytes()

    versions = api(srv, "GET", "/markets/us/versions").json()["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    v2 = versions[1]
    assert v2["who"].startswith("operator:") and v2["when"] and v2["action"] == "update"
    assert v2["files"] == ["products.yaml"]
    assert "US-HOOD-01 sale_price 44.0 -> 37.5" in v2["summary"]
    assert versions[2]["action"] == "initial"

    snap = api(srv, "GET", "/markets/us/versions/2").json()
    assert next(p for p in snap["products"] if p["sku"] == HOODIE)["sale_price"] == 37.5

    d = api(srv, "GET", "/markets/us/diff", params={"from": 1, "to": 2}).json()
    assert set(d["files"]) == {"products.yaml"}
    lines = d["files"]["products.yaml"].splitlines()
    # One field, one line: the file keeps its comments, layout and number format.
    changed = [x for x in lines if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    assert changed == ["-  sale_price: 44.00", "+  sale_price: 37.50"]


def test_invalid_edit_is_refused_with_field_problems_and_nothing_changes(op_server):
    srv = op_server
    folder = srv.prompts / "us"
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    doc = read_us(srv)

    r = put_products(srv, with_hoodie(doc["products"], price="cheap"), base=1)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_market"
    idx = next(i for i, p in enumerate(doc["products"]) if p["sku"] == HOODIE)
    assert {"file": "products.yaml", "field": f"[{idx}].price"} in [
        {"file": p["file"], "field": p["field"]} for p in err["problems"]]

    r = put_products(srv, with_hoodie(doc["products"], sale_price=70), base=1)
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert any(p["file"] == "products.yaml" and p["field"].startswith(f"[{idx}]")
               and "sale_price" in p["message"] for p in problems), problems

    # Nothing was written, no version recorded, and chat still answers the old price.
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before
    assert read_us(srv)["version"] == 1
    assert "44" in chat_price(srv)


def test_stale_base_version_is_409_and_unknown_rollback_404(op_server):
    srv = op_server
    doc = read_us(srv)
    assert put_products(srv, with_hoodie(doc["products"], sale_price=40), base=1).status_code \
        == 200
    r = put_products(srv, with_hoodie(doc["products"], sale_price=41), base=1)
    assert r.status_code == 409
    assert r.json()["error"] == {**r.json()["error"], "code": "version_conflict",
                                 "current_version": 2}
    assert "40" in chat_price(srv)

    r = api(srv, "POST", "/markets/us/rollback", json={"version": 99, "base_version": 2})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_version"
    r = api(srv, "GET", "/markets/atlantis")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_market"


def test_try_answers_from_the_draft_without_publishing(op_server):
    srv = op_server
    doc = read_us(srv)
    draft = {"products": with_hoodie(doc["products"], sale_price=33)}
    r = api(srv, "POST", "/markets/us/try", json={"draft": draft, "text": QUESTION, "lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sku"] == HOODIE and body["topic"] == "price" and body["lang"] == "en"
    assert "33" in body["answer"]
    assert "44" in chat_price(srv) and read_us(srv)["version"] == 1

    bad = {"products": with_hoodie(doc["products"], price="cheap")}
    r = api(srv, "POST", "/markets/us/try", json={"draft": bad, "text": QUESTION, "lang": "en"})
    assert r.status_code == 422 and r.json()["error"]["problems"]


def test_non_operators_are_refused_and_audited(op_server):
    srv = op_server
    for headers, status, outcome in [
        ({}, 401, "refused_401"),
        ({"Authorization": "Bearer wrong"}, 403, "refused_403"),
        ({"Authorization": f"Bearer {HOST_TOKEN}"}, 403, "refused_403"),
        ({"Authorization": f"Bearer {PLATFORM_TOKEN}"}, 403, "refused_403"),
    ]:
        r = api(srv, "PUT", "/markets/us", headers=headers, json={"base_version": 1})
        assert r.status_code == status, headers
        assert r.json()["error"]["code"] in ("unauthorized", "forbidden")
        entries = api(srv, "GET", "/audit").json()["entries"]
        assert entries[0]["outcome"] == outcome
        assert entries[0]["action"] == "PUT /v1/operator/markets/us"
        assert entries[0]["market"] == "us"
        assert entries[0]["who"] == ("anonymous" if not headers else entries[0]["who"])
        assert OPERATOR_TOKEN not in str(entries[0]) and "wrong" not in entries[0]["who"]
    assert api(srv, "GET", "/audit", headers={}).status_code == 401
    assert read_us(srv)["version"] == 1


def test_audit_records_operator_actions(op_server):
    srv = op_server
    doc = read_us(srv)
    put_products(srv, with_hoodie(doc["products"], sale_price=42), base=1)
    put_products(srv, with_hoodie(doc["products"], sale_price=43), base=1)  # stale
    entries = api(srv, "GET", "/audit").json()["entries"]
    got = [(e["action"], e["outcome"]) for e in entries[:3]]
    assert got == [("PUT /v1/operator/markets/us", "version_conflict"),
                   ("PUT /v1/operator/markets/us", "ok"),
                   ("GET /v1/operator/markets/us", "ok")]
    assert all(e["who"].startswith("operator:") for e in entries[:3])
    assert "US-HOOD-01 sale_price 44.0 -> 42" in entries[1]["detail"]


def test_market_list_shows_versions_and_refused_markets(op_server):
    srv = op_server
    body = api(srv, "GET", "/markets").json()
    us = next(m for m in body["markets"] if m["id"] == "us")
    assert us["version"] == 1 and us["serving"] and "en" in us["languages"] and us["name"]
    assert body["refused"] == []


def test_refused_market_is_listed_with_problems_and_can_be_fixed(tmp_path):
    def break_eu(prompts: Path) -> None:
        path = prompts / "eu" / "products.yaml"
        products = yaml.safe_load(path.read_text("utf-8"))
        products[0]["price"] = "cheap"
        path.write_text(yaml.safe_dump(products, allow_unicode=True), "utf-8")

    with operator_server(tmp_path, break_eu) as srv:
        body = api(srv, "GET", "/markets").json()
        eu = next(m for m in body["refused"] if m["id"] == "eu")
        assert not eu["serving"]
        assert {"file": "products.yaml", "field": "[0].price"} in [
            {"file": p["file"], "field": p["field"]} for p in eu["problems"]]

        doc = api(srv, "GET", "/markets/eu").json()
        fixed = [{**doc["products"][0], "price": 99}, *doc["products"][1:]]
        r = api(srv, "PUT", "/markets/eu", json={"products": fixed, "base_version": 1})
        assert r.status_code == 200, r.text
        body = api(srv, "GET", "/markets").json()
        assert body["refused"] == []
        assert next(m for m in body["markets"] if m["id"] == "eu")["serving"]
        assert httpx.get(f"{srv.url}/healthz").json()["refused"] == []


def test_hand_edit_on_disk_becomes_a_version_and_stales_the_base(op_server):
    srv = op_server
    assert read_us(srv)["version"] == 1
    path = srv.prompts / "us" / "system_prompt.md"
    path.write_text(path.read_text("utf-8") + "\nAlways greet viewers by name.\n", "utf-8")
    r = api(srv, "PUT", "/markets/us", json={"system_prompt": "Be brief.", "base_version": 1})
    assert r.status_code == 409 and r.json()["error"]["current_version"] == 2
    v2 = api(srv, "GET", "/markets/us/versions").json()["versions"][0]
    assert (v2["version"], v2["who"], v2["action"]) == (2, "disk", "external_edit")
    assert v2["files"] == ["system_prompt.md"] and "+" in v2["summary"]


def test_unchanged_save_makes_no_version(op_server):
    srv = op_server
    doc = read_us(srv)
    r = api(srv, "PUT", "/markets/us", json={"market": doc["market"], "faq": doc["faq"],
                                              "products": doc["products"], "base_version": 1})
    assert r.status_code == 200 and r.json()["changed"] is False and r.json()["version"] == 1
    assert (srv.prompts / "us" / "products.yaml").read_bytes() == (
        PROMPTS / "us" / "products.yaml").read_bytes()


def test_concurrent_writers_of_one_market_one_wins(op_server):
    srv = op_server
    doc = read_us(srv)
    results: list[int] = []
    barrier = threading.Barrier(4)

    def writer(price: float) -> None:
        barrier.wait()
        results.append(put_products(srv, with_hoodie(doc["products"], sale_price=price),
                                    base=1).status_code)

    threads = [threading.Thread(target=writer, args=(30 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409, 409, 409]
    assert [v["version"] for v in api(srv, "GET", "/markets/us/versions").json()["versions"]] \
        == [2, 1]


def test_refusals_on_every_role_reach_the_audit_trail(op_server):
    srv = op_server
    # A viewer-side token on a host endpoint, and no token on the chat endpoint.
    r = httpx.get(f"{srv.url}/v1/handoffs", headers={"Authorization": f"Bearer {PLATFORM_TOKEN}"})
    assert r.status_code == 403
    r = httpx.post(f"{srv.url}/v1/rooms/r/messages",
                   json={"market": "us", "viewer_id": "v", "text": "price?"})
    assert r.status_code == 401
    entries = api(srv, "GET", "/audit").json()["entries"]
    seen = {(e["action"], e["outcome"]) for e in entries}
    assert ("GET /v1/handoffs", "refused_403") in seen
    assert ("POST /v1/rooms/r/messages", "refused_401") in seen
    assert PLATFORM_TOKEN not in str(entries)


def test_unanswered_questions_grouped_then_dismissed_or_refused_as_faq(op_server):
    srv = op_server
    ask = {"Authorization": f"Bearer {PLATFORM_TOKEN}"}
    for viewer, text in [("a", "Do the boots come with spare laces?"),
                         ("b", "do the boots come with spare laces"),
                         ("b", "Do the boots come with SPARE laces??"),
                         ("c", "Can I pick it up in Portland?")]:
        r = httpx.post(f"{srv.url}/v1/rooms/q/messages", headers=ask,
                       json={"market": "us", "viewer_id": viewer, "text": text})
        assert r.status_code == 200 and "check with Mia" in r.json()["text"]
    groups = api(srv, "GET", "/markets/us/questions").json()["questions"]
    assert [(g["asks"], g["viewers"]) for g in groups] == [(3, 2), (1, 1)]
    laces, pickup = groups
    assert laces["text"] == "Do the boots come with spare laces?"
    assert laces["sku"] == "US-BOOT-02" and len(laces["examples"]) == 3

    # An answer missing one of the market's languages is refused; nothing changes.
    r = api(srv, "POST", f"/markets/us/questions/{laces['id']}/faq",
            json={"base_version": 1, "answer": {"en": "Yes, one spare pair."}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_market"
    assert api(srv, "GET", "/markets/us").json()["version"] == 1
    r = api(srv, "POST", f"/markets/us/questions/{laces['id']}/faq", json={
        "base_version": 1, "answer": {"en": "Yes, one spare pair.", "es": "Sí, un par extra."}})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["question"]["status"] == "faq"

    r = api(srv, "POST", f"/markets/us/questions/{pickup['id']}/dismiss")
    assert r.status_code == 200 and r.json()["question"]["status"] == "dismissed"
    assert api(srv, "GET", "/markets/us/questions").json()["questions"] == []
    assert len(api(srv, "GET", "/markets/us/questions",
                   params={"status": "all"}).json()["questions"]) == 2
    assert api(srv, "GET", "/markets/us/questions", params={"status": "x"}).status_code == 422
    assert api(srv, "POST", "/markets/us/questions/nope/dismiss").status_code == 404
    assert api(srv, "POST", f"/markets/br/questions/{pickup['id']}/dismiss").status_code == 404
    assert api(srv, "GET", "/markets/us/questions", headers={}).status_code == 401

    r = httpx.post(f"{srv.url}/v1/rooms/q3/messages", headers=ask, json={
        "market": "us", "viewer_id": "d", "text": "Do the boots come with spare laces?"})
    assert r.json()["text"] == "Yes, one spare pair."
