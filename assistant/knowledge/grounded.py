"""The embedded grounded answer engine: understands a viewer's question and answers it with exact
facts from one market's data, in the viewer's language, with no LLM.

Understanding is phrase matching, built once per market: every phrase that means something
(topic words from lexicon.py, product names/aliases/SKUs, colour names, CLDR country names, FAQ
phrasings, campaign keywords) is normalized and compiled into one trie-shaped regex per language,
so a message is scanned once, in C. Answers are reply templates (replies.py) filled only with
market data: a viewer's own numbers are never repeated as facts, and what the data does not say
is handed to the host instead of guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from babel import localedata

from assistant.dialogue import Answer, Topic, Turn, Understanding
from assistant.knowledge import lexicon
from assistant.knowledge.market import Campaign, Market, Product, ShippingDestination
from assistant.knowledge.replies import (
    format_date,
    format_days,
    format_money,
    join_list,
    join_sentences,
    locale,
    template,
)

__all__ = ["GroundedEngine", "GroundedUnderstanding", "format_money", "normalize"]

# Topics whose answer is about one product: without a product we ask which one.
PRODUCT_TOPICS = frozenset({
    Topic.PRICE, Topic.SIZE, Topic.STOCK, Topic.COLOR, Topic.MATERIAL,
})
_MAX_TOPICS_ANSWERED = 2
_MAX_TEXT = 500  # a live comment; longer input is cut, not scanned
_MAX_LISTED = 5  # products / items named in one short reply
_MAX_REPLY_CHARS = 320


@dataclass(frozen=True, slots=True)
class GroundedUnderstanding(Understanding):
    """An Understanding plus the finer points the grounded engine's wording needs. Other code
    may pass a plain Understanding to answer(); it is answered with default wording."""

    flags: frozenset[str] = frozenset()  # see lexicon.FLAGS, plus "body", "color_missing"
    asked_size: str | None = None  # a size the viewer named that the product doesn't have
    campaign_id: str | None = None


# ---------------------------------------------------------------------------------------------
# Normalization: the same for phrases and messages, so tables can be written naturally.


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):  # Latin with accents, Vietnamese
        for cp in range(lo, hi + 1):
            base = "".join(
                c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c)
            )
            if base and base != chr(cp):
                table[cp] = base
    for cp in range(0x0300, 0x0370):  # combining accents (e.g. the dot casefold adds to İ)
        table[cp] = None
    for cp in [*range(0x064B, 0x0660), 0x0670, 0x0640]:  # Arabic harakat, tatweel
        table[cp] = None
    for src, dst in {
        "ı": "i", "đ": "d", "ø": "o", "æ": "ae", "ł": "l", "œ": "oe",
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    }.items():
        table[ord(src)] = dst
    punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»“”‘’„…–—·•、。，！？：；（）「」『』【】〜～・"
    for ch in punct + "\u060c\u061f\u066a\u200b":  # Arabic comma, question mark, percent; ZWSP
        table[ord(ch)] = " "
    return table


_FOLD = _fold_table()


def normalize(text: str) -> str:
    """NFKC, casefold, accents stripped from Latin and Arabic script, punctuation to spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_FOLD).split())


# Scripts written without word spaces, or with particles glued on: match their phrases anywhere.
_SUBSTRING_SCRIPT = re.compile(
    "[\u0600-\u06ff\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)
_WORD_CHARS = "0-9a-z"  # after normalize() Latin letters are plain a-z
_NOT_WORD_BEFORE = f"(?<![{_WORD_CHARS}])"
_NOT_WORD_AFTER = f"(?![{_WORD_CHARS}])"

# Size tokens and ISO codes come from the raw (NFKC) text, where case still tells "M" from "m".
_ASCII_TOKEN = re.compile(
    r"(?<![A-Za-z0-9.$€£¥'’])(\d?[A-Za-z]{1,4}|\d{1,3}(?:\.\d)?)(?![A-Za-z0-9%$€£¥]|\.\d)"
)
_BODY = re.compile(
    r"\d{2,3}(?:[.,]\d+)?\s*(?:" + "|".join(re.escape(u) for u in lexicon.BODY_UNITS)
    + r")(?![a-z])|\d\s*(?:'|ft)\s*\d{1,2}"
)
_CHART_UNITS = frozenset({"in", "cm", "mm", "kg", "g", "lb"})
_FAQ_STOPWORDS = frozenset(
    "a an the is are do does you your it i can there for to of with me my we "
    "el la los las de del un una se es lo que en y o "
    "o a os as um uma e de do da em".split()
)
# Territory codes that are regions or placeholders, not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})

_Tag = tuple[str, object]


def _phrases(spec: str) -> Iterable[tuple[str, bool, bool]]:
    """'a, ~b, c*' -> (phrase, weak, prefix) triples."""
    for raw in spec.split(","):
        p = raw.strip()
        if not p:
            continue
        weak = p.startswith("~")
        prefix = p.endswith("*")
        yield p.strip("~*").strip(), weak, prefix


def _trie_pattern(words: dict[str, bool]) -> str:
    """One regex alternation for many phrases, factored as a trie so a scan costs about the
    length of the text, not the number of phrases. `words` maps phrase -> prefix (no right word
    boundary). Longer phrases are tried first; a failed boundary backtracks to a shorter one."""
    trie: dict = {}
    for word, prefix in words.items():
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = node.get("", False) or prefix

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append("" if node[""] else _NOT_WORD_AFTER)
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(trie) if trie else "(?!)"


@dataclass(slots=True)
class _Matcher:
    regex: re.Pattern[str]
    tags: dict[str, tuple[_Tag, ...]]


@dataclass(slots=True)
class _Scan:
    """What one pass over a message found, in text order."""

    topics: list[tuple[int, Topic]]
    weak: list[tuple[int, Topic]]
    products: list[str]
    colors: list[tuple[str, str]]  # ("pcolor", color id) or ("color", canonical colour)
    countries: list[str]
    faqs: list[tuple[int, str]]
    campaigns: list[tuple[int, str]]
    flags: set[str]


class _MatcherBuilder:
    def __init__(self) -> None:
        self.tags: dict[str, list[_Tag]] = {}
        self.prefix: dict[str, bool] = {}

    def add(self, phrase: str, tag: _Tag, is_prefix: bool = False) -> None:
        norm = normalize(phrase)
        if len(norm) < 2 and not _SUBSTRING_SCRIPT.search(norm):
            return
        bucket = self.tags.setdefault(norm, [])
        if tag not in bucket:
            bucket.append(tag)
        self.prefix[norm] = self.prefix.get(norm, False) or is_prefix

    def build(self) -> _Matcher:
        boundary = {w: pre for w, pre in self.prefix.items() if not _SUBSTRING_SCRIPT.search(w)}
        substring = {w: True for w in self.prefix if _SUBSTRING_SCRIPT.search(w)}
        pattern = f"{_NOT_WORD_BEFORE}{_trie_pattern(boundary)}|{_trie_pattern(substring)}"
        return _Matcher(re.compile(pattern), {k: tuple(v) for k, v in self.tags.items()})


@cache
def _lexicon_matcher(lang: str) -> _Matcher:
    """Topic words, flags, colour words and country names for `lang` (plus English, which
    viewers mix in). Market-independent, so compiled once per process and language."""
    b = _MatcherBuilder()
    for lx in [lang] if lang == "en" else [lang, "en"]:
        for topic, spec in lexicon.TOPICS.get(lx, {}).items():
            for p, weak, pre in _phrases(spec):
                b.add(p, ("weak" if weak else "topic", topic), pre)
        for flag, spec in lexicon.FLAGS.get(lx, {}).items():
            for p, _, pre in _phrases(spec):
                b.add(p, ("flag", flag), pre)
        for canonical, spec in lexicon.COLORS.get(lx, {}).items():
            for p, _, pre in _phrases(spec):
                b.add(p, ("color", canonical), pre)
        for code, spec in lexicon.COUNTRY_ALIASES.get(lx, {}).items():
            for p, _, pre in _phrases(spec):
                b.add(p, ("country", code), pre)
        for code, name in locale(lx).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                if normalize(name) not in lexicon.IGNORED_COUNTRY_NAMES:
                    b.add(name, ("country", code), lx == "tr")  # Turkish suffixes: Kanada'ya
    return b.build()


_KIND_LIST = {
    "topic": "topics", "weak": "weak", "faq": "faqs", "campaign": "campaigns",
}


def _collect(s: _Scan, pos: int, tags: tuple[_Tag, ...]) -> None:
    for kind, value in tags:
        if kind in _KIND_LIST:
            getattr(s, _KIND_LIST[kind]).append((pos, value))
        elif kind == "product":
            s.products.append(value)  # type: ignore[arg-type]
        elif kind == "flag":
            s.flags.add(value)  # type: ignore[arg-type]
        elif kind in ("color", "pcolor"):
            s.colors.append((kind, value))  # type: ignore[arg-type]
        elif kind == "country":
            s.countries.append(value)  # type: ignore[arg-type]


_QUESTION_MARKS = frozenset("?？؟¿")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _looks_like_question(text: str) -> bool:
    """A question mark in any script, or a sentence long enough to be one (4+ words; 5+
    characters in scripts written without spaces)."""
    if _QUESTION_MARKS.intersection(text):
        return True
    if len(_UNSPACED.findall(text)) >= 5:
        return True
    return len(text.split()) >= 4


class GroundedEngine:
    """Answers viewer questions from one market's data. Build once per market (indexes are
    precomputed); rebuild when the market is edited. Thread-safe for concurrent reads."""

    def __init__(
        self, market: Market, *, today: Callable[[], dt.date] = dt.date.today
    ) -> None:
        self.market = market
        self._today = today
        self._money_locale: dict[str, str] = {}
        self._answers: dict[tuple, Answer] = {}
        self._facts: dict[tuple, tuple[str, ...]] = {}
        self._products = {p.sku: p for p in market.products}
        self._letter_sizes = frozenset(
            s for p in market.products for s in p.sizes if not s[:1].isdigit()
        )
        self._destinations = {d.country: d for d in market.policies.shipping.destinations}
        self._faq = {e.id: e for e in market.faq}
        self._campaigns = {c.id: c for c in market.campaigns}
        self._faq_tokens = self._faq_token_index()
        self._market_matcher = self._build_market_matcher()
        self._named_product = lru_cache(maxsize=8192)(self._named_product)
        self._understand = lru_cache(maxsize=16_384)(self._understand_uncached)
        for lang in market.languages:  # compiled once per process; the rest on first use
            _lexicon_matcher(lang)

    # ------------------------------------------------------------------ indexes

    def _build_market_matcher(self) -> _Matcher:
        """Names from the market's own data, in all its languages (one matcher per market)."""
        b = _MatcherBuilder()
        m = self.market
        for p in m.products:
            b.add(p.sku, ("product", p.sku))
            names = [*p.name.values(), *(a for aliases in p.aliases.values() for a in aliases)]
            for name in names:
                b.add(name, ("product", p.sku))
                if not _SUBSTRING_SCRIPT.search(name):  # plurals: "hoodies", "botas"
                    b.add(name + "s", ("product", p.sku))
                    b.add(name + "es", ("product", p.sku))
            for c in p.colors:
                for name in c.name.values():
                    b.add(name, ("pcolor", c.id))
        for e in m.faq:
            for qs in e.questions.values():
                for q in qs:
                    b.add(q, ("faq", e.id))
        for c in m.campaigns:
            for name in c.name.values():
                b.add(name, ("campaign", c.id))
            for kws in c.keywords.values():
                for kw in kws:
                    b.add(kw, ("campaign", c.id))
        return b.build()

    def _faq_token_index(self) -> list[tuple[frozenset[str], str]]:
        """FAQ phrasings as word sets, for questions worded differently from the file
        ("can u gift wrap the hoodie" still has both of "gift wrap")."""
        out = []
        for e in self.market.faq:
            for qs in e.questions.values():
                for q in qs:
                    norm = normalize(q)
                    if _SUBSTRING_SCRIPT.search(norm):
                        continue
                    words = frozenset(w for w in norm.split() if w not in _FAQ_STOPWORDS)
                    if len(words) >= 2:
                        out.append((words, e.id))
        return out

    def _money(self, amount: Decimal, lang: str) -> str:
        loc = self._money_locale.get(lang)
        if loc is None:
            # The market's country picks the symbol viewers expect ("$" not "US$" for es_US).
            candidate = f"{lang}_{self.market.country}"
            loc = candidate if localedata.exists(candidate) else lang
            self._money_locale[lang] = loc
        return format_money(amount, self.market.currency, loc)

    # ------------------------------------------------------------------ understanding

    def _scan(self, norm: str, lang: str) -> _Scan:
        s = _Scan([], [], [], [], [], [], [], set())
        spans: list[tuple[int, int]] = []
        market = self._market_matcher
        for m in market.regex.finditer(norm):
            spans.append(m.span())
            _collect(s, m.start(), market.tags[m.group()])
        lexicon_ = _lexicon_matcher(lang)
        for m in lexicon_.regex.finditer(norm):
            start, end = m.span()
            # A word inside a longer product name or FAQ phrasing is part of that name.
            if any(a <= start and end <= b and b - a > end - start for a, b in spans):
                continue
            _collect(s, start, lexicon_.tags[m.group()])
        if not s.faqs and self._faq_tokens:
            words = set(norm.split())
            for needed, faq_id in self._faq_tokens:
                if needed <= words:
                    s.faqs.append((0, faq_id))
                    break
        return s

    def understand(
        self, text: str, lang: str, *, on_stage_sku: str | None = None,
        history: Sequence[Turn] = (),
    ) -> GroundedUnderstanding:
        # The result depends on history only through the product the viewer last named, so
        # that product is part of the memo key: a burst of the same words costs one analysis.
        history_sku = self._history_sku(history, lang)
        return self._understand(text[:_MAX_TEXT], lang, on_stage_sku, history_sku)

    def _understand_uncached(
        self, text: str, lang: str, on_stage_sku: str | None, history_sku: str | None,
    ) -> GroundedUnderstanding:
        raw = unicodedata.normalize("NFKC", text)
        norm = " ".join(raw.casefold().translate(_FOLD).split())
        s = self._scan(norm, lang)
        flags = s.flags
        body = _BODY.search(norm)
        if body:
            flags.add("body")

        # Sizes and ISO codes from the raw text.
        letter_sizes: list[str] = []
        numbers: list[str] = []
        codes: list[str] = []
        shouting = sum(c.isupper() for c in raw) > 0.6 * max(1, sum(c.isalpha() for c in raw))
        for tok in _ASCII_TOKEN.findall(raw):
            if tok[-1].isdigit():
                numbers.append(tok)
                continue
            up = tok.upper()
            # "xl" is a size in any case; a lone "m" only next to a size word ("talla m").
            if up in self._letter_sizes and (len(tok) > 1 or tok == up or "size_word" in flags):
                letter_sizes.append(up)
            elif len(tok) == 2 and tok.isupper() and (not shouting or tok in self._destinations):
                codes.append(tok)
        known = _territory_codes()
        countries = s.countries + [c for c in codes if c in known]

        # Which product.
        on_stage = self.market.product(on_stage_sku) if on_stage_sku else None
        product: Product | None = self._products.get(s.products[0]) if s.products else None
        if product is None:
            if on_stage is not None and "this" in flags:
                product = on_stage
            else:
                history_product = self._products.get(history_sku) if history_sku else None
                candidates = [p for p in (on_stage, history_product) if p]
                product = next(
                    (p for p in candidates if self._fits(p, letter_sizes, numbers, s.colors)),
                    candidates[0] if candidates else None,
                )
        if product is None and len(self.market.products) == 1:
            product = self.market.products[0]

        size, asked_size = self._size_for(product, letter_sizes, numbers)
        color = self._color_for(product, s.colors)
        if product is not None and s.colors and color is None:
            flags.add("color_missing")

        # Topics, in the order the viewer asked them.
        strong = list(s.topics)
        # "How much" says price only next to a product; with "shipping" it asks the fee.
        weak_price = [(pos, t) for pos, t in s.weak if t is Topic.PRICE]
        if weak_price and (s.products or "this" in flags and not any(
            t in (Topic.SHIPPING, Topic.DELIVERY, Topic.PAYMENT, Topic.RETURNS)
            for _, t in s.topics
        )):
            strong.append(weak_price[0])
        strong += [(pos, Topic.CAMPAIGN) for pos, _ in s.campaigns]
        if body:
            strong.append((body.start(), Topic.SIZE))
        if "size_word" in flags and not (size or asked_size):
            strong.append((len(norm), Topic.SIZE))
        if flags & {"cod", "installments"}:
            strong.append((len(norm), Topic.PAYMENT))
        if "reward" in flags and s.campaigns:
            strong.append((len(norm), Topic.CAMPAIGN))
        strong.sort(key=lambda t: t[0])
        topics = _unique(t for _, t in strong if t is not Topic.GREETING)
        if not topics:
            # "Is there ...?" / "ada?" asks about stock only when something is named.
            named = bool(size or asked_size or s.colors or s.products or "this" in flags)
            topics = _unique(
                t for _, t in sorted(s.weak, key=lambda t: t[0])
                if t is not Topic.STOCK or named
            )
        if color is not None and Topic.COLOR in topics:
            # "M in the black colour?" names the colour: it asks whether that one is there.
            topics = _unique(Topic.STOCK if t is Topic.COLOR else t for t in topics)
        if s.faqs:
            topics.insert(0, Topic.FAQ)
        if not topics:
            # Bare mentions: "M in black?" asks stock, "Canada?" shipping, "hoodie?" price.
            # A longer sentence that only names a product asks something we didn't catch.
            short = len(norm) <= 24 and len(norm.split()) <= 4
            if size or asked_size or s.colors:
                topics = [Topic.STOCK]
            elif countries:
                topics = [Topic.SHIPPING]
            elif short and (s.products or "this" in flags and product is not None):
                topics = [Topic.PRICE]
            elif not any(c.isalpha() for c in norm):
                topics = [Topic.GREETING]  # emoji, "666", "!!!": cheering, not a question
        if any(t is Topic.GREETING for _, t in strong) or "thanks" in flags:
            topics.append(Topic.GREETING)
        if not topics:
            # Nothing we know was asked. A question gets "I'll check with the host" (and a host
            # task); chatter ("ok", "Mia is beautiful", "asdfgh") gets no promise nobody keeps.
            topics = [Topic.UNKNOWN if _looks_like_question(raw) else Topic.GREETING]

        return GroundedUnderstanding(
            topic=topics[0],
            sku=product.sku if product else None,
            size=size,
            color=color,
            country=countries[0] if countries else None,
            faq_id=s.faqs[0][1] if s.faqs else None,
            topics=tuple(topics),
            flags=frozenset(flags),
            asked_size=asked_size,
            campaign_id=s.campaigns[0][1] if s.campaigns else None,
        )

    def _history_sku(self, history: Sequence[Turn], lang: str) -> str | None:
        """The product the viewer talked about most recently (their own turns only: our replies
        list several products when asking which one)."""
        for turn in reversed(history):
            if turn.role != "viewer":
                continue
            sku = self._named_product(turn.text, turn.lang or lang)
            if sku is not None:
                return sku
        return None

    def _named_product(self, text: str, lang: str) -> str | None:
        # Every follow-up re-reads the viewer's earlier turns; the same texts recur turn after
        # turn (and across a burst), so the lookup is memoized per engine (see __init__).
        s = self._scan(normalize(text[:_MAX_TEXT]), lang)
        return s.products[0] if s.products else None

    @staticmethod
    def _fits(p: Product, sizes: list[str], numbers: list[str], colors: list) -> bool:
        if sizes and not any(s in p.sizes for s in sizes):
            return False
        if colors and not any(_color_matches(c, kind, value) for kind, value in colors
                              for c in p.colors):
            return False
        return True

    @staticmethod
    def _size_for(
        p: Product | None, letters: list[str], numbers: list[str]
    ) -> tuple[str | None, str | None]:
        """(the product's size the viewer named, or a size it doesn't come in)."""
        if p is None:
            return None, None
        for s in letters:
            if s in p.sizes:
                return s, None
        for n in numbers:
            for s in p.sizes:
                if s == n or _same_number(s, n):
                    return s, None
        if letters:
            return None, letters[0]
        return None, None

    @staticmethod
    def _color_for(p: Product | None, colors: list[tuple[str, str]]) -> str | None:
        if p is None:
            return None
        for kind, value in colors:
            for c in p.colors:
                if _color_matches(c, kind, value):
                    return c.id
        return None

    # ------------------------------------------------------------------ answering

    def answer(self, understanding: Understanding, lang: str) -> Answer:
        today = self._today()
        key = (understanding, lang, today)
        hit = self._answers.get(key)
        if hit is not None:
            return hit
        text, needs_host = self._compose(understanding, lang, today)
        answer = Answer(
            text=text, lang=lang, understanding=understanding, source="grounded",
            needs_host=needs_host, facts=self._facts_for(understanding, lang, today),
            # The fallback line is what the engine says when the data has no answer.
            unanswered=self.fallback_text(lang) in text,
        )
        if len(self._answers) > 4096:  # identical questions come in bursts; keep it bounded
            self._answers.clear()
        self._answers[key] = answer
        return answer

    def handoff_notice(self, lang: str) -> str:
        return template(lang, "handoff").format(host=self.market.host_name)

    def fallback_text(self, lang: str) -> str:
        return template(lang, "fallback").format(host=self.market.host_name)

    def _compose(self, u: Understanding, lang: str, today: dt.date) -> tuple[str, bool]:
        topics = list(u.topics or (u.topic,))
        if len(topics) > 1:
            topics = [t for t in topics if t is not Topic.GREETING]
        product = self._products.get(u.sku) if u.sku else None
        parts: list[str] = []
        needs_host = False
        done: set[str] = set()
        for topic in topics[:_MAX_TOPICS_ANSWERED]:
            if topic in PRODUCT_TOPICS and product is None:
                if "which" not in done:
                    parts.append(self._which_product(lang))
                    done.add("which")
                continue
            text, host = self._topic_answer(topic, u, product, lang, today, done)
            if parts and len(text) + sum(map(len, parts)) > _MAX_REPLY_CHARS:
                continue  # live chat: a second topic only when the reply stays short
            if text:
                parts.append(text)
            needs_host = needs_host or host
        if not parts:
            return self.fallback_text(lang), True
        return join_sentences(parts, lang), needs_host

    def _topic_answer(
        self, topic: Topic, u: Understanding, p: Product | None, lang: str, today: dt.date,
        done: set[str],
    ) -> tuple[str, bool]:
        m = self.market
        flags = u.flags if isinstance(u, GroundedUnderstanding) else frozenset()
        if topic is Topic.PRICE:
            assert p is not None
            return self._price(p, lang), False
        if topic is Topic.SALE:
            return self._sale(p, lang, today), False
        if topic is Topic.SIZE:
            assert p is not None
            return self._size(p, u, lang), False
        if topic is Topic.STOCK:
            assert p is not None
            return self._stock(p, u, lang)
        if topic is Topic.COLOR:
            assert p is not None
            if not p.colors:
                return self.fallback_text(lang), True
            return self._colors_line(p, lang), False
        if topic is Topic.MATERIAL:
            assert p is not None
            if not p.material:
                return self.fallback_text(lang), True
            return template(lang, "material").format(
                name=self._name(p, lang), material=m.text(p.material, lang).rstrip(".")
            ), False
        if topic in (Topic.SHIPPING, Topic.DELIVERY):
            if "ship" in done:
                return "", False
            done.add("ship")
            return self._shipping(u, p, lang, with_fee=topic is Topic.SHIPPING)
        if topic is Topic.RETURNS:
            return self._returns(lang), False
        if topic is Topic.PAYMENT:
            return self._payment(flags, lang), False
        if topic is Topic.CAMPAIGN:
            cid = u.campaign_id if isinstance(u, GroundedUnderstanding) else None
            return self._campaign(cid, flags, lang, today), False
        if topic is Topic.HOW_TO_BUY:
            # Wanting to buy is the moment for the host; checkout details are in the facts.
            return template(lang, "how_to_buy_host").format(host=m.host_name), True
        if topic is Topic.HUMAN:
            return self.handoff_notice(lang), True
        if topic is Topic.FAQ:
            entry = self._faq.get(u.faq_id or "")
            if entry is None:
                return self.fallback_text(lang), True
            return m.text(entry.answer, lang), False
        if topic is Topic.GREETING:
            if "thanks" in flags:
                return template(lang, "thanks"), False
            if p is not None:
                return template(lang, "greeting").format(what=self._name(p, lang)), False
            return template(lang, "greeting_generic"), False
        return self.fallback_text(lang), True

    # --- per-topic wording

    def _name(self, p: Product, lang: str) -> str:
        return self.market.text(p.name, lang)

    def _which_product(self, lang: str) -> str:
        names = [self._name(p, lang) for p in self.market.products[:_MAX_LISTED]]
        return template(lang, "which_product").format(names=join_list(names, lang, "or"))

    def _price(self, p: Product, lang: str) -> str:
        if p.sale_price is not None:
            return template(lang, "price_sale").format(
                name=self._name(p, lang), price=self._money(p.sale_price, lang),
                regular=self._money(p.price, lang),
                saving=self._money(p.price - p.sale_price, lang),
            )
        return template(lang, "price").format(
            name=self._name(p, lang), price=self._money(p.price, lang)
        )

    def _sale(self, p: Product | None, lang: str, today: dt.date) -> str:
        active = self.market.active_campaigns(today)
        hint = ""
        if active:
            name = self.market.text(active[0].name, lang)
            hint = " " + template(lang, "campaign_hint").format(name=name)
        if p is not None:
            if p.sale_price is not None:
                return self._price(p, lang)
            return template(lang, "sale_none").format(
                name=self._name(p, lang), price=self._money(p.price, lang)
            ) + hint
        on_sale = [x for x in self.market.products if x.sale_price is not None]
        if not on_sale:
            return template(lang, "sale_none_any") + hint
        items = [
            template(lang, "sale_item").format(
                name=self._name(x, lang), price=self._money(x.current_price, lang),
                regular=self._money(x.price, lang),
            )
            for x in on_sale[:_MAX_LISTED]
        ]
        return template(lang, "sale_list").format(items=join_list(items, lang)) + hint

    def _chart_line(self, size: str, row: dict, lang: str) -> str:
        labels = lexicon.MEASURES.get(lang, lexicon.MEASURES["en"])
        cells = []
        for key, value in row.items():
            measure, _, unit = key.rpartition("_")
            if unit not in _CHART_UNITS or not measure:
                measure, unit = key, ""
            label = labels.get(measure, measure.replace("_", " "))
            cells.append(f"{label} {value}{' ' + unit if unit else ''}")
        return f"{size}: {', '.join(cells)}"

    def _size(self, p: Product, u: Understanding, lang: str) -> str:
        m = self.market
        name = self._name(p, lang)
        asked = u.asked_size if isinstance(u, GroundedUnderstanding) else None
        if not p.sizes:
            return template(lang, "one_size").format(name=name)
        if asked:
            return template(lang, "size_missing").format(
                name=name, size=asked, sizes=join_list(p.sizes, lang)
            )
        parts = [template(lang, "sizes").format(name=name, sizes=join_list(p.sizes, lang))]
        rows = (
            [(u.size, p.size_chart[u.size])] if u.size in p.size_chart
            else list(p.size_chart.items())
        )
        if rows:
            chart = "; ".join(self._chart_line(s, r, lang) for s, r in rows)
            parts.append(template(lang, "size_chart").format(chart=chart))
        if p.size_advice:
            parts.append(m.text(p.size_advice, lang))
        return join_sentences(parts, lang)

    def _variant_label(self, p: Product, size: str | None, color: str | None, lang: str) -> str:
        c = p.color(color) if color else None
        cname = self.market.text(c.name, lang) if c else None
        if size and cname:
            return f"{size} / {cname}"
        return size or cname or self._name(p, lang)

    def _stock(self, p: Product, u: Understanding, lang: str) -> tuple[str, bool]:
        name = self._name(p, lang)
        flags = u.flags if isinstance(u, GroundedUnderstanding) else frozenset()
        asked = u.asked_size if isinstance(u, GroundedUnderstanding) else None
        if asked and not p.sizes:
            return template(lang, "one_size").format(name=name), False
        if asked:
            return template(lang, "size_missing").format(
                name=name, size=asked, sizes=join_list(p.sizes, lang)
            ), False
        if "color_missing" in flags and u.color is None:
            return self._colors_line(p, lang), False
        if not p.variants:
            return self.fallback_text(lang), True
        size, color = u.size, u.color
        if size is None and color is None:
            total = p.total_stock
            if total == 0:
                return template(lang, "stock_none").format(name=name), False
            out = [self._variant_label(p, v.size, v.color, lang) for v in p.variants
                   if v.stock == 0]
            text = template(lang, "stock_total").format(name=name, n=total)
            if out:
                text += " " + template(lang, "stock_sold_out").format(
                    items=join_list(out[:_MAX_LISTED], lang)
                )
            return text, False
        n = p.stock_for(size, color)
        label = f"{name} {self._variant_label(p, size, color, lang)}"
        within = [v for v in p.variants if (size is None or v.size == size)
                  and (color is None or v.color == color)]
        if n > 0 and (len(within) == 1 or (size is not None and color is not None)):
            return template(lang, "stock_variant").format(variant=label, n=n), False
        if n > 0:  # only a size or only a colour: what is there within it
            items = [f"{self._variant_label(p, v.size, v.color, lang)} ({v.stock})"
                     for v in within if v.stock > 0]
            return template(lang, "stock_available").format(
                items=join_list(items[:_MAX_LISTED], lang)
            ), False
        # Sold out: offer the same size in other colours, else the colour in other sizes,
        # else whatever is left.
        in_stock = [v for v in p.variants if v.stock > 0]
        alts = [v for v in in_stock if size is not None and v.size == size]
        alts = alts or [v for v in in_stock if color is not None and v.color == color]
        alts = alts or in_stock
        text = template(lang, "stock_variant_out").format(variant=label)
        if alts:
            items = [f"{self._variant_label(p, v.size, v.color, lang)} ({v.stock})"
                     for v in alts[:_MAX_LISTED]]
            text += " " + template(lang, "stock_available").format(items=join_list(items, lang))
        return text, False

    def _colors_line(self, p: Product, lang: str) -> str:
        names = [self.market.text(c.name, lang) for c in p.colors]
        return template(lang, "colors").format(
            name=self._name(p, lang), colors=join_list(names, lang)
        )

    def _country_name(self, code: str, lang: str) -> str:
        return locale(lang).territories.get(code, code)

    def _days(self, dest: ShippingDestination, p: Product | None) -> tuple[int, int]:
        days = p.delivery_days if p is not None and p.delivery_days else dest.days
        return days.min, days.max

    def _shipping(
        self, u: Understanding, p: Product | None, lang: str, *, with_fee: bool
    ) -> tuple[str, bool]:
        m = self.market
        code = u.country
        home = code is None
        if code is None:
            code = m.country if m.country in self._destinations else next(iter(self._destinations))
        dest = self._destinations.get(code)
        cname = self._country_name(code, lang)
        if dest is None:
            return template(lang, "ship_no").format(country=cname, host=m.host_name), True
        if p is not None and p.ships_to and code not in p.ships_to:
            return template(lang, "ship_no_product").format(
                name=self._name(p, lang), country=cname, host=m.host_name
            ), True
        lo, hi = self._days(dest, p)
        delivery = template(lang, "delivery").format(country=cname, days=format_days(lo, hi, lang))
        if not with_fee:
            return delivery, False
        fee = template(lang, "fee_zero") if dest.fee == 0 else self._money(dest.fee, lang)
        free = (
            template(lang, "ship_free_over").format(amount=self._money(dest.free_over, lang))
            if dest.free_over is not None and dest.fee > 0 else ""
        )
        key = "ship_fee" if home else "ship_yes"
        text = join_sentences(
            [template(lang, key).format(country=cname, fee=fee, free=free), delivery], lang
        )
        if home and len(self._destinations) > 1:
            others = [self._country_name(c, lang) for c in self._destinations if c != code]
            text += " " + template(lang, "ship_list").format(countries=join_list(others, lang))
        return text, False

    def _returns(self, lang: str) -> str:
        r = self.market.policies.returns
        if r.window_days == 0:
            head = template(lang, "no_returns")
        else:
            head = template(lang, "returns_free" if r.free_returns else "returns").format(
                days=r.window_days
            )
        notes = _first_sentence(self.market.text(r.notes, lang))  # the rest is in the facts
        return join_sentences([head, notes], lang)

    def _payment(self, flags: frozenset[str], lang: str) -> str:
        pay = self.market.policies.payment
        parts = [template(lang, "payment").format(methods=join_list(pay.methods, lang))]
        installments = self.market.text(pay.installments, lang)
        if "cod" in flags:
            parts.append(template(lang, "cod_yes" if pay.cash_on_delivery else "cod_no"))
        if installments and "cod" not in flags:
            parts.append(installments)
        return join_sentences(parts, lang)

    def _campaign(
        self, campaign_id: str | None, flags: frozenset[str], lang: str, today: dt.date
    ) -> str:
        m = self.market
        active = m.active_campaigns(today)
        asked = self._campaigns.get(campaign_id or "")
        chosen: Campaign | None = None
        if asked is not None and asked.active_on(today):
            chosen = asked
        elif asked is None and active:
            chosen = active[0]
        if chosen is None:
            upcoming = sorted(
                (c for c in ([asked] if asked else m.campaigns) if c.starts > today),
                key=lambda c: c.starts,
            )
            text = template(lang, "campaign_none")
            if upcoming:
                nxt = upcoming[0]
                text += " " + template(lang, "campaign_next").format(
                    name=m.text(nxt.name, lang), date=format_date(nxt.starts, lang)
                )
            return text
        body = m.text(chosen.reward, lang) if chosen.reward else ""
        if not body or ("reward" not in flags and not chosen.how_to_join):
            body = m.text(chosen.description, lang)
        join = m.text(chosen.how_to_join, lang) if chosen.how_to_join else ""
        text = join_sentences([_end_sentence(body, lang), join], lang) if join else body
        return template(lang, "campaign").format(name=m.text(chosen.name, lang), text=text)

    # ------------------------------------------------------------------ facts for the LLM

    def facts(self, understanding: Understanding, lang: str) -> list[str]:
        """Fact lines from the market data relevant to the question, for an LLM prompt. Values
        are localized for `lang` (texts fall back to the market's default language)."""
        return list(self._facts_for(understanding, lang, self._today()))

    def _facts_for(self, u: Understanding, lang: str, today: dt.date) -> tuple[str, ...]:
        key = (u, lang, today)
        hit = self._facts.get(key)
        if hit is not None:
            return hit
        lines = self._build_facts(u, lang, today)
        if len(self._facts) > 4096:
            self._facts.clear()
        out = self._facts[key] = tuple(lines)
        return out

    def _build_facts(self, u: Understanding, lang: str, today: dt.date) -> list[str]:
        m = self.market
        topics = set(u.topics or (u.topic,))
        p = self._products.get(u.sku) if u.sku else None
        money = self._money
        lines = [f"Host: {m.host_name}. Market: {m.name}. Currency: {m.currency}."]
        if p is not None:
            lines += self._product_facts(p, lang)
        elif topics & (PRODUCT_TOPICS | {Topic.SALE, Topic.UNKNOWN, Topic.GREETING}):
            for x in m.products:
                price = money(x.current_price, lang)
                if x.sale_price is not None:
                    price += f" (sale; regular {money(x.price, lang)})"
                lines.append(f"Product {x.sku}: {self._name(x, lang)}, {price}")
        if topics & {Topic.SHIPPING, Topic.DELIVERY, Topic.UNKNOWN}:
            if u.country and u.country not in self._destinations:
                lines.append(
                    f"We do not ship to {self._country_name(u.country, lang)} ({u.country})."
                )
            for d in m.policies.shipping.destinations:
                lo, hi = self._days(d, p)
                free = f", free over {money(d.free_over, lang)}" if d.free_over is not None else ""
                lines.append(
                    f"Shipping to {self._country_name(d.country, lang)} ({d.country}): fee "
                    f"{money(d.fee, lang)}{free}, delivery {format_days(lo, hi, lang)}"
                )
            if m.policies.shipping.notes:
                lines.append(f"Shipping notes: {m.text(m.policies.shipping.notes, lang)}")
        if topics & {Topic.RETURNS, Topic.UNKNOWN}:
            r = m.policies.returns
            lines.append(
                f"Returns: within {r.window_days} days, "
                f"{'free' if r.free_returns else 'not free'}. {m.text(r.notes, lang)}".strip()
            )
        if topics & {Topic.PAYMENT, Topic.HOW_TO_BUY, Topic.UNKNOWN}:
            pay = m.policies.payment
            lines.append(f"Payment methods: {', '.join(pay.methods)}")
            if pay.installments:
                lines.append(f"Installments: {m.text(pay.installments, lang)}")
            lines.append(
                f"Cash on delivery: {'available' if pay.cash_on_delivery else 'not available'}"
            )
            if pay.notes:
                lines.append(f"Payment notes: {m.text(pay.notes, lang)}")
        if topics & {Topic.CAMPAIGN, Topic.SALE, Topic.UNKNOWN}:
            active = m.active_campaigns(today)
            if not active:
                lines.append("No campaign is running today.")
            for c in active:
                lines.append(
                    f"Campaign {m.text(c.name, lang)} ({c.starts.isoformat()} to "
                    f"{c.ends.isoformat()}): {m.text(c.description, lang)}"
                )
                if c.rules:
                    rules = c.rules.get(lang) or c.rules.get(m.default_language) or []
                    lines += [f"Campaign rule: {r}" for r in rules]
                if c.reward:
                    lines.append(f"Campaign reward: {m.text(c.reward, lang)}")
                if c.how_to_join:
                    lines.append(f"How to join: {m.text(c.how_to_join, lang)}")
        if u.faq_id and u.faq_id in self._faq:
            e = self._faq[u.faq_id]
            qs = e.questions.get(lang) or e.questions.get(m.default_language) or [""]
            lines.append(f"FAQ ({qs[0]}): {m.text(e.answer, lang)}")
        return lines

    def _product_facts(self, p: Product, lang: str) -> list[str]:
        m = self.market
        money = self._money
        lines = [f"Product {p.sku}: {self._name(p, lang)}"]
        if p.sale_price is not None:
            lines.append(
                f"Price: {money(p.sale_price, lang)} on sale (regular {money(p.price, lang)}, "
                f"saving {money(p.price - p.sale_price, lang)})"
            )
        else:
            lines.append(f"Price: {money(p.price, lang)} (no discount)")
        if p.sizes:
            lines.append(f"Sizes: {', '.join(p.sizes)}")
        for size, row in p.size_chart.items():
            lines.append(f"Size chart {self._chart_line(size, row, lang)}")
        if p.size_advice:
            lines.append(f"Fit: {m.text(p.size_advice, lang)}")
        if p.colors:
            lines.append(f"Colors: {', '.join(m.text(c.name, lang) for c in p.colors)}")
        if p.variants:
            stock = ", ".join(
                f"{self._variant_label(p, v.size, v.color, lang)} {v.stock}" for v in p.variants
            )
            lines.append(f"Stock: {stock}")
        if p.material:
            lines.append(f"Material: {m.text(p.material, lang)}")
        if p.ships_to:
            lines.append(f"Ships to: {', '.join(p.ships_to)}")
        if p.delivery_days:
            lines.append(
                f"Delivery: {format_days(p.delivery_days.min, p.delivery_days.max, lang)}"
            )
        points = p.selling_points.get(lang) or p.selling_points.get(m.default_language) or []
        lines += [f"Selling point: {s}" for s in points]
        return lines


# ---------------------------------------------------------------------------------------------
# helpers


def _unique(topics: Iterable[Topic]) -> list[Topic]:
    seen: list[Topic] = []
    for t in topics:
        if t not in seen:
            seen.append(t)
    return seen


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def _first_sentence(text: str) -> str:
    """The first sentence of a policy note (Thai marks none: the whole note is kept)."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text else ""


def _end_sentence(text: str, lang: str) -> str:
    """Operators often leave the final period off a one-line text; add it before joining."""
    if not text or text[-1] in ".!?。！？" or lang == "th":
        return text
    return text + ("。" if lang in ("ja", "zh") else ".")


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _color_matches(c, kind: str, value: str) -> bool:
    if kind == "pcolor":
        return c.id == value
    if c.id == value or value in c.id.split("-"):
        return True
    en = normalize(c.name.get("en", ""))
    words = en.split()
    if value == "grey":
        return "grey" in words or "gray" in words or c.id in ("grey", "gray")
    return value in words


_CODES: frozenset[str] | None = None


def _territory_codes() -> frozenset[str]:
    global _CODES
    if _CODES is None:
        _CODES = frozenset(
            c for c in locale("en").territories
            if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES
        )
    return _CODES
