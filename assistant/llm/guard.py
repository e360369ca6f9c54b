"""The grounding guard: checks an LLM reply against the market data before a viewer sees it.

Every money amount, percent figure and duration (days, weeks, hours) in the reply must be
derivable from the market: catalog prices and sale prices, savings and percent off, shipping fees
and free-shipping thresholds, destination and product delivery days, the returns window, and any
figure written in the market's own texts (campaign rewards and rules, FAQ answers, policy notes,
materials). Any other number must appear somewhere in the market data, the facts given to the
model or the viewer's own message. A money amount in another currency than the market's is
rejected too (the model must not convert prices).

Works on the 14 supported languages: currency symbols, codes and words ("R$", "US$", "¥", "円",
"reais", "dólares"...), percent words ("por ciento", "phần trăm"...), duration words ("días",
"hari", "ngày", "日", "일"...), ranges ("3-5", "3 a 5", "3〜5"), Arabic-Indic and full-width digits,
and thousand separators in either convention ("1.299,00", "1,299.00", "4,980").

Numbers written as words are read where they say an amount, percent or duration ("one dollar",
"cinco días", "หนึ่ง ดอลลาร์"), and claims without figures (free shipping, discounts, coupons,
stock, fast delivery) are checked by claims.py; both read their words from the language
packs (assistant/languages/).

Known limits: Chinese "折" / Japanese "割" discounts are not converted to percent; the
bare-number check may reject a harmless count the data does not state, which only costs an LLM
reply (the grounded answer is used instead), never a wrong fact.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from assistant.knowledge.market import Market
from assistant.llm import claims
from assistant.llm.figures import Figure, extract_figures, norm_value, spell_out

# ---------------------------------------------------------------------------------------------
# What the market allows


@dataclass
class MarketFigures:
    """Every figure the market's data supports, by kind."""

    currency: str
    money: set[Decimal] = field(default_factory=set)
    percents: set[Decimal] = field(default_factory=set)
    discounts: set[Decimal] = field(default_factory=set)
    singles: dict[str, set[Decimal]] = field(
        default_factory=lambda: {"day": set(), "week": set(), "hour": set()}
    )
    ranges: dict[str, set[tuple[Decimal, Decimal]]] = field(
        default_factory=lambda: {"day": set(), "week": set(), "hour": set()}
    )
    numbers: set[Decimal] = field(default_factory=lambda: {Decimal(0), Decimal(1)})
    # Amounts only a campaign or FAQ text states (a $10 coupon, 330 yen gift wrap): said in
    # a reply only next to one of that text's words, so "$10" never becomes a product's price.
    contextual: dict[Decimal, set[str]] = field(default_factory=dict)

    @classmethod
    def from_market(cls, market: Market) -> MarketFigures:
        f = cls(currency=market.currency)
        pol = market.policies
        days: list[tuple[int, int]] = [(d.days.min, d.days.max) for d in pol.shipping.destinations]
        for d in pol.shipping.destinations:
            f.money.add(norm_value(d.fee))
            if d.free_over is not None:
                f.money.add(norm_value(d.free_over))
        for p in market.products:
            f.money.add(norm_value(p.price))
            if p.sale_price is not None:
                f.money.update({norm_value(p.sale_price), norm_value(p.price - p.sale_price)})
                f.discounts.update(_percent_off(p.price, p.sale_price))
            if p.delivery_days is not None:
                days.append((p.delivery_days.min, p.delivery_days.max))
            f.numbers.update(norm_value(n) for n in _stock_figures(p))
            f.numbers.update(norm_value(n) for n in (len(p.sizes), len(p.colors)))
        for lo, hi in days:
            f.ranges["day"].add((norm_value(lo), norm_value(hi)))
            f.singles["day"].update({norm_value(lo), norm_value(hi)})
        f.singles["day"].add(norm_value(pol.returns.window_days))
        f.numbers.update(
            norm_value(n)
            for n in (
                len(market.products), len(pol.payment.methods), len(pol.shipping.destinations),
                len(market.campaigns),
            )
        )
        contexts = list(_contexts(market))
        in_context = {s for s, _ in contexts}
        texts: list[str] = [market.system_prompt, market.tone, market.host_name, market.name,
                            *market.host_names.values()]
        for value in _walk(market.model_dump(exclude={"system_prompt", "source_dir"})):
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, bool):
                continue
            elif isinstance(value, int | float | Decimal):
                f.numbers.add(norm_value(value))
            elif isinstance(value, dt.date):
                f.numbers.update(norm_value(n) for n in (value.year, value.month, value.day))
        # Amounts stated only in campaign / FAQ texts need their context (see `contextual`).
        free = set(f.money)
        for text in texts:
            if text not in in_context:
                free.update(norm_value(v) for fig in _cached_figures(text) if fig.kind == "money"
                            for v in fig.values)
        for source, words in contexts:
            for fig in _cached_figures(source):
                if fig.kind == "money":
                    for v in fig.values:
                        if norm_value(v) not in free:
                            f.contextual.setdefault(norm_value(v), set()).update(words)
        f.add_texts(texts)
        f.percents |= f.discounts
        return f

    def add_texts(self, texts: Iterable[str]) -> None:
        """Allow every figure written in these texts (market texts, or the facts given to the
        model, which the grounded engine derived from the same data)."""
        for text in texts:
            for fig in _cached_figures(text):
                self._allow(fig)

    def _allow(self, fig: Figure) -> None:
        self.numbers.update(fig.values)
        if fig.kind == "money":
            self.money.update(fig.values)
        elif fig.kind == "percent":
            self.percents.update(fig.values)
            # A percent in a campaign or FAQ text may be quoted as a discount only when the
            # text itself says it is one; "80% organic cotton" must not become "80% off".
            if fig.discount:
                self.discounts.update(fig.values)
        elif fig.kind in self.singles:
            self.singles[fig.kind].update(fig.values)
            if len(fig.values) == 2:
                self.ranges[fig.kind].add((fig.values[0], fig.values[1]))

    def copy(self) -> MarketFigures:
        return MarketFigures(
            currency=self.currency,
            money=set(self.money),
            percents=set(self.percents),
            discounts=set(self.discounts),
            singles={k: set(v) for k, v in self.singles.items()},
            ranges={k: set(v) for k, v in self.ranges.items()},
            numbers=set(self.numbers),
            contextual={k: set(v) for k, v in self.contextual.items()},
        )

    # --- checks

    def problem(self, fig: Figure, reply: str = "") -> str | None:
        """Why `fig` is not supported by the market data, or None when it is."""
        vals = tuple(norm_value(v) for v in fig.values)
        if fig.kind == "money":
            if self.currency not in fig.currencies:
                return f"money: {fig.text!r} is not in the market currency {self.currency}"
            if vals[0] not in self.money:
                return f"money: {fig.text!r} is not a price, fee or amount in the market data"
            words = self.contextual.get(vals[0])
            if words is not None:
                low = reply.casefold()
                if not any(w in low for w in words):
                    return (f"money: {fig.text!r} is a campaign or FAQ amount, said without "
                            "what it is for")
        elif fig.kind == "percent":
            allowed = self.discounts if fig.discount else self.percents
            if vals[0] not in allowed:
                what = "discount" if fig.discount else "percent"
                return f"{what}: {fig.text!r} is not in the market data"
        elif fig.kind in self.singles:
            if not self._duration_ok(fig.kind, vals):
                return f"{fig.kind}s: {fig.text!r} is not a time stated in the market data"
        elif vals[0] not in self.numbers:
            return f"number: {fig.text!r} does not appear in the market data"
        return None

    def _duration_ok(self, kind: str, vals: tuple[Decimal, ...]) -> bool:
        # Weeks and whole days of hours may restate a day figure ("1-2 weeks" for 7-14 days).
        in_days = tuple(v * 7 if kind == "week" else v / 24 if kind == "hour" else v for v in vals)
        if len(vals) == 2 and vals[0] != vals[1]:
            return vals in self.ranges[kind] or in_days in self.ranges["day"]
        return vals[0] in self.singles[kind] or in_days[0] in self.singles["day"]


@lru_cache(maxsize=4096)
def _cached_figures(text: str) -> tuple[Figure, ...]:
    # Fact lines repeat for every question about the same product.
    return tuple(extract_figures(text))


# Words of 4+ letters; Hangul, kana, Han and Thai words are shorter, Arabic ones too.
_CONTEXT_WORD = re.compile(
    r"[\uac00-\ud7af\u3040-\u30ff\u3400-\u9fff\u0e00-\u0e7f]{2,}|[\u0600-\u06ff]{3,}"
    r"|[^\W\d_]{4,}")


def _contexts(market: Market) -> Iterator[tuple[str, set[str]]]:
    """(text, the words that say what it is about) for campaign and FAQ texts."""
    for c in market.campaigns:
        words = {w.casefold() for w in _strings([c.name, c.keywords])
                 for w in _CONTEXT_WORD.findall(w)}
        words |= {w.casefold() for v in c.keywords.values() for w in v}  # CJK keywords whole
        for text in _strings([c.description, c.rules, c.reward, c.how_to_join, c.name]):
            yield text, words
    for e in market.faq:
        words = {w.casefold() for q in _strings(e.questions) for w in _CONTEXT_WORD.findall(q)}
        words |= {w for w in e.id.split("-") if len(w) >= 3}  # "cod", "gift", "wrap"
        for text in e.answer.values():
            yield text, words


def _strings(value: Any) -> Iterator[str]:
    for v in _walk(value):
        if isinstance(v, str):
            yield v


def _walk(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def _percent_off(price: Decimal, sale: Decimal) -> set[Decimal]:
    exact = (price - sale) * 100 / price
    # Replies round percent off either way ("25%" or "26%" for 25.4%) or keep one decimal.
    return {
        norm_value(Decimal(math.floor(exact))),
        norm_value(Decimal(math.ceil(exact))),
        norm_value(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        norm_value(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
    }


def _stock_figures(p: Any) -> set[int]:
    out = {p.total_stock}
    for v in p.variants:
        out.update({v.stock, p.stock_for(size=v.size), p.stock_for(color=v.color)})
    return out


# ---------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True, slots=True)
class GuardResult:
    ok: bool
    reasons: tuple[str, ...] = ()

    @property
    def kinds(self) -> frozenset[str]:
        """The figure kinds that failed ("money", "percent", "discount", "days", ...)."""
        return frozenset(r.split(":", 1)[0] for r in self.reasons)


# Market objects are immutable and replaced on every edit; keep the figures of the latest few.
_CACHE: dict[int, tuple[Market, MarketFigures]] = {}
_CACHE_SIZE = 64


def market_figures(market: Market) -> MarketFigures:
    hit = _CACHE.get(id(market))
    if hit is not None and hit[0] is market:
        return hit[1]
    figures = MarketFigures.from_market(market)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(market)] = (market, figures)
    return figures


def _langs(market: Market, lang: str | None) -> tuple[str, ...]:
    # The reply's language, and English: models slip into it ("free shipping", "one dollar").
    return (lang, "en") if lang else (*market.languages, "en")


def check_reply(
    market: Market, reply: str, *, facts: Sequence[str] = (), viewer_text: str = "",
    lang: str | None = None, sku: str | None = None,
) -> GuardResult:
    """Check `reply` against `market`. `facts` (lines derived from the market data) extend what
    may be said; numbers in `viewer_text` may be repeated as plain numbers ("size 10?") but
    never become prices, discounts or delivery times, and viewer text never backs a claim.
    Numbers written as words count as numbers; claims of free shipping, discounts, coupons,
    stock and fast delivery are checked against the data (claims.py)."""
    allowed = market_figures(market)
    if facts or viewer_text:
        allowed = allowed.copy()
        allowed.add_texts(facts)
        for fig in _cached_figures(viewer_text):
            allowed.numbers.update(fig.values)
    langs = _langs(market, lang)
    reasons = [p for fig in extract_figures(spell_out(reply, langs))
               if (p := allowed.problem(fig, reply))]

    def money_in(sentence: str) -> list[Decimal]:
        return [norm_value(f.values[0]) for f in extract_figures(spell_out(sentence, langs))
                if f.kind == "money"]

    reasons += claims.claim_problems(market, reply, langs=langs, sku=sku, money_in=money_in)
    return GuardResult(ok=not reasons, reasons=tuple(reasons))
