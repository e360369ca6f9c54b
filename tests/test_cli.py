"""The `assistant` command, run as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROMPTS


def run(*args: str, stdin: str = "", cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True,
        text=True, timeout=120, cwd=cwd, env={**os.environ, **(env or {})},
    )


def test_markets_check_passes_on_shipped_markets():
    r = run("markets", "check", "--prompts-dir", str(PROMPTS))
    assert r.returncode == 0, r.stdout + r.stderr
    for market in ("us", "br", "jp", "eu", "sea"):
        assert f"ok      {market}" in r.stdout


def test_markets_check_prints_every_problem(tmp_path):
    shutil.copytree(PROMPTS / "us", tmp_path / "us")
    shutil.copytree(PROMPTS / "br", tmp_path / "br")
    products = tmp_path / "us" / "products.yaml"
    products.write_text(products.read_text().replace("price: 129.00", "price: cheap"))
    (tmp_path / "us" / "faq.yaml").write_text("- id: x\n  questions: [oops\n")
    r = run("markets", "check", "--prompts-dir", str(tmp_path))
    assert r.returncode == 1
    assert "ok      br" in r.stdout
    assert "REFUSED us" in r.stdout
    assert "products.yaml: [1].price" in r.stdout
    assert "faq.yaml" in r.stdout and "invalid YAML" in r.stdout


def test_chat_answers_in_the_terminal(tmp_path):
    r = run("chat", "--market", "br", "--db-path", str(tmp_path / "h.sqlite3"),
            "--prompts-dir", str(PROMPTS),
            stdin="quanto custa o moletom?\n/stage BR-TEN-02\nhow much is this one?\n/quit\n")
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stdout.splitlines() if x.startswith("bot")]
    assert "[pt price BR-MOLE-01]" in lines[0] and "189,90" in lines[0]
    assert "[en price BR-TEN-02]" in lines[1]


def test_chat_unknown_market_is_a_clear_error(tmp_path):
    r = run("chat", "--market", "mars", "--db-path", str(tmp_path / "h.sqlite3"))
    assert r.returncode != 0
    assert "unknown market 'mars'" in r.stderr and "us" in r.stderr


def test_the_market_date_decides_which_campaign_runs(tmp_path):
    """ASSISTANT_MARKET_DATE is the calendar campaigns are judged on: the us relay runs
    2026-11-20 .. 2026-12-07; before and after it there is none, and a bad date is refused at
    start-up with the setting's name."""
    args = ("chat", "--market", "us", "--db-path", str(tmp_path / "h.sqlite3"))
    ask = "how do I join the relay?\n/quit\n"
    during = run(*args, stdin=ask, env={"ASSISTANT_MARKET_DATE": "2026-12-07"})
    assert during.returncode == 0, during.stderr
    assert 'Tap "Invite"' in during.stdout and "$10" in during.stdout
    after = run(*args, stdin=ask, env={"ASSISTANT_MARKET_DATE": "2026-12-08"})
    assert after.returncode == 0, after.stderr
    assert "no campaign running" in after.stdout and 'Tap "Invite"' not in after.stdout
    bad = run(*args, stdin=ask, env={"ASSISTANT_MARKET_DATE": "next friday"})
    assert bad.returncode == 1 and "ASSISTANT_MARKET_DATE" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
