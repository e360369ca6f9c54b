from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.knowledge.market import pin_market_date
from tests.server import live_server

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
HOST_TOKEN = "test-host-token"
OPERATOR_TOKEN = "test-operator-token"
PLATFORM_TOKEN = "test-platform-token"
# The demo markets' campaigns run in late November and early December 2026: the tests judge
# them on a day when all of them run, whatever the real date (in-process engines and servers
# by the pin, the CLI and server processes the tests start by the setting).
MARKET_DATE = dt.date(2026, 12, 1)
os.environ["ASSISTANT_MARKET_DATE"] = MARKET_DATE.isoformat()
pin_market_date(MARKET_DATE)


def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = dict(
        prompts_dir=PROMPTS,
        db_path=tmp_path / "handoffs.sqlite3",
        host_tokens=[HOST_TOKEN],
        operator_tokens=[OPERATOR_TOKEN],
        platform_tokens=[PLATFORM_TOKEN],
        # In-thread test servers load speech engines when a voice test needs them; the shipped
        # default (preload at start-up) is what the CLI tests run.
        voice_preload=False,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def server(settings: Settings):
    with live_server(settings) as srv:
        yield srv


@pytest.fixture
def platform_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {PLATFORM_TOKEN}"}


@pytest.fixture
def host_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {HOST_TOKEN}"}
