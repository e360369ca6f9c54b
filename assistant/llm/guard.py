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
stock, fast delivery) are checked by claims.py; both read their words from claims.yaml.

Known limits: Chinese "折" / Japanese "割" discounts are not converted to percent; the
bare-number check may reject a harmless count the data does not state, which only costs an LLM
reply (the grounded answer is used instead), never a wrong fact.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from assistant.knowledge.market import Market
from assistant.llm import claims

# ---------------------------------------------------------------------------------------------
# Numbers

# NFKC folds full-width digits, "％" and "￥"; Arabic-Indic digits and separators need a table.
_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬٪", "01234567890123456789.,%"
)
_SPACES = "\u00a0\u202f\u2009"
# A run of digits and separators; a plain space only counts as a thousands separator when a
# group of exactly three digits follows ("1 299,00 €"), so "sizes 8 9 10" stays three numbers.
_NUM = rf"\d(?:[\d.,{_SPACES}]| (?=\d{{3}}(?!\d)))*\d|\d"
_NUM_RE = re.compile(_NUM)
_GROUPED = (
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"), ",", "."),
    (re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"), ".", ","),
    (re.compile(rf"\d{{1,3}}(?:[ {_SPACES}]\d{{3}})+(?:[.,]\d+)?"), None, None),
)
_PLAIN = re.compile(r"\d+(?:[.,]\d+)?")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DIGITS)


def parse_numbers(run: str) -> list[Decimal]:
    """Value(s) of one digit run. "1.299,00" and "1,299.00" are 1299; "4,980" is 4980 (three
    digits after a lone separator read as thousands: prices never have three decimals); "44,50"
    is 44.5; a run that is no well-formed number ("7,8,9") is a list of numbers."""
    for pattern, group, dec in _GROUPED:
        if pattern.fullmatch(run):
            if group is None:
                body = re.sub(rf"[ {_SPACES}]", "", run).replace(",", ".")
            else:
                body = run.replace(group, "").replace(dec, ".")
            return [Decimal(body)]
    if _PLAIN.fullmatch(run):
        return [Decimal(run.replace(",", "."))]
    return [Decimal(p) for p in re.split(rf"[.,{_SPACES} ]+", run) if p]


def _norm(value: Decimal | int | float) -> Decimal:
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return Decimal(0)


# ---------------------------------------------------------------------------------------------
# Currency markers: marker -> currencies it can denote. Longest markers are tried first.

_DOLLAR = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "ARS", "CLP", "COP"})
_CURRENCY_MARKERS: dict[str, frozenset[str]] = {
    "US$": frozenset({"USD"}), "U$S": frozenset({"USD"}), "R$": frozenset({"BRL"}),
    "MX$": frozenset({"MXN"}), "CA$": frozenset({"CAD"}), "C$": frozenset({"CAD"}),
    "A$": frozenset({"AUD"}), "AU$": frozenset({"AUD"}), "S$": frozenset({"SGD"}),
    "HK$": frozenset({"HKD"}), "NT$": frozenset({"TWD"}), "$": _DOLLAR,
    "€": frozenset({"EUR"}), "£": frozenset({"GBP"}), "¥": frozenset({"JPY", "CNY"}),
    "円": frozenset({"JPY"}), "元": frozenset({"CNY"}), "块": frozenset({"CNY"}),
    "₩": frozenset({"KRW"}), "원": frozenset({"KRW"}), "฿": frozenset({"THB"}),
    "บาท": frozenset({"THB"}), "₫": frozenset({"VND"}), "đ": frozenset({"VND"}),
    "đồng": frozenset({"VND"}), "RM": frozenset({"MYR"}), "Rp": frozenset({"IDR"}),
    "₺": frozenset({"TRY"}), "TL": frozenset({"TRY"}), "₱": frozenset({"PHP"}),
    "ر.س": frozenset({"SAR"}), "ريال": frozenset({"SAR"}), "د.إ": frozenset({"AED"}),
    "درهم": frozenset({"AED"}),
    "dollars": _DOLLAR, "dollar": _DOLLAR, "dólares": _DOLLAR, "dólar": _DOLLAR,
    "reais": frozenset({"BRL"}), "euros": frozenset({"EUR"}), "euro": frozenset({"EUR"}),
    "yen": frozenset({"JPY"}), "yuan": frozenset({"CNY"}), "baht": frozenset({"THB"}),
    "ringgit": frozenset({"MYR"}), "rupiah": frozenset({"IDR"}), "lira": frozenset({"TRY"}),
    "riyal": frozenset({"SAR"}), "riyals": frozenset({"SAR"}), "dirham": frozenset({"AED"}),
    "dirhams": frozenset({"AED"}), "pesos": frozenset({"MXN", "ARS", "CLP", "COP"}),
    "peso": frozenset({"MXN", "ARS", "CLP", "COP"}),
}
_ISO_CODES = (
    "USD", "EUR", "GBP", "JPY", "CNY", "RMB", "KRW", "BRL", "MXN", "CAD", "AUD", "SGD", "HKD",
    "TWD", "IDR", "MYR", "THB", "VND", "PHP", "TRY", "SAR", "AED", "ARS", "CLP", "COP",
)
for _code in _ISO_CODES:
    _CURRENCY_MARKERS[_code] = frozenset({"CNY" if _code == "RMB" else _code})
# Currency words of every language (claims.yaml): "ดอลลาร์", "đô la", "달러", "دولار", ...
for _word, _codes in claims.currency_words().items():
    _known = _CURRENCY_MARKERS.get(_word, frozenset())
    _CURRENCY_MARKERS[_word] = _known | frozenset(
        c for code in _codes for c in (_DOLLAR if code == "DOLLAR" else {code}))

_WORDLIKE = re.compile(r"\w+")


def _marker_alt(markers: Iterable[str]) -> str:
    parts = []
    for m in sorted(markers, key=len, reverse=True):
        esc = re.escape(m)
        # Latin-letter markers need word edges ("RM" is not the end of "FORM", "TL" of "ATL");
        # CJK, Thai and symbols attach directly to the digits.
        if re.fullmatch(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff$ ]+", m) and not m.endswith("$"):
            esc = rf"(?<![^\W\d_]){esc}(?![^\W\d_])"
        parts.append(esc)
    return "|".join(parts)


_CUR_ALT = _marker_alt(_CURRENCY_MARKERS)
_CUR_BEFORE = re.compile(rf"(?:{_CUR_ALT})\.?\s?$")
_CUR_AFTER = re.compile(rf"^\s?(?:{_CUR_ALT})", re.IGNORECASE)


def _currencies(marker: str) -> frozenset[str]:
    for key in (marker, marker.lower(), marker.upper()):
        if key in _CURRENCY_MARKERS:
            return _CURRENCY_MARKERS[key]
    return _DOLLAR

# ---------------------------------------------------------------------------------------------
# Percent, discount and duration words

_PCT_AFTER = re.compile(
    r"^\s?(?:%|percent\b|per cent\b|por ciento|por cento|pour cent|prozent|persen|phần trăm"
    r"|เปอร์เซ็นต์|パーセント|퍼센트|في المئة|بالمئة)",
    re.IGNORECASE,
)
_PCT_BEFORE = re.compile(r"(?:%|yüzde)\s?$", re.IGNORECASE)  # Turkish writes "%20", "yüzde 20"
_DISCOUNT = re.compile(
    r"\boff\b|discount|\bsave|saving|descuento|rebaja|ahorr|desconto|economi|remise|réduction"
    r"|rabatt|reduziert|diskon|potongan|giảm|ลด|割引|オフ|引き|折|优惠|할인|خصم|تخفيض|indirim"
    r"|coupon|cupón|cupom",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:!?.](?:\s|$)|[()、。，！？؛،]")
_RANGE_SEP = (
    r"\s?(?:-|–|—|~|〜|to|a|al|até|à|au|bis|hingga|sampai|s/d|đến|tới|ถึง|から|至|到)\s?"
)
_DAY_UNIT = (
    r"(?:(?:business|working|calendar)\s+)?days?\b|días?\b|dias?\b|jours?\b|Werktagen?\b"
    r"|Arbeitstagen?\b|Tagen?\b|hari\b|ngày|วัน|営業日|日間|日|个工作日|個工作日|工作日|天"
    r"|영업일|일|أيام|يومًا|يوما|يوم|ايام|(?:iş\s)?gün"
)
_WEEK_UNIT = (
    r"weeks?\b|semanas?\b|semaines?\b|Wochen?\b|minggu\b|tuần|สัปดาห์|週間|周|週|星期|주"
    r"|أسابيع|أسبوع|hafta"
)
_HOUR_UNIT = (
    r"hours?\b|hrs?\b|horas?\b|heures?\b|Stunden?\b|jam\b|giờ(?!\s(?:sáng|chiều|tối|trưa))"
    r"|ชั่วโมง|時間|小时|小時|시간|ساعات|ساعة|saat\b"
)
_UNITS = {"day": _DAY_UNIT, "week": _WEEK_UNIT, "hour": _HOUR_UNIT}
_DURATION = re.compile(
    rf"(?P<a>{_NUM})(?:{_RANGE_SEP}(?P<b>{_NUM}))?\s?(?:个|個)?"
    rf"(?:(?P<day>{_DAY_UNIT})|(?P<week>{_WEEK_UNIT})|(?P<hour>{_HOUR_UNIT}))",
    re.IGNORECASE,
)
_DATE_BEFORE = re.compile(r"(?:月|월)\s?$")  # "12月2日", "12월 2일" are dates, not durations


# ---------------------------------------------------------------------------------------------
# Figures found in a text


@dataclass(frozen=True, slots=True)
class Figure:
    kind: str  # money | percent | day | week | hour | number
    values: tuple[Decimal, ...]  # one value, or (low, high) for a range
    text: str  # as written (normalized)
    currencies: frozenset[str] = frozenset()  # money only: what the marker can denote
    discount: bool = False  # percent only: said as a discount


def extract_figures(text: str) -> list[Figure]:
    """Every money amount, percent, duration and other number in `text`, in that precedence:
    a number that is part of a money amount is not also reported as a bare number."""
    t = normalize(text)
    taken = [False] * len(t)
    out: list[Figure] = []

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(a: int, b: int) -> None:
        for i in range(a, b):
            taken[i] = True

    numbers = list(_NUM_RE.finditer(t))
    for m in numbers:
        before, after = t[max(0, m.start() - 8) : m.start()], t[m.end() : m.end() + 10]
        pre, post = _CUR_BEFORE.search(before), _CUR_AFTER.search(after)
        if not (pre or post):
            continue
        marker = (pre.group(0) if pre else post.group(0)).strip().rstrip(".")  # type: ignore[union-attr]
        currencies = _currencies(marker)
        start = m.start() - (len(pre.group(0)) if pre else 0)
        end = m.end() + (len(post.group(0)) if post else 0)
        for v in parse_numbers(m.group(0)):
            out.append(Figure("money", (v,), t[start:end].strip(), currencies))
        take(start, end)

    for m in numbers:
        if not free(m.start(), m.end()):
            continue
        before, after = t[max(0, m.start() - 8) : m.start()], t[m.end() : m.end() + 16]
        post, pre = _PCT_AFTER.search(after), _PCT_BEFORE.search(before)
        if not (post or pre):
            continue
        start = m.start() - (len(pre.group(0)) if pre else 0)
        end = m.end() + (len(post.group(0)) if post else 0)
        # Only the clause around the figure: in "$44 (25% off), 80% cotton" the 80 is no discount.
        head = _CLAUSE_END.split(t[max(0, start - 30) : start])[-1]
        tail = _CLAUSE_END.split(t[end : end + 30])[0]
        window = head + t[start:end] + tail
        for v in parse_numbers(m.group(0)):
            out.append(
                Figure("percent", (v,), t[start:end], discount=bool(_DISCOUNT.search(window)))
            )
        take(start, end)

    for m in _DURATION.finditer(t):
        if not free(m.start(), m.end()):
            continue
        kind = next(k for k in _UNITS if m.group(k))
        if kind == "day" and _DATE_BEFORE.search(t[max(0, m.start() - 3) : m.start()]):
            continue
        low = parse_numbers(m.group("a"))[-1]
        values = (low,) if m.group("b") is None else (low, parse_numbers(m.group("b"))[0])
        out.append(Figure(kind, values, m.group(0)))
        take(m.start(), m.end())

    for m in numbers:
        if free(m.start(), m.end()):
            out.extend(Figure("number", (v,), m.group(0)) for v in parse_numbers(m.group(0)))
    return out


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
            f.money.add(_norm(d.fee))
            if d.free_over is not None:
                f.money.add(_norm(d.free_over))
        for p in market.products:
            f.money.add(_norm(p.price))
            if p.sale_price is not None:
                f.money.update({_norm(p.sale_price), _norm(p.price - p.sale_price)})
                f.discounts.update(_percent_off(p.price, p.sale_price))
            if p.delivery_days is not None:
                days.append((p.delivery_days.min, p.delivery_days.max))
            f.numbers.update(_norm(n) for n in _stock_figures(p))
            f.numbers.update(_norm(n) for n in (len(p.sizes), len(p.colors)))
        for lo, hi in days:
            f.ranges["day"].add((_norm(lo), _norm(hi)))
            f.singles["day"].update({_norm(lo), _norm(hi)})
        f.singles["day"].add(_norm(pol.returns.window_days))
        f.numbers.update(
            _norm(n)
            for n in (
                len(market.products), len(pol.payment.methods), len(pol.shipping.destinations),
                len(market.campaigns),
            )
        )
        contexts = list(_contexts(market))
        in_context = {s for s, _ in contexts}
        texts: list[str] = [market.system_prompt, market.tone, market.host_name, market.name]
        for value in _walk(market.model_dump(exclude={"system_prompt", "source_dir"})):
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, bool):
                continue
            elif isinstance(value, int | float | Decimal):
                f.numbers.add(_norm(value))
            elif isinstance(value, dt.date):
                f.numbers.update(_norm(n) for n in (value.year, value.month, value.day))
        # Amounts stated only in campaign / FAQ texts need their context (see `contextual`).
        free = set(f.money)
        for text in texts:
            if text not in in_context:
                free.update(_norm(v) for fig in _cached_figures(text) if fig.kind == "money"
                            for v in fig.values)
        for source, words in contexts:
            for fig in _cached_figures(source):
                if fig.kind == "money":
                    for v in fig.values:
                        if _norm(v) not in free:
                            f.contextual.setdefault(_norm(v), set()).update(words)
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
        vals = tuple(_norm(v) for v in fig.values)
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


_CONTEXT_WORD = re.compile(r"[^\W\d_]{4,}")


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
        _norm(Decimal(math.floor(exact))),
        _norm(Decimal(math.ceil(exact))),
        _norm(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        _norm(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
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


_UNIT_AFTER = re.compile(rf"^\s?(?:{_DAY_UNIT}|{_WEEK_UNIT}|{_HOUR_UNIT})", re.IGNORECASE)


def spell_out(text: str, langs: Sequence[str]) -> str:
    """Number words that say an amount, a percent or a duration become digits ("one dollar" ->
    "1 dollar", "ห้าสิบบาท" -> "50บาท"), so the figure checks read them; other number words
    ("one of our best sellers") stay as they are."""
    t = normalize(text)
    low = t.lower()
    if len(low) != len(t):  # a rare case-fold that changes length: positions would drift
        return t
    spans: list[tuple[int, int, Decimal]] = []
    for lang in dict.fromkeys(langs):
        for a, b, value in claims.number_spans(lang, low):
            after = t[b : b + 16]
            if claims.number_after_noun(lang) and _CUR_BEFORE.search(t[max(0, a - 10) : a]):
                # "بدولار واحد": the currency first, then the number
                spans.append((a, b, value))
                continue
            cur = _CUR_AFTER.search(after)
            if cur and re.match(r"\s?\d", after[cur.end():]):
                continue  # "a $10 coupon", "de $35 a $1,000": the marker is the next figure's
            if (cur or _PCT_AFTER.search(after)
                    or _UNIT_AFTER.search(after)) and not any(a < y and x < b for x, y, _ in spans):
                spans.append((a, b, value))
    for a, b, value in sorted(spans, reverse=True):
        t = t[:a] + format(value, "f") + t[b:]
    return t


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
        return [_norm(f.values[0]) for f in extract_figures(spell_out(sentence, langs))
                if f.kind == "money"]

    reasons += claims.claim_problems(market, reply, langs=langs, sku=sku, money_in=money_in)
    return GuardResult(ok=not reasons, reasons=tuple(reasons))
