"""What a viewer message asks, resolved against one market's data: the understanding half of
the grounded engine (composing.py words the answer, facts.py lists facts for an LLM).

One pass of phrase matching (matching.py) over the message finds topic words, flags, colours
and country names from the language pack, the market's own names (products, colours, FAQ
phrasings, campaign keywords), and places (places.py); sizes, ISO codes and body measurements
come from the raw text. Rules then decide the product, the topics in the order asked, and
whether an unknown question deserves an "I'll check" (a question) or not (chatter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from assistant import languages
from assistant.dialogue import Topic, Turn, Understanding
from assistant.intent import POLICY_QUESTIONS as _POLICY_QUESTIONS
from assistant.intent import names_others, names_wish
from assistant.knowledge import passages, places
from assistant.knowledge.market import Product
from assistant.knowledge.matching import (
    Matcher,
    MatcherBuilder,
    nfkc,
    normalize,
    phrases,
    squeezed,
    words,
)

_MAX_TEXT = 500  # a live comment; longer input is cut, not scanned
_NAME_WORD_ZIPF = 4.5  # a name word more frequent than this is an ordinary word ("bank")
_Tag = tuple[str, object]


@dataclass(frozen=True, slots=True)
class GroundedUnderstanding(Understanding):
    """An Understanding plus the finer points the grounded engine's wording needs. Other code
    may pass a plain Understanding to answer(); it is answered with default wording."""

    flags: frozenset[str] = frozenset()  # see languages.schema.FLAGS, plus "body", "color_missing"
    asked_size: str | None = None  # a size the viewer named that the product doesn't have
    campaign_id: str | None = None
    method: str | None = None  # a payment method of the market the viewer named
    asked_method: str | None = None  # a payment method the viewer named that it doesn't take
    # The market's own sentences that answer what the fields don't, best first: (language,
    # indexes in the engine's passages of that language); see knowledge/passages.py.
    note: tuple[str, tuple[int, ...]] | None = None

    @property
    def dedup_key(self) -> tuple:
        # "Cash on delivery?" and "installments?" are both payment questions with different
        # answers: the finer points are part of what makes two questions the same.
        fine = tuple(sorted(self.flags & _ANSWER_FLAGS))
        return (*Understanding.dedup_key.fget(self), fine, self.campaign_id, self.method,
                self.asked_method, self.note)


# Topics whose answer depends on the destination: a follow-up keeps the one named before.
_PLACE_TOPICS = frozenset({Topic.SHIPPING, Topic.DELIVERY, Topic.PAYMENT})
# Flags that change an answer's content (not only its wording).
_ANSWER_FLAGS = frozenset({"cod", "installments", "reward", "warranty", "care", "this", "bare",
                           "restock", "expiry", "origin"})
# Questions no field answers, whatever topic words they hold.
_HOST_FLAGS = frozenset({"restock", "expiry", "origin"})
_POLICY_TOPICS = frozenset({Topic.PAYMENT, Topic.SHIPPING, Topic.DELIVERY, Topic.RETURNS})
_RULE_FLAGS = frozenset({"cod", "installments"})  # payment rules a destination may change


@dataclass(slots=True)
class Scan:
    """What one pass over a message found, in text order."""

    topics: list[tuple[int, Topic]]
    weak: list[tuple[int, Topic]]
    products: list[str]
    colors: list[tuple[str, str]]  # ("pcolor", color id) or ("color", canonical colour)
    countries: list[str]
    faqs: list[tuple[int, str]]
    campaigns: list[tuple[int, str]]
    flags: set[str]
    methods: list[str]
    text: str = ""  # the scanned words (matching.words)
    # Spans of the words the fields answer exactly (country names, payment methods):
    # what the market's free text is not asked again (see Understands._note).
    exact: list[tuple[int, int]] = field(default_factory=list)
    # Spans of the language pack's topic and flag phrases ("order", "下單"): the asking,
    # not the detail asked (see Understands._note).
    asking: list[tuple[int, int]] = field(default_factory=list)
    asked_methods: list[str] = field(default_factory=list)  # pack names ("Apple Pay")


# Size tokens and ISO codes come from the raw (NFKC) text, where case still tells "M" from "m".
# A Latin letter next to them (Vietnamese "Số", Turkish "Sıcak") makes them part of a word;
# other scripts do not ("Mの黒", "M码").
_LATIN = "A-Za-z0-9\u00c0-\u024f\u1e00-\u1eff"
_ASCII_TOKEN = re.compile(
    rf"(?<![{_LATIN}.$€£¥'’])(\d?[A-Za-z]{{1,4}}|\d{{1,3}}(?:\.\d)?)"
    # "L'écharpe" is an article, not size L ("L's" still is L)
    rf"(?![{_LATIN}%$€£¥]|\.\d|['’](?![sS](?![{_LATIN}]))[{_LATIN}])"
)
_QUESTION_MARKS = frozenset("?？؟¿")
_FIGURE = re.compile(r"\d{2,}")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@cache
def _body_pattern() -> re.Pattern[str]:
    units = sorted({u for p in languages.packs().values() for u in p.body_units},
                   key=len, reverse=True)
    return re.compile(
        r"\d{2,3}(?:[.,]\d+)?\s*(?:" + "|".join(re.escape(u) for u in units)
        + r")(?![a-z])|\d\s*(?:'|ft)\s*\d{1,2}"
    )


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(w for p in languages.packs().values() for w in p.stopwords)


@cache
def lexicon_matcher(lang: str) -> Matcher:
    """Topic words, flags, colour words and country names of `lang` (plus English, which
    viewers mix in). Market-independent, so compiled once per process and language."""
    b = MatcherBuilder()
    for lx in [lang] if lang == "en" else [lang, "en"]:
        if not languages.has(lx):
            continue
        pk = languages.pack(lx)
        for topic, specs in pk.topics.items():
            for p, weak, pre in phrases(specs):
                b.add(p, ("weak" if weak else "topic", topic), pre)
        for flag, specs in pk.flags.items():
            for p, _, pre in phrases(specs):
                b.add(p, ("flag", flag), pre)
        for canonical, specs in pk.colors.items():
            for p, _, pre in phrases(specs):
                b.add(p, ("color", canonical), pre)
        for name in pk.payment_methods:
            b.add(name, ("paymethod", name))
            if squeezed(name) != normalize(name):
                b.add(squeezed(name), ("paymethod", name))
        for name, code in places.country_names(lx).items():
            b.add(name, ("country", code))
    return b.matcher(lang)


def collect(s: Scan, pos: int, tags: tuple[_Tag, ...]) -> None:
    for kind, value in tags:
        if kind == "topic":
            s.topics.append((pos, value))  # type: ignore[arg-type]
        elif kind == "weak":
            s.weak.append((pos, value))  # type: ignore[arg-type]
        elif kind == "faq":
            s.faqs.append((pos, value))  # type: ignore[arg-type]
        elif kind == "campaign":
            s.campaigns.append((pos, value))  # type: ignore[arg-type]
        elif kind in ("product", "alias"):
            if value not in s.products:
                s.products.append(value)  # type: ignore[arg-type]
        elif kind == "flag":
            s.flags.add(value)  # type: ignore[arg-type]
        elif kind in ("color", "pcolor"):
            s.colors.append((kind, value))  # type: ignore[arg-type]
        elif kind == "country":
            if value not in s.countries:
                s.countries.append(value)  # type: ignore[arg-type]
        elif kind == "method":
            s.methods.append(value)  # type: ignore[arg-type]
        elif kind == "paymethod":
            s.asked_methods.append(value)  # type: ignore[arg-type]


def looks_like_question(text: str) -> bool:
    """A question mark in any script, or a sentence long enough to be one (4+ words; 5+
    characters in scripts written without spaces)."""
    if _QUESTION_MARKS.intersection(text):
        return True
    if len(_UNSPACED.findall(text)) >= 5:
        return True
    return len(text.split()) >= 4


class Understands:
    """The understanding half of GroundedEngine (which sets the indexes it reads)."""

    def _build_market_matcher(self) -> MatcherBuilder:
        """Names from the market's own data, in all its languages (compiled per language)."""
        b = MatcherBuilder()
        m = self.market
        for p in m.products:
            b.add(p.sku, ("product", p.sku))
            for name in p.name.values():
                b.add(name, ("product", p.sku))
            for alias_lang, aliases in p.aliases.items():
                for a in aliases:
                    b.add(a, ("alias", p.sku))
                    # "boot" names the "boots": the alias's stem, where the language has a
                    # stemmer and the stem is a word of its own (plurals drop their ending).
                    single = _singular(a, alias_lang)
                    if single:
                        b.add(single, ("alias", p.sku))
            for c in p.colors:
                for name in c.name.values():
                    b.add(name, ("pcolor", c.id))
        for word, sku in self._name_words().items():
            b.add(word, ("alias", sku))
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
        pay = m.policies.payment
        for method in pay.methods:
            # "KakaoPay", "Kakao Pay", "kakao-pay": the same method however it is spaced.
            names = {method, *pay.method_names.get(method, {}).values()}
            for name in names:
                b.add(name, ("method", method))
                if squeezed(name) != normalize(name):
                    b.add(squeezed(name), ("method", method))
                parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)
                if len(parts) > 1 and name.isascii():
                    b.add(" ".join(parts), ("method", method))
        for d in m.policies.shipping.destinations:
            for names in d.aliases.values():
                for name in names:
                    b.add(name, ("country", d.country))
        return b

    def _name_words(self) -> dict[str, str]:
        """Words of product names that name one product on their own: viewers say "jacket"
        for the "City Shell ... Hooded Jacket", "cloudstep" for "Cloudstep Lightweight Running
        Shoes". A word counts when only one product's names hold it and it passes
        _name_word_ok (Latin script, no place, not a frequent word, no pack word)."""
        owners: dict[str, set[str]] = {}
        for p in self.market.products:
            for lang, name in p.name.items():
                for w in words(normalize(name), lang).split():
                    if _name_word_ok(w, lang):
                        owners.setdefault(w, set()).add(p.sku)
        return {w: next(iter(skus)) for w, skus in owners.items() if len(skus) == 1}

    def _faq_token_index(self) -> list[tuple[frozenset[str], str]]:
        """FAQ phrasings as word sets, for questions worded differently from the file
        ("can u gift wrap the hoodie" still has both of "gift wrap")."""
        out = []
        stop = _stopwords()
        for e in self.market.faq:
            for lang, qs in e.questions.items():
                for q in qs:
                    toks = words(normalize(q), lang).split()
                    need = frozenset(w for w in toks if w not in stop)
                    if len(need) >= 2:
                        out.append((need, e.id))
        return out

    def _scan(self, norm: str, lang: str) -> Scan:
        text = words(norm, lang)
        s = Scan([], [], [], [], [], [], [], set(), [], text)
        found: list[tuple[int, int, tuple[_Tag, ...], bool]] = []  # (start, end, tags, market)
        people: list[tuple[int, tuple[_Tag, ...]]] = []
        for a, b, tags in self._market_matcher.matcher(lang).find(text):
            found.append((a, b, tags, True))
        for a, b, tags in lexicon_matcher(lang).find(text):
            found.append((a, b, tags, False))
        spans = [(a, b) for a, b, _, _ in found]
        names = [(a, b) for a, b, tags, _ in found
                 if any(k in ("product", "alias", "country") for k, _ in tags)]
        for a, b, tags, market in sorted(found, key=lambda f: f[0]):
            # Longest match wins: a word inside a longer phrase is part of that phrase (a
            # colour inside a product name; a product alias inside a country's name). Inside
            # an FAQ phrasing only the topic goes: "cod" in "boleh cod" still asks about COD.
            if any(x <= a and b <= y and y - x > b - a for x, y in spans):
                if any(x <= a and b <= y and y - x > b - a for x, y in names):
                    continue
                tags = tuple(t for t in tags if t[0] in ("flag", "country"))
                if not tags:
                    continue
            if market and any(k == "alias" for k, _ in tags):
                # An alias that is also an ordinary word of the language (German "Porto",
                # postage) is that word: the pack's meaning beats part of a product's name.
                rivals = [t for x, y, t, mk in found if not mk and (x, y) == (a, b)]
                if any(k in ("topic", "country", "flag") for t in rivals for k, _ in t):
                    tags = tuple(t for t in tags if t[0] != "alias")
            if any(k == "campaign" for k, _ in tags) and names_others(text[a:b], lang):
                people.append((a, tags))  # "friend" as a relay keyword: see below
                tags = tuple(t for t in tags if t[0] != "campaign")
            collect(s, a, tags)
            if any(k in ("country", "method") for k, _ in tags):
                s.exact.append((a, b))
            elif not market and any(k in ("topic", "weak", "flag") for k, _ in tags):
                s.asking.append((a, b))
        if people and not s.campaigns and not (
                s.countries or s.flags & _RULE_FLAGS
                or any(t not in (Topic.GREETING, Topic.HOW_TO_BUY) for _, t in s.topics)):
            # A person word the operator listed as a campaign keyword ("friend") asks about
            # the campaign only when nothing else is asked (a friend's buying is what a relay
            # is about): "ship to Shenzhen? my friend lives there" asks about shipping.
            for a, tags in people:
                collect(s, a, tuple(t for t in tags if t[0] == "campaign"))
        for pos, code, country_name in places.find(text, lang, self._place_preference):
            if code not in s.countries and not any(x <= pos < y for x, y in spans):
                s.countries.append(code)
                if not country_name and len(s.countries) == 1:
                    s.flags.add("place")  # a city or region, not the country's own name
        if not s.faqs and self._faq_tokens:
            toks = set(text.split())
            for needed, faq_id in self._faq_tokens:
                if needed <= toks:
                    s.faqs.append((0, faq_id))
                    break
        return s

    def understand(
        self, text: str, lang: str, *, on_stage_sku: str | None = None,
        history: Sequence[Turn] = (),
    ) -> GroundedUnderstanding:
        # The result depends on history only through the product the viewer last named, so
        # that product is part of the memo key: a burst of the same words costs one analysis.
        history_sku, history_country, history_colors = self._history_context(history, lang)
        return self._understand(text[:_MAX_TEXT], lang, on_stage_sku, history_sku,
                                history_country, history_colors)

    def _understand_uncached(
        self, text: str, lang: str, on_stage_sku: str | None, history_sku: str | None,
        history_country: str | None = None, history_colors: tuple = (),
    ) -> GroundedUnderstanding:
        raw = nfkc(text)
        norm = normalize(raw)
        s = self._scan(norm, lang)
        flags = s.flags
        body = _body_pattern().search(norm)
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
        # A bare upper-case pair is a country only where the market ships: "NF eletrônica"
        # is an invoice, not Norfolk Island (names and aliases, "UK", "KSA", go by the packs).
        countries = s.countries + [c for c in codes if c in self._destinations
                                   and c not in s.countries]

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

        if body and product is not None and "size_word" not in flags:
            # "26cm in black?" of a shoe sold in 26.0: that size, not the viewer's measurements
            # ("I wear 26 cm, which size?" asks for advice).
            figure = re.match(r"\d{2,3}(?:[.,]\d+)?", body.group())
            if figure and any(_same_number(x, figure.group().replace(",", "."))
                              for x in product.sizes):
                numbers.append(figure.group().replace(",", "."))
                body = None
                flags.discard("body")
        size, asked_size = self._size_for(product, letter_sizes, numbers)
        color = self._color_for(product, s.colors)
        if color is None and not s.colors and product is not None and (
                product.sku == history_sku and not s.products and (size or asked_size)):
            # "M?" after "the jacket in burgundy?": the same variant hunt, one more detail.
            color = self._color_for(product, list(history_colors))
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
        elif weak_price and countries and not s.products and not any(
                t in (Topic.SHIPPING, Topic.DELIVERY) for _, t in s.topics):
            # "Munich, how much?" with no product named: what it costs to send it there.
            strong.append((weak_price[0][0], Topic.SHIPPING))
        strong += [(pos, Topic.CAMPAIGN) for pos, _ in s.campaigns]
        if body:
            strong.append((body.start(), Topic.SIZE))
        if "size_word" in flags and not (size or asked_size):
            strong.append((len(norm), Topic.SIZE))
        unoffered = None if s.methods else next(
            (n for n in s.asked_methods if not self._offers(n)), None)
        if flags & {"cod", "installments"} or s.methods or unoffered:
            strong.append((len(norm), Topic.PAYMENT))
        if "warranty" in flags:
            strong.append((len(norm), Topic.WARRANTY))
        if "care" in flags:
            strong.append((len(norm), Topic.CARE))
        if "reward" in flags and s.campaigns:
            strong.append((len(norm), Topic.CAMPAIGN))
        strong.sort(key=lambda t: t[0])
        topics = unique(t for _, t in strong if t is not Topic.GREETING)
        if s.faqs:  # an FAQ entry on warranty or care answers it
            topics = [t for t in topics if t not in (Topic.WARRANTY, Topic.CARE)]
        if Topic.WARRANTY in topics or Topic.CARE in topics:
            # Answered from the product's own fields, or by the host: never with a
            # neighbouring fact (its price, its delivery time).
            topics = [t for t in topics if t in (Topic.WARRANTY, Topic.CARE)]
        if flags & _HOST_FLAGS:
            # When a sold-out item comes back, its expiry date, where it is made: no field holds
            # them. The host's question, unless the market's own sentences say it; a country
            # in such a question ("made in China?") is not a destination.
            topics = [Topic.UNKNOWN]
            if "origin" in flags:
                countries = []
        if not topics:
            # "Is there ...?" / "ada?" asks about stock only when something is named.
            named = bool(size or asked_size or s.colors or s.products or "this" in flags)
            topics = unique(
                t for _, t in sorted(s.weak, key=lambda t: t[0])
                if t is not Topic.STOCK or named
            )
        if Topic.HOW_TO_BUY in topics and _POLICY_QUESTIONS.intersection(topics) and \
                _QUESTION_MARKS.intersection(raw) and names_wish(raw, lang):
            # "If I buy two, is shipping free?": the shipping question, not how to buy.
            topics.remove(Topic.HOW_TO_BUY)
        if Topic.CAMPAIGN in topics and Topic.HOW_TO_BUY in topics and names_others(raw, lang):
            # "My friend signed up with my link and bought, does it count?": the relay's rules.
            topics.remove(Topic.HOW_TO_BUY)
        if Topic.STOCK in topics and not (s.products or size or asked_size or s.colors
                                          or "this" in flags) and _POLICY_TOPICS.intersection(
                                              topics):
            # "cod available?", "shipping available to Peru?": the policy is what is available.
            topics.remove(Topic.STOCK)
        if size is not None and color is not None and Topic.SIZE in topics and \
                Topic.STOCK not in topics:
            # "56 in black?", "size 60 sand?": one variant named, so whether it is there.
            topics = unique(Topic.STOCK if t is Topic.SIZE else t for t in topics)
        if color is not None and Topic.COLOR in topics:
            # "M in the black colour?" names the colour: it asks whether that one is there.
            topics = unique(Topic.STOCK if t is Topic.COLOR else t for t in topics)
        if s.faqs and not (flags & {"cod", "installments"} and countries):
            # A general FAQ entry ("COD?") loses to the destination's own fields when the
            # viewer names the destination: the fields answer exactly.
            topics.insert(0, Topic.FAQ)
        if not topics:
            # Bare mentions: "M in black?" asks stock, "Canada?" shipping, "hoodie?" price.
            # A longer sentence that only names a product asks something we didn't catch.
            short = len(norm) <= 24 and len(s.text.split()) <= 4  # words, in any script
            if size or asked_size or s.colors:
                topics = [Topic.STOCK]
            elif countries and (short or "place" not in flags) and not (
                    any(t is Topic.GREETING for _, t in strong)
                    and not _QUESTION_MARKS.intersection(raw)):
                # "Canada?", "Muscat?": shipping there. A sentence that only names a place
                # ("can I pick it up in Portland?") asks something we don't know; a greeting
                # that names one ("hiii from Penang 👋") asks nothing.
                topics = [Topic.SHIPPING]
            elif short and (s.products or "this" in flags and product is not None):
                topics = [Topic.PRICE]
                flags.add("bare")  # a guess: the market's own sentences may answer better
            elif product is not None and (s.products or on_stage is not None) and _FIGURE.search(
                    raw):
                # A figure next to a product is a price someone claims ("the host said it's
                # 99 today, right?"): the answer is the real price, never the claimed one.
                topics = [Topic.PRICE]
            elif not any(c.isalpha() for c in norm):
                topics = [Topic.GREETING]  # emoji, "666", "!!!": cheering, not a question
        if any(t is Topic.GREETING for _, t in strong) or "thanks" in flags:
            topics.append(Topic.GREETING)
        if not topics:
            # Nothing we know was asked. A question gets "I'll check with the host" (and a host
            # task); chatter ("ok", "Mia is beautiful", "asdfgh") gets no promise nobody keeps.
            topics = [Topic.UNKNOWN if looks_like_question(raw) else Topic.GREETING]
        if not countries and history_country and _PLACE_TOPICS.intersection(topics):
            countries = [history_country]  # "how many days then?" after "to Hong Kong?"
        asked = s.text
        for a, b in sorted(s.exact, reverse=True):
            asked = asked[:a] + " " + asked[b:]
        asking = frozenset(t for a, b in s.asking for t in passages.terms(s.text[a:b], lang))
        note = self._note(asked, lang, topics, product, looks_like_question(raw), asking=asking,
                          bare="bare" in flags, country=countries[0] if countries else None,
                          flags=frozenset(flags), method=s.methods[0] if s.methods else None)

        return GroundedUnderstanding(
            topic=topics[0],
            sku=product.sku if product else None,
            size=size,
            color=color,
            country=countries[0] if countries else None,
            faq_id=s.faqs[0][1] if s.faqs and Topic.FAQ in topics else None,
            topics=tuple(topics),
            flags=frozenset(flags),
            asked_size=asked_size,
            campaign_id=s.campaigns[0][1] if s.campaigns else None,
            method=s.methods[0] if s.methods else None,
            asked_method=unoffered,
            note=note,
        )

    def _note(self, asked: str, lang: str, topics: list[Topic], product: Product | None,
              question: bool, *, bare: bool, country: str | None,
              flags: frozenset[str] = frozenset(), method: str | None = None,
              asking: frozenset[str] = frozenset(),
              ) -> tuple[str, tuple[int, ...]] | None:
        """The market's own sentences for what the topics' fields may leave unanswered (in
        `asked`, the message without the words the fields answer exactly): from
        the sources of the asked topics, or from any source for a question nothing else
        answers (see composing: an addition to a topic's answer, or the answer itself)."""
        if topics == [Topic.GREETING] and not question:
            return None
        sources: frozenset[str] | None = None
        if not bare and topics not in ([Topic.UNKNOWN], [Topic.GREETING]):
            sources = frozenset(x for t in topics for x in passages.TOPIC_SOURCES.get(t, ()))
        sku = product.sku if product else None
        ignore = self._passages.name_terms(sku, lang) if sku else ()
        hits = [h.index for h in self._passages.search(
            asked, lang, sku=sku, country=country, sources=sources, ignore=ignore,
            asking=asking)]
        # The operator's exception for this product or this destination comes first, whatever
        # words were used: "opened it, can I return it?" about the serum gets "the serum cannot
        # be returned once opened"; "COD to Singapore?" the note that says it is not offered.
        specific: list[int] = []
        if Topic.RETURNS in topics and sku is not None:
            specific += self._passages.specific(lang, "returns", sku=sku)[:1]
        if Topic.RETURNS in topics and country is not None:
            specific += self._passages.specific(lang, "returns", country=country)[:1]
        if Topic.PAYMENT in topics and country is not None and flags & _RULE_FLAGS:
            specific += self._passages.specific(lang, "payment", country=country,
                                                flags=flags & _RULE_FLAGS)[:1]
        if Topic.PAYMENT in topics and method is not None:
            specific += self._passages.specific(
                lang, "payment", names=(method, self.market.method_name(method, lang)))[:1]
        hits = list(dict.fromkeys([*specific, *hits]))
        return (lang, tuple(hits)) if hits else None

    def _offers(self, name: str) -> bool:
        """Whether the market takes the payment method a pack names ("JKO Pay" is its "JKO
        Pay 街口支付"; "Touch n Go" its "Touch 'n Go eWallet")."""
        want = squeezed(name)
        return any(want in have or have in want for have in self._method_keys)

    def _history_context(
        self, history: Sequence[Turn], lang: str
    ) -> tuple[str | None, str | None, tuple]:
        """The product, the country and the colours the viewer talked about most recently
        (their own turns only: our replies list several products when asking which one)."""
        sku = country = None
        colors: tuple = ()
        for turn in reversed(history):
            if turn.role != "viewer":
                continue
            named_sku, named_country, named_colors = self._named_product(
                turn.text, turn.lang or lang)
            if sku is None:  # colours named up to (and with) the product's turn count
                colors = colors or named_colors
                sku = named_sku
            country = country or named_country
            if sku and country:
                break
        return sku, country, colors

    def _named_product(self, text: str, lang: str) -> tuple[str | None, str | None, tuple]:
        # Every follow-up re-reads the viewer's earlier turns; the same texts recur turn after
        # turn (and across a burst), so the lookup is memoized per engine (see __init__).
        s = self._scan(normalize(text[:_MAX_TEXT]), lang)
        return ((s.products[0] if s.products else None),
                (s.countries[0] if s.countries else None), tuple(s.colors))

    @staticmethod
    def _fits(p: Product, sizes: list[str], numbers: list[str], colors: list) -> bool:
        if sizes and not any(s in p.sizes for s in sizes):
            return False
        if colors and not any(color_matches(c, kind, value) for kind, value in colors
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
                if color_matches(c, kind, value):
                    return c.id
        return None


def _singular(alias: str, lang: str) -> str | None:
    """A one-word alias's stem when it is the alias minus an ending and a known word of the
    language ("boots" -> "boot", "sneakers" -> "sneaker"); None otherwise."""
    word = normalize(alias)
    if " " in word or not word.isalpha() or len(word) < 5:
        return None
    stem = passages.stem(word, lang)
    if stem is None or stem == word or len(stem) < 4 or not word.startswith(stem):
        return None
    return stem if passages.zipf(stem, lang) > 0 else None


def _name_word_ok(word: str, lang: str) -> bool:
    # Latin-script words only: a segmenter's pieces of a Chinese name ("鶯歌手作" gives "歌手",
    # singer) and Korean stems that take any ending ("충전" in "충전재") name nothing.
    if not (word.isascii() and word.isalpha()) or len(word) < 4:
        return False
    if places.find(word, lang, lambda _: False) or passages.zipf(word, lang) >= _NAME_WORD_ZIPF:
        return False  # "Bandung" in a shoe's name is the city; "stand", "cloud" are words
    return not any(a == 0 and b == len(word) for a, b, _ in lexicon_matcher(lang).find(word))


def unique(topics: Iterable[Topic]) -> list[Topic]:
    seen: list[Topic] = []
    for t in topics:
        if t not in seen:
            seen.append(t)
    return seen


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def color_matches(c, kind: str, value: str) -> bool:
    if kind == "pcolor":
        return c.id == value
    if c.id == value or value in c.id.split("-"):
        return True
    en = normalize(c.name.get("en", ""))
    parts = en.split()
    if value == "grey":
        return "grey" in parts or "gray" in parts or c.id in ("grey", "gray")
    return value in parts
