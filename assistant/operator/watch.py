"""Watches prompts/ and sends every changed market through the one reload path
(`MarketEditor.disk_changed` -> `MarketRegistry.sync`): a hand edit, a new folder or a removed
one reaches live chat and voice within about a second, without a restart or a console publish.

watchfiles (inotify on Linux; polling where the filesystem has no events, e.g. some Docker
volumes: ASSISTANT_PROMPTS_POLL=true) groups the events of one save; the editor's per-market
lock orders a hand edit after a publish already writing the same market."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from watchfiles import Change, awatch

from assistant.knowledge.registry import MARKET_FILES
from assistant.operator.editor import MarketEditor

log = logging.getLogger(__name__)


class PromptsWatcher:
    def __init__(self, editor: MarketEditor, *, poll: bool = False, step_ms: int = 50,
                 debounce_ms: int = 400):
        self.editor = editor
        self.root = Path(editor.root).resolve()
        self.poll = poll
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.batches = 0  # change batches handled (tests and /healthz read it)

    def _relevant(self, change: Change, path: str) -> bool:
        p = Path(path)
        if p.name.startswith("."):  # editors' and our own temp files (.market.yaml.x.tmp)
            return False
        return p.name in MARKET_FILES or p.parent == self.root

    def _market_of(self, path: str) -> str | None:
        try:
            rel = Path(path).resolve().relative_to(self.root)
        except ValueError:
            return None
        return rel.parts[0] if rel.parts else None

    async def run(self, stop: asyncio.Event) -> None:
        """Until stop is set. The app's lifespan owns the task running this."""
        if not self.root.is_dir():
            log.warning("prompts folder missing: not watching", extra={"path": str(self.root)})
            return
        log.info("watching market files", extra={"path": str(self.root), "poll": self.poll})
        async for changes in awatch(self.root, watch_filter=self._relevant, stop_event=stop,
                                    step=self.step_ms, debounce=self.debounce_ms,
                                    force_polling=self.poll or None, poll_delay_ms=200):
            markets = sorted({m for _, path in changes if (m := self._market_of(path))})
            for market_id in markets:
                try:
                    await asyncio.to_thread(self.editor.disk_changed, market_id)
                except Exception:
                    log.exception("reload after a file change failed",
                                  extra={"market": market_id})
            self.batches += 1
