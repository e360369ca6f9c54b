"""The operator's markets console in a real headless Chromium (Debian's, driven by Playwright)
against the real server on a port with a copied prompts folder: an edit made in the page and
published reaches the chat endpoint at once, Try answers from the unpublished draft, an invalid
edit is refused with a field-level error and changes nothing, a stale publish is a conflict the
page explains, and Rollback in the History panel brings the old answer back.

Needs /usr/bin/chromium (scripts/install-browser.sh). Screenshots go to test-artifacts/."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.browser import launch, needs_browser, sync_api
from tests.browser import shot as _shot
from tests.conftest import OPERATOR_TOKEN, PLATFORM_TOKEN, PROMPTS, make_settings
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.slow, needs_browser]
expect = sync_api.expect if sync_api is not None else None


OP = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
BOOTS = "US-BOOT-02"
QUESTION = "How much are the Trailhead boots?"
_rooms = itertools.count()


@contextmanager
def markets_server(tmp_path: Path) -> Iterator[LiveServer]:
    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS, prompts)
    with live_server(make_settings(tmp_path, prompts_dir=prompts)) as srv:
        srv.prompts = prompts
        yield srv


def shot(page, name: str) -> None:
    _shot(page, f"markets-{name}")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.set_default_timeout(5000)
    yield p
    ctx.close()
    assert not errors, f"JavaScript errors in the page: {errors}"




def chat(srv) -> str:
    # A fresh room each time: a room shares one answer per question for a few seconds.
    room = f"room-{next(_rooms)}"
    r = httpx.post(f"{srv.url}/v1/rooms/{room}/messages",
                   headers={"Authorization": f"Bearer {PLATFORM_TOKEN}"},
                   json={"market": "us", "viewer_id": room, "text": QUESTION})
    assert r.status_code == 200, r.text
    assert r.json()["sku"] == BOOTS
    return r.json()["text"]


def published_version(srv) -> int:
    r = httpx.get(f"{srv.url}/v1/operator/markets/us", headers=OP)
    assert r.status_code == 200, r.text
    return r.json()["version"]


def open_console(page, srv) -> None:
    page.goto(f"{srv.url}/console/markets#us")
    page.fill("#token", OPERATOR_TOKEN)
    page.click("#connect-btn")
    expect(page.locator(f'[data-sku="{BOOTS}"] input[name=price]')).to_have_value("129")


def test_edit_try_publish_and_roll_back(tmp_path, page):
    with markets_server(tmp_path) as srv:
        folder = srv.prompts / "us"
        before = {f.name: f.read_bytes() for f in folder.iterdir()}
        assert "129" in chat(srv)
        open_console(page, srv)
        expect(page.locator("#version")).to_have_text("1")
        expect(page.locator("#try-lang option")).to_have_text(["auto-detect", "en", "es"])
        shot(page, "loaded")
        boots = page.locator(f'[data-sku="{BOOTS}"]')

        # Invalid: a sale price above the price is refused, named next to the field.
        boots.locator("input[name=sale_price]").fill("150")
        page.click("#publish")
        expect(boots.locator(".field-error")).to_contain_text("sale_price")
        expect(boots.locator("input[name=sale_price]")).to_have_class(re.compile("invalid"))
        expect(page.locator("#problems li")).to_contain_text([f"products.yaml [1] ({BOOTS})"])
        shot(page, "invalid")
        assert {f.name: f.read_bytes() for f in folder.iterdir()} == before
        assert published_version(srv) == 1
        assert "129" in chat(srv)

        # Try answers from the draft; the live room still has the published price.
        boots.locator("input[name=sale_price]").fill("")
        boots.locator("input[name=price]").fill("119")
        page.fill("#try-text", QUESTION)
        page.select_option("#try-lang", "en")
        page.click("#try-btn")
        expect(page.locator("#try-answer")).not_to_have_text("...")
        expect(page.locator("#try-answer")).to_contain_text("119")
        expect(page.locator("#try-meta")).to_contain_text("unpublished")
        shot(page, "try")
        assert "129" in chat(srv)

        # Publish, with a stock and a selling point edit too: the chat answer changes at once.
        boots.locator("summary").click()
        boots.locator('input[name=stock][data-size="11"]').fill("3")
        points = boots.locator('textarea[name=selling_points][data-lang="en"]')
        points.fill(points.input_value() + "\nResoleable Vibram outsole")
        page.click("#publish")
        expect(page.locator("#version")).to_have_text("2")
        expect(page.locator("#market-select option[value=us]")).to_contain_text("(v2)")
        saved = next(p for p in httpx.get(f"{srv.url}/v1/operator/markets/us", headers=OP)
                     .json()["products"] if p["sku"] == BOOTS)
        assert saved["price"] == 119 and "sale_price" not in saved
        assert next(v["stock"] for v in saved["variants"] if v["size"] == "11") == 3
        assert saved["selling_points"]["en"][-1] == "Resoleable Vibram outsole"
        expect(page.locator("#problems-box")).to_be_hidden()
        assert "119" in chat(srv) and "129" not in chat(srv)
        expect(page.locator("#history li")).to_have_count(2)
        expect(page.locator('#history li[data-version="2"]')).to_contain_text(
            f"{BOOTS} price 129.0 -> 119")
        expect(page.locator('#history li[data-version="2"]')).to_contain_text("operator:")

        # History: diff version 1 against the current one, then roll back to it.
        page.click("#diff-1")
        expect(page.locator("#diff .del")).to_contain_text(["price: 129"])
        expect(page.locator("#diff .add")).to_contain_text(["price: 119"])
        shot(page, "diff")
        page.once("dialog", lambda d: d.accept())
        page.click("#rollback-1")
        expect(page.locator("#version")).to_have_text("3")
        expect(boots.locator("input[name=price]")).to_have_value("129")
        expect(page.locator("#history li")).to_have_count(3)
        expect(page.locator('#history li[data-version="3"]')).to_contain_text("rollback")
        shot(page, "rolled-back")
        assert "129" in chat(srv) and "119" not in chat(srv)
        assert published_version(srv) == 3


def test_stale_publish_is_a_conflict_with_reload(tmp_path, page):
    with markets_server(tmp_path) as srv:
        page.goto(f"{srv.url}/console/markets")
        page.fill("#token", "not-an-operator-token")
        page.click("#connect-btn")
        expect(page.locator("#status")).to_contain_text("not an operator token")
        expect(page.locator("#editor")).to_be_hidden()

        open_console(page, srv)
        boots = page.locator(f'[data-sku="{BOOTS}"]')
        boots.locator("input[name=price]").fill("119")

        # Someone else publishes in the meantime.
        doc = httpx.get(f"{srv.url}/v1/operator/markets/us", headers=OP).json()
        for p in doc["products"]:
            if p["sku"] == BOOTS:
                p["price"] = 139
        r = httpx.put(f"{srv.url}/v1/operator/markets/us", headers=OP,
                      json={"products": doc["products"], "base_version": 1})
        assert r.status_code == 200, r.text

        page.click("#publish")
        expect(page.locator("#conflict")).to_be_visible()
        expect(page.locator("#conflict-text")).to_contain_text("Someone else published version 2")
        shot(page, "conflict")
        assert "139" in chat(srv)
        page.click("#reload")
        expect(page.locator("#version")).to_have_text("2")
        expect(boots.locator("input[name=price]")).to_have_value("139")
        expect(page.locator("#conflict")).to_be_hidden()


def test_try_detects_language_problems_clear_and_drafts_are_not_claimed_after_publish(
        tmp_path, page):
    with markets_server(tmp_path) as srv:
        open_console(page, srv)
        # Try detects the language by default, as live chat does (it used to answer English).
        expect(page.locator("#try-lang")).to_have_value("")
        page.fill("#try-text", "¿Cuánto cuestan las botas?")
        page.click("#try-btn")
        expect(page.locator("#try-meta")).to_contain_text("language es")
        expect(page.locator("#try-answer")).to_contain_text("Botas")

        # A refused edit's banner goes away as soon as the field is fixed.
        boots = page.locator(f'[data-sku="{BOOTS}"]')
        boots.locator("input[name=sale_price]").fill("150")
        page.click("#publish")
        expect(page.locator("#problems-box")).to_be_visible()
        boots.locator("input[name=sale_price]").fill("99")
        expect(page.locator("#problems-box")).to_be_hidden()
        expect(boots.locator(".field-error")).to_have_count(0)

        # Try from the draft, then publish: the page no longer claims unpublished edits.
        page.fill("#try-text", QUESTION)
        page.click("#try-btn")
        expect(page.locator("#try-meta")).to_contain_text("unpublished")
        page.click("#publish")
        expect(page.locator("#version")).to_have_text("2")
        expect(page.locator("#try-meta")).not_to_contain_text("unpublished")
        page.click("#try-btn")
        expect(page.locator("#try-meta")).to_contain_text("from the published data")
        expect(page.locator("#try-answer")).to_contain_text("99")
        # The publish changed one line of products.yaml.
        diff = httpx.get(f"{srv.url}/v1/operator/markets/us/diff", headers=OP,
                         params={"from": 1, "to": 2}).json()["files"]["products.yaml"]
        changed = [x for x in diff.splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
        assert changed == ["+  sale_price: 99.00"]


def test_unanswered_question_becomes_an_faq_entry(tmp_path, page):
    with markets_server(tmp_path) as srv:
        viewers = {"Authorization": f"Bearer {PLATFORM_TOKEN}"}
        question = "Is the hoodie good for running?"
        for viewer in ("runner-1", "runner-2"):
            r = httpx.post(f"{srv.url}/v1/rooms/q/messages", headers=viewers,
                           json={"market": "us", "viewer_id": viewer, "text": question})
            assert "check with Mia" in r.json()["text"]
        open_console(page, srv)
        item = page.locator("#questions .question").first
        expect(item.locator(".qtext")).to_have_text(question)
        expect(item).to_contain_text("asked 2x by 2 viewers")
        item.locator(".to-faq").click()
        item.locator('textarea[data-lang="en"]').fill("Yes: it breathes well on easy runs.")
        item.locator('textarea[data-lang="es"]').fill("Sí: respira bien en trotes suaves.")
        shot(page, "question-to-faq")
        item.locator("button[type=submit]").click()
        expect(page.locator("#version")).to_have_text("2")
        expect(page.locator("#questions-empty")).to_be_visible()
        r = httpx.post(f"{srv.url}/v1/rooms/q2/messages", headers=viewers,
                       json={"market": "us", "viewer_id": "runner-3", "text": question})
        assert r.json()["text"] == "Yes: it breathes well on easy runs."
        assert r.json()["handoff"] is None
