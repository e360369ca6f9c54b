"""The market's own sentences, retrievable: what the operator wrote in free text (a product's
material, care, warranty, size advice and selling points; the shipping, returns and payment
notes; a campaign's rules; FAQ answers), split into sentences and indexed with BM25 per
language, so a question the structured fields do not answer ("is the serum alcohol-free?",
"how long does the refund take?") gets the operator's own sentence in the viewer's language
instead of a neighbouring fact or a promise to check.

Terms are the words of a text (matching.words: segmenters for unspaced scripts) without the
language's most frequent words (wordfreq's lists, plus the pack's stopwords), reduced to stems
by the pack's Snowball stemmer, or to character pairs where particles are glued onto words
(Korean "충전재는" meets "충전재"). A sentence that names one of the market's products is about
that product: it is never the answer for another one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import bm25s
import numpy as np
import snowballstemmer
import wordfreq

from assistant import languages
from assistant.dialogue import Topic
from assistant.knowledge.market import Market
from assistant.knowledge.matching import is_unspaced, normalize, words
from assistant.knowledge.replies import to_simplified

_COMMON_ZIPF = 5.3  # words this frequent in the language ("the", "how", "có") carry no topic
_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_RARE_DF = 3  # a distinctive word is in at most this many sentences (or 5% of them)
_MIN_CHARS = 8  # shorter pieces ("etc.") are not an answer on their own


# Where the answer to a topic may also live in free text. A topic without an entry is answered
# from its fields alone (a price is never taken from a sentence).
TOPIC_SOURCES: dict[Topic, frozenset[str]] = {
    Topic.SALE: frozenset({"campaign"}),
    Topic.CAMPAIGN: frozenset({"campaign"}),
    Topic.SIZE: frozenset({"size", "product", "material"}),
    Topic.STOCK: frozenset({"size"}),
    Topic.MATERIAL: frozenset({"material", "product", "care"}),
    Topic.COLOR: frozenset({"product"}),
    Topic.SHIPPING: frozenset({"shipping"}),
    Topic.DELIVERY: frozenset({"shipping"}),
    Topic.RETURNS: frozenset({"returns"}),
    Topic.PAYMENT: frozenset({"payment"}),
    Topic.WARRANTY: frozenset({"warranty", "returns", "faq", "product"}),
    Topic.CARE: frozenset({"care", "faq", "product", "material"}),
}


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    sku: str | None  # the product it is about; None: the whole market
    source: str  # product field or policy it comes from (see TOPIC_SOURCES)
    countries: frozenset[str] = frozenset()  # the countries it names (it is about them)
    flags: frozenset[str] = frozenset()  # the pack's flags it holds ("cod": cash on delivery)
    norm: str = ""  # the text normalized once (matching.normalize), for names looked up in it


@dataclass(frozen=True, slots=True)
class Hit:
    index: int
    score: float


@cache
def _frequencies(lang: str) -> dict[str, float]:
    try:
        return wordfreq.get_frequency_dict(lang)
    except LookupError:  # no list for the language (Thai)
        return {}


@cache
def _folded(lang: str) -> dict[str, float]:
    """Frequencies by normalized form ("siêu" and "sieu" alike), for words of zipf >= 2."""
    out: dict[str, float] = {}
    for w, f in _frequencies(lang).items():  # most frequent first
        if f < 1e-7:
            break
        k = normalize(w)
        out[k] = max(out.get(k, 0.0), f)
    return out


def zipf(word: str, lang: str) -> float:
    """A normalized word's Zipf frequency in `lang` (wordfreq; 0 when rare or unknown), or in
    English for Latin words, which viewers mix into every language."""
    f = _folded(lang).get(word) or (_folded("en").get(word, 0.0) if word.isascii() else 0.0)
    return math.log10(f * 1e9) if f else 0.0


@cache
def common_words(lang: str) -> frozenset[str]:
    """The language's most frequent words (wordfreq) and its pack's stopwords, normalized."""
    pack = languages.pack(lang) if languages.has(lang) else None
    own = {normalize(w) for w in pack.stopwords} if pack else set()
    cut = 10 ** (_COMMON_ZIPF - 9)
    return frozenset(own | {w for w, f in _folded(lang).items() if f >= cut})


@cache
def _stem(lang: str) -> Callable[[str], str] | None:
    name = languages.pack(lang).script.stemmer if languages.has(lang) else None
    if not name:
        return None
    # Snowball in pure Python costs ~30 us a word; chat repeats its words.
    return lru_cache(maxsize=65_536)(snowballstemmer.stemmer(name).stemWord)


def stem(word: str, lang: str) -> str | None:
    """`word`'s stem by the language's Snowball stemmer; None if it has none."""
    st = _stem(lang)
    return st(word) if st is not None else None


def terms(text: str, lang: str) -> list[str]:
    """The retrieval terms of a text (see the module docstring)."""
    return [t for word in terms_by_word(text, lang) for t in word]


def terms_by_word(text: str, lang: str) -> list[list[str]]:
    """The retrieval terms of each word of a text (a Korean word gives several pairs)."""
    common = common_words(lang)
    stem = _stem(lang)
    script = languages.pack(lang).script if languages.has(lang) else None
    glued = script is not None and script.words == "glued"
    if script is not None and script.traditional:
        # Chinese in either set of characters meets: "货到付款" asks about "貨到付款".
        text = to_simplified(text)
    out: list[list[str]] = []
    for tok in words(normalize(text), lang).split():
        if tok in common or not any(c.isalnum() for c in tok):
            continue
        if len(tok) == 1 and is_unspaced(tok):
            continue  # a lone character ("嗎", "の") is grammar; the words around it carry it
        if stem is not None and tok.isalpha():
            out.append([stem(tok)])
        elif glued and len(tok) > 2 and not tok.isascii():
            # Character pairs, without the ones that are particles ("까지", "에서").
            out.append([b for b in (tok[i:i + 2] for i in range(len(tok) - 1))
                        if b not in common])
        else:
            out.append([tok])
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text.strip()) if len(s.strip()) >= _MIN_CHARS]


_Index = tuple[list[Passage], list[list[str]], "bm25s.BM25 | None", dict[str, int]]


class PassageIndex:
    """One market's sentences per language, with a BM25 index each (built when first asked)."""

    def __init__(
        self, market: Market,
        names: Callable[[str, str], tuple[list[str], list[str], frozenset[str]]],
    ) -> None:
        # names(text, lang): the SKUs, countries and flags a sentence names (the engine's scan).
        self._market = market
        self._names = names
        self._by_lang: dict[str, _Index] = {}
        self._name_terms: dict[tuple[str, str], frozenset[str]] = {}

    def warm(self, lang: str) -> None:
        """Build `lang`'s index now (its word lists take 0.1-0.5 s to load), not on the
        event loop when the first viewer writes in it."""
        self._index(lang)

    def sentences(self, lang: str) -> list[Passage]:
        return self._index(lang)[0]

    def passage(self, lang: str, index: int) -> Passage:
        return self._index(lang)[0][index]

    def search(
        self, text: str, lang: str, *, sku: str | None, country: str | None = None,
        sources: frozenset[str] | None = None, ignore: Iterable[str] = (), limit: int = 2,
        asking: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """The best sentences for `text` about product `sku` or the whole market (and about
        `country`, when the sentence names countries), best first.
        From `sources` (None: any) one distinctive shared word makes a sentence an answer;
        from elsewhere it takes a strong match (see _distinctive). `ignore`: the terms that
        chose the product (its name); `asking`: the terms of the pack's topic phrases, which
        anchor a sentence of the asked topic ("refund" in a returns note) but are no detail
        elsewhere ("order" is in a campaign's description too)."""
        passages, corpus, bm, df = self._index(lang)
        if bm is None:
            return []
        skip = set(ignore)
        by_word = [[t for t in w if t not in skip] for w in terms_by_word(text, lang)]
        query = [t for w in by_word for t in w]
        if not query:
            return []
        # The query word each term comes from: pairs of one Korean word are one piece of
        # evidence, not several.

        scores = bm.get_scores(query)
        hits: list[Hit] = []
        for i in np.argsort(-scores)[:12]:
            score = float(scores[i])
            if score <= 0 or len(hits) >= limit:
                break
            p = passages[i]
            if p.sku is not None and p.sku != sku:
                continue
            if country is not None and p.countries and country not in p.countries:
                continue  # "no COD to Singapore" is not the answer for Malaysia
            # A figure the viewer typed is a claim ("she said 150, right?"): it may add to a
            # match, never make one.
            # Outside the asked topic's sources (or with none asked) it takes more.
            strong = sources is None or p.source not in sources
            shared = {t: df[t] for t in query if t in corpus[i] and not t.isdigit()
                      and not (strong and t in asking)}
            if _distinctive(shared, len(corpus), strong=strong, by_word=by_word):
                hits.append(Hit(int(i), score))
        return hits

    def specific(
        self, lang: str, source: str, *, sku: str | None = None, country: str | None = None,
        flags: frozenset[str] = frozenset(), names: Iterable[str] = (),
    ) -> list[int]:
        """The policy sentences (of `source`) about exactly this product; or naming this
        country (None with flags: any), holding one of `flags` when given; or holding one of
        `names` (a payment method's): the operator's own exception ("the serum cannot be
        returned once opened", "no cash on delivery to Singapore", "returns from abroad are
        at the buyer's cost", "LINE Pay works with Taiwan accounts only"), which beats the
        general rule whatever words the question used."""
        wanted = [n for n in (normalize(x) for x in names) if n]
        out = []
        for i, p in enumerate(self._index(lang)[0]):
            if p.source != source:
                continue
            if sku is not None and p.sku == sku:
                out.append(i)
            elif (country in p.countries if country else flags and p.countries) and (
                    not flags or flags & p.flags):
                out.append(i)
            elif wanted and any(n in p.norm for n in wanted):
                out.append(i)
        return out

    def name_terms(self, sku: str, lang: str) -> frozenset[str]:
        """The terms of a product's names and aliases (computed once per product)."""
        hit = self._name_terms.get((sku, lang))
        if hit is None:
            p = self._market.product(sku)
            texts = [*p.name.values(), *(a for al in p.aliases.values() for a in al)] if p else []
            hit = self._name_terms[(sku, lang)] = frozenset(
                t for x in texts for t in terms(x, lang))
        return hit

    def _index(self, lang: str) -> _Index:
        """`lang`'s sentences, their terms, their BM25 index and each term's sentence count."""
        built = self._by_lang.get(lang)
        if built is None:
            passages, extra = self._collect(lang)
            corpus = [terms(p.text, lang) + extra.get(i, []) for i, p in enumerate(passages)]
            bm = None
            if any(corpus):
                bm = bm25s.BM25()
                bm.index([c or ["\x00"] for c in corpus], show_progress=False)
            df: dict[str, int] = {}
            for c in corpus:
                for t in set(c):
                    df[t] = df.get(t, 0) + 1
            built = self._by_lang[lang] = (passages, corpus, bm, df)
        return built

    def _collect(self, lang: str) -> tuple[list[Passage], dict[int, list[str]]]:
        m = self._market
        out: list[Passage] = []
        extra: dict[int, list[str]] = {}  # FAQ phrasings count as words of their answer

        def add(text: str, source: str, sku: str | None = None) -> None:
            for s in sentences(text):
                skus, countries, flags = self._names(s, lang)
                named = [x for x in skus if x != sku]
                # A policy sentence naming exactly one product is about that product.
                scope = sku if sku is not None else (named[0] if len(set(named)) == 1 else None)
                out.append(Passage(s, scope, source, frozenset(countries), flags, normalize(s)))

        for p in m.products:
            for field, source in ((p.material, "material"), (p.care, "care"),
                                  (p.warranty, "warranty"), (p.size_advice, "size")):
                if field:
                    add(m.text(field, lang), source, p.sku)
            for point in m.text(p.selling_points, lang) if p.selling_points else []:
                add(point, "product", p.sku)
        pol = m.policies
        for field, source in ((pol.shipping.notes, "shipping"), (pol.returns.notes, "returns"),
                              (pol.payment.notes, "payment"),
                              (pol.payment.installments, "payment")):
            if field:
                add(m.text(field, lang), source)
        for c in m.campaigns:
            add(m.text(c.description, lang), "campaign")
            for rule in m.text(c.rules, lang) if c.rules else []:
                add(rule, "campaign")
        for e in m.faq:
            # An FAQ answer is written as an answer: it stays whole, and its phrasings count
            # as its words. One naming a single product is about that product.
            answer = m.text(e.answer, lang).strip()
            skus, countries, flags = self._names(answer, lang)
            scope = skus[0] if len(set(skus)) == 1 else None
            extra[len(out)] = [t for q in e.questions.get(lang, []) for t in terms(q, lang)]
            out.append(Passage(answer, scope, "faq", frozenset(countries), flags,
                               normalize(answer)))
        return out, extra


def _distinctive(shared: dict[str, int], n_sentences: int, *, strong: bool,
                 by_word: list[list[str]] | None = None) -> bool:
    """Whether the words a question shares with a sentence make it the answer. Words common
    to the market's texts ("delivery", "TL", "item") are a coincidence; a word few sentences
    hold is the detail asked about. Within the asked topic's own sources one such word is
    enough; without that anchor (strong), two such words, or one that only this sentence
    holds. A Korean word is its character pairs (`by_word`: each question word's terms); it
    is in the sentence when half of its pairs are ("충전재는" meets "충전재가", "오븐에"
    meets "오븐"; "보내주실수있나요" does not meet "보내주시면" through one pair)."""
    limit = max(_RARE_DF, n_sentences // 20)
    rare = [n for n in shared.values() if n <= limit]
    if not strong:
        return bool(rare)
    if by_word is None:
        return len(rare) >= 2 or 1 in rare
    found = []  # per question word in the sentence: its terms' sentence counts
    for w in by_word:
        got = [shared[t] for t in w if t in shared]
        if got and 2 * len(got) >= len(w):
            found.append(got)
    rare_words = [g for g in found if min(g) <= limit]
    return len(rare_words) >= 2 or any(
        min(g) == 1 or (len(g) >= 2 and max(g) <= limit) for g in rare_words)
