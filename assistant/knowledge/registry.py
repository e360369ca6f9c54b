"""The live set of markets: loaded from prompts/, one grounded engine per market, and the one
reload path every kind of change goes through (an operator publish, a rollback, a file edited on
disk, a new or removed folder): `sync(market_id)`.

A sync re-reads the folder; if its files differ from what is serving, it re-validates them and
swaps the market and its engine in, or - when the files are broken - keeps the last good version
serving and records the problems (`errors`), which the operator API shows like a refused
publish. Caches derived from a market are keyed on its engine object, so a swap invalidates
them all at once (see session/chat.py); listeners hear of every swap."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from assistant.errors import MarketError, MarketProblem, UnknownMarket
from assistant.knowledge.grounded import GroundedEngine
from assistant.knowledge.market import (
    FAQ_FILE,
    MARKET_FILE,
    PRODUCTS_FILE,
    SYSTEM_PROMPT_FILE,
    Market,
    load_market,
)

log = logging.getLogger(__name__)

MARKET_FILES = (MARKET_FILE, SYSTEM_PROMPT_FILE, PRODUCTS_FILE, FAQ_FILE)
Listener = Callable[[str], None]


def market_folders(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def fingerprint(folder: Path) -> str:
    """What the market's files hold now (missing files count), cheap to compare."""
    h = hashlib.sha256()
    for name in MARKET_FILES:
        try:
            data = (folder / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            data = b"\x00missing"
        h.update(name.encode() + b"\x00" + data + b"\x00")
    return h.hexdigest()


class MarketRegistry:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.RLock()
        self._markets: dict[str, Market] = {}
        self._engines: dict[str, GroundedEngine] = {}
        self._seen: dict[str, str] = {}  # market -> fingerprint of the files last validated
        self.errors: dict[str, MarketError] = {}  # problems of the files on disk now
        self._listeners: list[Listener] = []
        self.reload()

    # --- changes

    def on_swap(self, listener: Listener) -> None:
        """Call listener(market_id) after a market was swapped in or removed."""
        self._listeners.append(listener)

    def reload(self) -> list[str]:
        """Sync every folder (and forget markets whose folder is gone). Returns what changed."""
        changed = [mid for mid in market_folders(self.root) if self.sync(mid)]
        with self._lock:
            gone = [mid for mid in {*self._markets, *self.errors, *self._seen}
                    if mid != "*" and not (self.root / mid).is_dir()]
        changed += [mid for mid in gone if self.sync(mid)]
        if not self.root.is_dir():
            self.errors["*"] = MarketError("*", [MarketProblem(
                "*", str(self.root), "", "prompts directory not found")])
        else:
            self.errors.pop("*", None)
        return changed

    def sync(self, market_id: str) -> bool:
        """Bring one market in line with its folder. Returns True if what serves changed."""
        folder = self.root / market_id
        with self._lock:
            if not folder.is_dir():
                return self._remove(market_id)
            fp = fingerprint(folder)
            if self._seen.get(market_id) == fp:
                return False
            try:
                market = load_market(folder)
            except MarketError as e:
                self._seen[market_id] = fp
                self.errors[market_id] = e
                serving = market_id in self._markets
                log.error("market refused", extra={
                    "market": market_id, "serving": "last good version" if serving else "no",
                    "problems": [str(p) for p in e.problems]})
                return False
            # The engine first (its indexes take a second or two): a market is never visible
            # without the engine that answers for it.
            engine = GroundedEngine(market)
            self._engines[market_id] = engine
            self._markets[market_id] = market
            self._seen[market_id] = fp
            self.errors.pop(market_id, None)
        log.info("market loaded", extra={"market": market_id, "products": len(market.products)})
        self._notify(market_id)
        return True

    def reload_one(self, market_id: str) -> Market:
        """Sync one market and return it; raises MarketError if its files are broken (the last
        good version, if any, keeps serving)."""
        self.sync(market_id)
        with self._lock:
            if market_id in self.errors:
                raise self.errors[market_id]
            return self.get(market_id)

    def _remove(self, market_id: str) -> bool:
        had = self._markets.pop(market_id, None) is not None
        self._engines.pop(market_id, None)
        self._seen.pop(market_id, None)
        self.errors.pop(market_id, None)
        if had:
            log.warning("market folder removed: no longer serving", extra={"market": market_id})
            self._notify(market_id)
        return had

    def _notify(self, market_id: str) -> None:
        for listener in self._listeners:
            try:
                listener(market_id)
            except Exception:
                log.exception("market swap listener failed", extra={"market": market_id})

    # --- reading

    @property
    def ids(self) -> list[str]:
        return sorted(self._markets)

    @property
    def refused(self) -> dict[str, MarketError]:
        """Markets with broken files and nothing serving."""
        return {m: e for m, e in self.errors.items() if m not in self._markets}

    @property
    def stale(self) -> dict[str, MarketError]:
        """Markets serving their last good version because the files on disk are broken."""
        return {m: e for m, e in self.errors.items() if m in self._markets}

    def get(self, market_id: str) -> Market:
        try:
            return self._markets[market_id]
        except KeyError:
            raise UnknownMarket(market_id, self.ids) from None

    def engine(self, market_id: str) -> GroundedEngine:
        try:
            return self._engines[market_id]
        except KeyError:
            raise UnknownMarket(market_id, self.ids) from None

    def all(self) -> list[Market]:
        return [self._markets[m] for m in self.ids]
