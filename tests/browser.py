"""The headless-Chromium harness of the browser tests: Debian's chromium (installed by
scripts/install-browser.sh) driven by Playwright, which never downloads a browser of its own."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

try:
    from playwright import sync_api
except ImportError:  # the dev extra is not installed
    sync_api = None

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("ASSISTANT_TEST_CHROMIUM") or shutil.which("chromium") \
    or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialing out from this offline machine.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_browser = pytest.mark.skipif(
    sync_api is None or not Path(CHROMIUM).exists(),
    reason=f"needs `pip install playwright` (dev extra) and Chromium at {CHROMIUM} "
           "(scripts/install-browser.sh)")


def launch(pw, *extra: str):
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*ARGS, *extra])


def shot(page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
