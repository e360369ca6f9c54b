"""The console pages in a real headless Chromium (Debian's, driven by Playwright) against the
real server on a port: the host queue updates live from the handoff feed, and the voice demo
talks to the co-host from a (fake-device) microphone fed a real spoken WAV.

Needs /usr/bin/chromium (scripts/install-browser.sh). Screenshots go to test-artifacts/."""

from __future__ import annotations

import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.browser import ROOT, launch, needs_browser, shot, sync_api
from tests.conftest import HOST_TOKEN, PLATFORM_TOKEN, make_settings
from tests.server import live_server
from tests.speech import piper_speech

pytestmark = pytest.mark.slow


def test_pages_are_served(tmp_path):
    with live_server(make_settings(tmp_path)) as srv:
        for path, needle in (("/", "/console/host"), ("/console/host", "host.js"),
                             ("/console/demo", "demo.js"), ("/static/demo.js", "realtime"),
                             ("/static/mic-worklet.js", "registerProcessor")):
            r = httpx.get(srv.url + path)
            assert r.status_code == 200, path
            assert needle in r.text, path
        assert httpx.get(srv.url + "/static/nope.js").status_code == 404


@needs_browser
def test_host_console_shows_a_new_handoff_live_and_acknowledges_it(tmp_path):
    room = "live-browser"
    with live_server(make_settings(tmp_path)) as srv, sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(srv.url + "/")
        shot(page, "index")
        page.click("text=Host console")
        page.wait_for_url("**/console/host")

        # A wrong token is refused with a visible reason, not a silent retry loop.
        page.fill("#room", room)
        page.fill("#token", "not-a-host-token")
        page.click("#connect-btn")
        sync_api.expect(page.locator("#conn-status")).to_contain_text("Refused")

        page.fill("#token", HOST_TOKEN)
        page.click("#connect-btn")
        page.wait_for_selector("body[data-feed=open]")
        assert page.locator(".handoff").count() == 0

        # The handoff is made after the page is open: it can only arrive over the feed.
        r = httpx.post(f"{srv.url}/v1/rooms/{room}/messages",
                       headers={"Authorization": f"Bearer {PLATFORM_TOKEN}"},
                       json={"market": "us", "viewer_id": "buyer-b",
                             "text": "I want to buy 2 hoodies now"})
        r.raise_for_status()
        handoff_id = r.json()["handoff"]["id"]
        card = page.locator(f'.handoff[data-id="{handoff_id}"]')
        sync_api.expect(card).to_have_attribute("data-status", "open", timeout=5000)
        sync_api.expect(card.locator(".lang")).to_have_text("en")
        sync_api.expect(card.locator(".turns")).to_contain_text("I want to buy 2 hoodies now")
        assert card.locator(".reason").count() >= 1
        assert card.locator(".summary").inner_text().strip()
        assert float(card.locator(".score").inner_text()) > 0
        sync_api.expect(page.locator("#count-open")).to_have_text("1")
        shot(page, "host-console")

        card.locator("button.ack").click()
        sync_api.expect(card).to_have_attribute("data-status", "acknowledged")
        sync_api.expect(card.locator("button.ack")).to_be_disabled()
        stored = httpx.get(f"{srv.url}/v1/handoffs/{handoff_id}",
                           headers={"Authorization": f"Bearer {HOST_TOKEN}"}).json()
        assert stored["status"] == "acknowledged"

        card.locator("button.close").click()
        sync_api.expect(card).to_have_attribute("data-status", "closed")
        sync_api.expect(card).to_be_hidden()  # closed ones are hidden unless asked for

        # A reload keeps the token in this tab and shows only open handoffs (none now).
        page.reload()
        assert page.input_value("#token") == HOST_TOKEN
        browser.close()
    assert errors == []


def spoken_wav(path: Path, *parts: str | float) -> Path:
    """A 48 kHz mono WAV: each str part is said by Piper's neural voice, each float is that
    many seconds of silence."""
    chunks = [piper_speech(part, 48_000) if isinstance(part, str)
              else np.zeros(int(part * 48_000), np.float32) for part in parts]
    return write_wav48(path, np.concatenate(chunks))


def write_wav48(path: Path, audio: np.ndarray) -> Path:
    """A 48 kHz mono 16-bit WAV, the form Chromium's fake microphone reads."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def launch_with_microphone(pw, wav: Path):
    """Chromium whose microphone plays `wav` once (%noloop), then stays silent."""
    return launch(pw, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}%noloop",
                  "--autoplay-policy=no-user-gesture-required")


def start_demo(browser, srv):
    """Open the voice demo for market us and start talking; page JS errors are collected."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{srv.url}/console/demo?market=us")
    page.wait_for_selector("body[data-markets=loaded]")
    assert page.input_value("#market") == "us"
    page.click("#start")
    return page, errors


def played(page) -> int:
    return int(page.inner_text("#chunks-played"))


@needs_browser
def test_voice_demo_transcribes_the_microphone_plays_the_reply_and_is_interrupted(tmp_path):
    # The second question starts ~2.5 s after the first ends: the reply to the first (about
    # 1 s away, ~5 s long) is playing then, so the viewer talks over it (barge-in).
    wav = spoken_wav(tmp_path / "questions.wav", 1.0, "How much is the hoodie?", 2.5,
                     "Do you ship to Canada?", 6.0)
    settings = make_settings(tmp_path, platform_tokens=[])  # the demo's token field left empty
    with live_server(settings) as srv, sync_api.sync_playwright() as pw:
        browser = launch_with_microphone(pw, wav)
        page, errors = start_demo(browser, srv)

        first = page.locator(".turn", has_text="hoodie")
        sync_api.expect(first.locator(".you")).to_contain_text("hoodie", ignore_case=True,
                                                               timeout=30_000)
        sync_api.expect(first.locator(".reply")).not_to_be_empty(timeout=20_000)
        # Chunks are counted as played when Web Audio finishes them, not when they arrive.
        page.wait_for_function(
            "Number(document.getElementById('chunks-played').textContent) >= 3",
            timeout=20_000)

        # Talking over the first reply interrupts it: playback stops, the server cancels it.
        sync_api.expect(page.locator("#barge-ins")).to_have_text("1", timeout=20_000)
        sync_api.expect(first).to_have_attribute("data-status", "cancelled", timeout=5_000)
        stopped_at = played(page)
        assert int(page.inner_text("#chunks-received")) >= stopped_at

        second = page.locator(".turn", has_text="Canada")
        sync_api.expect(second).to_have_attribute("data-status", "completed", timeout=30_000)
        assert second.locator(".reply").inner_text().strip()
        assert second.locator('tr[data-stage="voice_to_voice_ms"]').count() == 1
        assert second.locator('tr[data-stage="stt_ms"]').count() == 1
        page.wait_for_function(
            f"Number(document.getElementById('chunks-played').textContent) > {stopped_at}",
            timeout=20_000)
        assert page.locator(".turn").count() == 2
        shot(page, "voice-demo")
        page.click("#stop")
        browser.close()
    assert errors == []


@needs_browser
def test_voice_demo_with_a_real_recording(tmp_path):
    """A real human recording (picovoice-leopard test_es.wav, copied from ../shared/eval-data)
    through Chromium's fake microphone: Spanish is heard and answered in Spanish, with audio."""
    import soxr

    with wave.open(str(ROOT / "tests" / "data" / "audio" / "stt_leopard_es.wav")) as w:
        speech = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        rate = w.getframerate()
    audio = np.concatenate([np.zeros(48_000, np.float32), soxr.resample(speech, rate, 48_000),
                            np.zeros(6 * 48_000, np.float32)])
    wav = write_wav48(tmp_path / "real.wav", audio)
    settings = make_settings(tmp_path, platform_tokens=[])
    with live_server(settings) as srv, sync_api.sync_playwright() as pw:
        browser = launch_with_microphone(pw, wav)
        page, errors = start_demo(browser, srv)
        turn = page.locator(".turn[data-status=completed]").last
        sync_api.expect(turn).to_be_visible(timeout=40_000)
        heard = page.locator(".turn .you").all_inner_texts()
        assert any("arena" in t.lower() for t in heard), heard
        assert turn.locator(".reply").inner_text().strip()
        page.wait_for_function(
            "Number(document.getElementById('chunks-played').textContent) >= 3",
            timeout=20_000)
        shot(page, "voice-demo-real-recording")
        page.click("#stop")
        browser.close()
    assert errors == []


@needs_browser
def test_voice_demo_works_after_the_readme_curl_and_shows_the_servers_own_refusal(tmp_path):
    """The README's curl binds room live-us to market us; the demo then talks to br on its
    default room, and a room of another market is refused in the server's own words (the page
    used to overwrite them with "Unable to load a worklet's module")."""
    wav = write_wav48(tmp_path / "silence.wav", np.zeros(48_000 * 3, np.float32))
    settings = make_settings(tmp_path, platform_tokens=[])
    with live_server(settings) as srv, sync_api.sync_playwright() as pw:
        r = httpx.post(f"{srv.url}/v1/rooms/live-us/messages", json={
            "market": "us", "viewer_id": "v1", "text": "¿Cuánto cuesta la sudadera?"})
        assert r.status_code == 200
        browser = launch_with_microphone(pw, wav)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{srv.url}/console/demo?market=br")
        page.wait_for_selector("body[data-markets=loaded]")
        page.click("#start")
        sync_api.expect(page.locator("#status")).to_have_text("Listening. Ask a question.",
                                                              timeout=20_000)
        page.click("#stop")
        page.fill("#room", "live-us")
        page.click("#start")
        status = page.locator("#status")
        sync_api.expect(status).to_contain_text("belongs to market 'us'", timeout=10_000)
        sync_api.expect(status).to_contain_text("Server:")
        assert "worklet" not in status.inner_text()
        shot(page, "voice-demo-refused")
        browser.close()
    assert errors == []
