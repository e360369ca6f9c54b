"""Figures in a text, in the 14 supported languages: money amounts (currency symbols, codes and
words), percents (and whether said as a discount), durations (days, weeks, hours, ranges) and
other numbers; digit runs in either thousands convention, full-width and Arabic-Indic digits;
and number words where they state one of those ("one dollar" -> "1 dollar"). What the guard
(guard.py) checks against the market data is read here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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


def norm_value(value: Decimal | int | float) -> Decimal:
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
# Currency words of every language (the language packs): "ดอลลาร์", "đô la", "달러", "دولار", ...
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
