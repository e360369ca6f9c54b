"""The live set of markets: loaded from prompts/, one grounded engine per market, reloadable.

Broken markets are kept as errors next to the good ones so that `/v1/markets` and
`assistant markets check` can show them, while every good market keeps serving."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from assistant.errors import MarketError, UnknownMarket
from assistant.knowledge.grounded import GroundedEngine
from assistant.knowledge.market import Market, load_market, load_markets

log = logging.getLogger(__name__)


class MarketRegistry:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._markets: dict[str, Market] = {}
        self._engines: dict[str, GroundedEngine] = {}
        self.errors: dict[str, MarketError] = {}
        self.reload()

    def reload(self) -> None:
        markets, errors = load_markets(self.root)
        engines = {mid: GroundedEngine(m) for mid, m in markets.items()}
        with self._lock:
            self._markets, self._engines = markets, engines
            self.errors = {e.market: e for e in errors}
        for e in errors:
            log.error("market refused",
                      extra={"market": e.market, "problems": [str(p) for p in e.problems]})

    def reload_one(self, market_id: str) -> Market:
        """Re-read one market folder; on error the previous good version keeps serving."""
        market = load_market(self.root / market_id)
        engine = GroundedEngine(market)
        with self._lock:
            self._markets[market_id] = market
            self._engines[market_id] = engine
            self.errors.pop(market_id, None)
        return market

    @property
    def ids(self) -> list[str]:
        return sorted(self._markets)

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
