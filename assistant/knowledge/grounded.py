"""The embedded grounded answer engine: understands a viewer's question and answers it with exact
facts from one market's data, in the viewer's language, with no LLM.

Its four jobs live in their own modules: matching.py (phrases that respect words, in every
script), understanding.py (what the message asks), composing.py (the answer's wording, from
the language pack's templates and the market's data) and facts.py (fact lines for an LLM). This
class builds the per-market indexes they share, and memoizes understanding and answers: a
burst of the same question costs one analysis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

from assistant.dialogue import Answer, Understanding
from assistant.knowledge import places
from assistant.knowledge.composing import PRODUCT_TOPICS, Composes
from assistant.knowledge.facts import StatesFacts
from assistant.knowledge.market import Market, market_today
from assistant.knowledge.matching import normalize, squeezed
from assistant.knowledge.matching import warm as warm_segmenter
from assistant.knowledge.passages import PassageIndex
from assistant.knowledge.replies import format_money, traditional
from assistant.knowledge.understanding import GroundedUnderstanding, Understands, lexicon_matcher

__all__ = ["PRODUCT_TOPICS", "GroundedEngine", "GroundedUnderstanding", "format_money",
           "normalize"]


class GroundedEngine(Understands, Composes, StatesFacts):
    """Answers viewer questions from one market's data. Build once per market (indexes are
    precomputed); rebuild when the market is edited. Thread-safe for concurrent reads."""

    def __init__(
        self, market: Market, *, today: Callable[[], dt.date] = market_today
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
        self._place_preference = self._destinations.__contains__
        self._faq = {e.id: e for e in market.faq}
        pay = market.policies.payment
        self._method_keys = frozenset(  # every name of every method it takes, unspaced
            squeezed(n) for x in pay.methods
            for n in (x, *pay.method_names.get(x, {}).values()))
        self._campaigns = {c.id: c for c in market.campaigns}
        self._faq_tokens = self._faq_token_index()
        self._market_matcher = self._build_market_matcher()
        self._named_product = lru_cache(maxsize=8192)(self._named_product)
        self._passages = PassageIndex(market, self._named_in)
        self._script_conversions = {
            lang: convert for lang in market.languages
            if (convert := traditional(
                [p.name[lang] for p in market.products if lang in p.name], lang,
                keep=lambda lang=lang: self._own_texts(lang))) is not None}
        self._understand = lru_cache(maxsize=16_384)(self._understand_uncached)
        places.warm()
        for lang in market.languages:  # compiled once per process; the rest on first use
            warm_segmenter(lang)
            lexicon_matcher(lang)
            self._market_matcher.matcher(lang)
            self._passages.warm(lang)

    def _own_texts(self, lang: str) -> list[str]:
        """The market's own words in `lang` that a reply may quote: names, campaign texts,
        installment terms, and every sentence of its free text."""
        m = self.market
        out = [m.text(p.name, lang) for p in m.products]
        out += [m.text(c.name, lang) for p in m.products for c in p.colors]
        for c in m.campaigns:
            out += [m.text(x, lang) for x in (c.name, c.reward, c.how_to_join, c.description)
                    if x]
        if m.policies.payment.installments:
            out.append(m.text(m.policies.payment.installments, lang))
        out += [m.text(e.answer, lang) for e in m.faq]
        out += [p.text for p in self._passages.sentences(lang)]
        return out

    def _named_in(self, text: str, lang: str) -> tuple[list[str], list[str], frozenset[str]]:
        """The products (by name or alias) and the countries a text names, in order, and the
        pack's flags it holds ("cod", "installments")."""
        s = self._scan(normalize(text), lang)
        return s.products, s.countries, frozenset(s.flags)

    def answer(self, understanding: Understanding, lang: str) -> Answer:
        today = self._today()
        key = (understanding, lang, today)
        hit = self._answers.get(key)
        if hit is not None:
            return hit
        text, needs_host = self._compose(understanding, lang, today)
        text = self.localize(text, lang)
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
