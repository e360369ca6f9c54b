"""Reply templates (from the language packs) and locale-aware formatting of money, lists, dates
and days.

Templates hold wording only; every figure in them comes from the market data through a
placeholder. Formatting goes through babel (CLDR) with Locale objects and results cached, because
this runs for every chat message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.numbers import format_currency

from assistant import languages

_FALLBACK_LANG = "en"


def join_sentences(parts: list[str], lang: str) -> str:
    """Sentences one after another: Japanese and Chinese put no space after 。."""
    return ("" if lang in ("ja", "zh") else " ").join(p for p in parts if p)


@lru_cache(maxsize=8)
def _opencc(config: str):
    import opencc  # loaded only for a market that writes Chinese in Traditional characters

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _opencc("t2s").convert(text)


def traditional(
    texts: list[str], lang: str, keep: Callable[[], Iterable[str]] = tuple
) -> Callable[[str], str] | None:
    """A converter of `lang`'s replies into Traditional characters when the market's own
    `texts` in it are Traditional (most of them change under Traditional -> Simplified);
    None when they are not, or the pack has no such conversion. The market's own words in
    `keep()` stay exactly as the operator wrote them (the conversion would make their "台灣"
    "臺灣"): only the pack's wording is converted."""
    config = languages.pack(lang).script.traditional if languages.has(lang) else None
    if config is None or not texts:
        return None
    changed = sum(to_simplified(t) != t for t in texts)
    if changed * 2 <= len(texts):
        return None
    convert = _opencc(config).convert
    # Longest first, so a sentence is restored before a name inside it.
    restore = sorted({(c, k) for k in keep() if k and (c := convert(k)) != k},
                     key=lambda pair: -len(pair[0]))

    def run(text: str) -> str:
        out = convert(text)
        for converted, own in restore:
            if converted in out:
                out = out.replace(converted, own)
        return out

    return run


def template(lang: str, key: str) -> str:
    """The template for `key` in `lang` (its language pack; English for a language without
    one). Every pack has every key: the schema checks it at load."""
    return languages.pack(lang).replies[key]


@lru_cache(maxsize=64)
def locale(lang: str) -> Locale:
    """A cached babel Locale for a language code or locale id ("es", "es_US")."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(_FALLBACK_LANG)


@lru_cache(maxsize=4096)
def format_money(amount: Decimal, currency: str, lang: str) -> str:
    """An amount in `currency` formatted for `lang` (a language code, or a locale id such as
    "es_US" for a market's country); CLDR decides the symbol and decimals (JPY has none)."""
    return format_currency(amount, currency, locale=locale(lang))


@lru_cache(maxsize=512)
def format_date(day: dt.date, lang: str) -> str:
    """A month-and-day date, the month written out as people say it ("November 20",
    "20 de noviembre", "20 Kasım", "11月20日"): chat reads it aloud and viewers repeat it."""
    return format_skeleton("MMMMd", day, locale=locale(lang))


@lru_cache(maxsize=128)
def _list_patterns(lang: str, style: str) -> tuple[str, str, str, str]:
    patterns = locale(lang).list_patterns
    p = patterns[style] if style in patterns else patterns["standard"]
    return p["2"], p["start"], p["middle"], p["end"]


def join_list(items: list[str], lang: str, style: str = "standard") -> str:
    """["a", "b", "c"] -> "a, b, and c" ("or" with style="or") in the language's own list style
    (CLDR list patterns)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    two, start, middle, end = _list_patterns(lang, style)
    if len(items) == 2:
        return two.format(items[0], items[1])
    out = start.format(items[0], items[1])
    for item in items[2:-1]:
        out = middle.format(out, item)
    return end.format(out, items[-1])


def format_days(lo: int, hi: int, lang: str) -> str:
    """A delivery day range, "3-5 days"."""
    if lo == hi:
        return template(lang, "day_1") if lo == 1 else template(lang, "days_one").format(n=lo)
    return template(lang, "days_range").format(min=lo, max=hi)
