"""Purchase-intent scoring: how likely a viewer turn is a buyer who should go to the human host.

Reads the per-language lexicons (buy-now phrases, quantities, payment questions, bulk/wholesale,
asks for a person: the `intent` section of each language pack) and owns the rule that a viewer
who asked about price, then stock, then shipping is a buyer. The output is a score in 0..1 plus
stable reason codes; the caller hands the viewer over when score >= the market's
`handoff_threshold` (default 0.6).

Weights are combined noisy-OR (1 - prod(1 - w)), so the score stays in 0..1 and grows with every
independent signal. Strong signals (BUY_NOW, HOW_TO_BUY, BULK, ASKS_FOR_HUMAN, REPEATED_PRE_SALES)
cross 0.6 alone; weak ones (PAYMENT 0.45, QUANTITY 0.40) do not alone but do together (0.67).

Matching is lexical on purpose: the comment stream runs at thousands of messages a second and
this sits on its hot path, so every pattern is compiled once and a call costs microseconds.
Latin-script languages are matched on a case-folded, accent-stripped form with word boundaries
(viewers often type without accents: "quero comprar", "chot don"); Thai, Japanese, Chinese,
Korean and Arabic are matched as substrings (no spaces, or particles glued to words). English
patterns are also tried for every language because viewers code-switch ("add to cart", "cod").
A short negation window ("don't want to buy", "不要买", "ไม่เอา") cancels buy/bulk matches.
Naming someone else who buys ("my friend") with a campaign asked cancels buy matches: the
question is about the relay's rules. A buy phrase inside a wish ("if I buy two, is shipping
free?") in a question about a policy is that question, not a purchase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from assistant import languages
from assistant.dialogue import Topic, Turn

# --- reason codes (stable: stored in handoff records and shown on the host console)
BUY_NOW = "buy_now"
HOW_TO_BUY = "how_to_buy"
QUANTITY = "quantity"
PAYMENT = "payment"
BULK = "bulk"
ASKS_FOR_HUMAN = "asks_for_human"
REPEATED_PRE_SALES = "repeated_pre_sales"

WEIGHTS: dict[str, float] = {
    BUY_NOW: 0.70,
    HOW_TO_BUY: 0.65,
    BULK: 0.70,
    ASKS_FOR_HUMAN: 0.70,
    REPEATED_PRE_SALES: 0.65,
    PAYMENT: 0.45,
    QUANTITY: 0.40,
}
_REASON_ORDER = tuple(WEIGHTS)

# Topics from the dialogue engine that are signals by themselves.
_TOPIC_SIGNALS = {Topic.PAYMENT: PAYMENT, Topic.HUMAN: ASKS_FOR_HUMAN, Topic.HOW_TO_BUY: HOW_TO_BUY}

# Pre-sales topic groups for the repeat rule: price, then stock, then shipping = a buyer.
_PRE_SALES_GROUP = {
    Topic.PRICE: "price",
    Topic.SALE: "price",
    Topic.CAMPAIGN: "price",
    Topic.STOCK: "stock",
    Topic.SIZE: "stock",
    Topic.COLOR: "stock",
    Topic.MATERIAL: "stock",
    Topic.SHIPPING: "shipping",
    Topic.DELIVERY: "shipping",
    Topic.PAYMENT: "payment",
    Topic.RETURNS: "returns",
}
REPEAT_MIN_GROUPS = 3
REPEAT_WINDOW = 6  # previous viewer turns considered

# A question about one of these, with a buy phrase only inside a wish ("can I buy it with
# Tabby?", "想買耳機，信用卡滿多少可以分期？"), is that question: the answer serves the buyer.
_QUESTION_MARKS = frozenset("?？؟¿")
POLICY_QUESTIONS = frozenset({Topic.SHIPPING, Topic.DELIVERY, Topic.PAYMENT, Topic.RETURNS,
                               Topic.SALE, Topic.CAMPAIGN})

# A numeric quantity at or above this, with a unit ("50 pcs"), is a bulk order.
BULK_MIN_QUANTITY = 10

# Folding for Latin-script text: characters NFKD does not decompose to ASCII.
_LATIN_FOLD = str.maketrans(
    {"đ": "d", "ı": "i", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "’": "'", "`": "'"}
)
# Arabic: alef/yeh/teh-marbuta variants typed interchangeably; tatweel and harakat dropped.
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": None}
    | {chr(c): None for c in range(0x064B, 0x0653)}
)

_WORD = re.compile(r"[\w']+")
# "60 piece set" describes the product, not how many the viewer wants.
_NUMBER_UNIT_TMPL = r"(?<![\w.,])(\d{{1,5}})\s*(?:{units})(?!\w)(?!\s*(?:set|kit|pack|puzzle))"
_X_QUANTITY = re.compile(r"(?<![\w.,])(?:x\s?\d{1,4}|\d{1,4}\s?x)(?!\w)")
_INSTALLMENT_BEFORE = re.compile(r"(?:\bem|\ben|\bin)\s*$")


@cache
def _spaceless_quantity() -> re.Pattern[str]:
    units = [u for p in languages.packs().values() if p.script.writing != "Latn"
             for u in p.intent.units]
    words = [w for p in languages.packs().values() for w in p.intent.quantity_words]
    return re.compile(rf"(\d{{1,5}})\s*(?:{'|'.join(units)})|" + "|".join(words))


@cache
def _negation_breakers() -> frozenset[str]:
    return frozenset(w for p in languages.packs().values() for w in p.intent.negation_breakers)


@dataclass(frozen=True)
class IntentScore:
    score: float  # 0..1
    reasons: tuple[str, ...]  # stable reason codes, strongest first


@dataclass(frozen=True, slots=True)
class _LangRules:
    lang: str
    spaceless: bool
    signals: tuple[tuple[str, re.Pattern[str]], ...]
    quantity_unit: re.Pattern[str] | None
    number_words: re.Pattern[str] | None
    negators: frozenset[str]
    negator_suffix: re.Pattern[str] | None
    others: re.Pattern[str] | None
    wishes: re.Pattern[str] | None


@cache  # one compiled set per language, shared by every scorer and helper
def _compile_lang(lang: str) -> _LangRules:
    pack = languages.pack(lang)
    spaceless = pack.script.writing != "Latn"
    signals = []
    for signal, patterns in pack.intent.signals.items():
        body = "|".join(f"(?:{p})" for p in patterns)
        # Word boundaries only where words are separated by spaces.
        src = body if spaceless else rf"(?<![\w])(?:{body})"
        signals.append((signal, re.compile(src)))
    quantity_unit = number_words = None
    units = "|".join(pack.intent.units)
    if not spaceless and units:
        quantity_unit = re.compile(_NUMBER_UNIT_TMPL.format(units=units))
        number_words = re.compile(
            rf"(?<!\w)(?:{'|'.join(pack.intent.number_words)})(?P<unit>\s+(?:{units}))?(?!\w)"
        )
    suffix = "|".join(pack.intent.negator_suffix)
    others = "|".join(f"(?:{p})" for p in pack.intent.others)
    if others and not spaceless:
        others = rf"(?<!\w)(?:{others})(?!\w)"
    wishes = "|".join(f"(?:{p})" for p in pack.intent.wishes)
    if wishes and not spaceless:
        wishes = rf"(?<!\w)(?:{wishes})"
    return _LangRules(
        lang=lang,
        spaceless=spaceless,
        signals=tuple(signals),
        quantity_unit=quantity_unit,
        number_words=number_words,
        negators=frozenset(pack.intent.negators),
        negator_suffix=re.compile(f"(?:{suffix})$") if suffix else None,
        others=re.compile(others) if others else None,
        wishes=re.compile(wishes) if wishes else None,
    )


@cache
def _all_spaceless() -> tuple[_LangRules, ...]:
    return tuple(_compile_lang(c) for c in languages.codes()
                 if languages.pack(c).script.writing != "Latn")


def _fold_latin(text: str) -> str:
    text = text.casefold().translate(_LATIN_FOLD)
    if text.isascii():
        return text
    # NFKD splits accents off; dropping non-ASCII then removes them (and emoji, which carry no
    # intent). Non-Latin scripts are matched on the other form, see IntentScorer.score.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _fold_other(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)


def names_others(text: str, lang: str) -> bool:
    """Whether a message names someone else who buys ("my friend", "친구", "صديقتي")."""
    return _holds(text, lang, "others")


def names_wish(text: str, lang: str) -> bool:
    """Whether a message wants or supposes a purchase ("if I buy two", "想買", "lw ashtri")."""
    return _holds(text, lang, "wishes")


def _holds(text: str, lang: str, field: str) -> bool:
    """Whether one of a pack's phrase lists (`field` of _LangRules) matches the message: its
    language's, English's, or (for a non-Latin script) any unspaced language's."""
    latin = _fold_latin(text)
    for rules in (_rules_of(lang), _rules_of("en")):
        pattern = getattr(rules, field) if rules is not None else None
        if pattern is not None and pattern.search(latin):
            return True
    if text.isascii():
        return False
    other = _fold_other(text)
    return any((p := getattr(r, field)) is not None and p.search(other)
               for r in _all_spaceless())


@cache
def _rules_of(lang: str) -> _LangRules | None:
    return _compile_lang(lang) if languages.has(lang) else None


class IntentScorer:
    """Scores one viewer turn. Stateless after construction; safe to share across tasks."""

    def __init__(self) -> None:
        self._rules = {lang: _compile_lang(lang) for lang in languages.codes()}
        self._spaceless_langs = tuple(r for _, r in sorted(self._rules.items()) if r.spaceless)

    def score(
        self,
        text: str,
        lang: str,
        *,
        topics: Sequence[Topic] = (),
        history: Sequence[Turn] = (),
    ) -> IntentScore:
        lang = (lang or "").split("-")[0].split("_")[0].lower()
        found: set[str] = set()
        wished: set[str] = set()  # buy phrases met only inside a wish ("if I buy two")
        for topic in topics:
            signal = _TOPIC_SIGNALS.get(topic)
            if signal:
                found.add(signal)

        latin = _fold_latin(text)
        primary = self._rules.get(lang)
        if primary is None:
            # Unknown language: every Latin lexicon (the script decides the rest below).
            candidates = [r for r in self._rules.values() if not r.spaceless]
        else:
            candidates = [primary] if lang == "en" else [primary, self._rules["en"]]
        for rules in candidates:
            self._match(rules, latin, found, wished)

        if not text.isascii():
            other = _fold_other(text)
            # Short messages are often mis-detected; a non-Latin script is unambiguous enough
            # to try every spaceless lexicon rather than only the detected language.
            pool = [primary] if primary is not None and primary.spaceless else []
            pool += [r for r in self._spaceless_langs if r is not primary]
            for rules in pool:
                self._match(rules, other, found, wished)
            self._spaceless_quantity(other, found)

        if not (POLICY_QUESTIONS.intersection(topics) and _QUESTION_MARKS.intersection(text)):
            found |= wished  # wanting it is buying it, unless the message asks a policy
        if Topic.CAMPAIGN in topics and names_others(text, lang):
            # "My friend ordered with my link, does it count?": the relay's rules, asked about
            # a friend's order. Bulk and asking for a person still count.
            found -= {BUY_NOW, HOW_TO_BUY, QUANTITY}

        if self._repeated_pre_sales(topics, history):
            found.add(REPEATED_PRE_SALES)

        if not found:
            return IntentScore(0.0, ())
        remaining = 1.0
        for signal in found:
            remaining *= 1.0 - WEIGHTS[signal]
        reasons = tuple(r for r in _REASON_ORDER if r in found)
        return IntentScore(round(1.0 - remaining, 4), reasons)

    # --- signals

    def _match(self, rules: _LangRules, text: str, found: set[str],
               wished: set[str] | None = None) -> None:
        spans = [m.span() for m in rules.wishes.finditer(text)] if rules.wishes else []
        for signal, pattern in rules.signals:
            if signal in found:
                continue
            for m in pattern.finditer(text):
                if signal in (PAYMENT, ASKS_FOR_HUMAN) or not self._negated(rules, text, m.start()):
                    if signal in (BUY_NOW, HOW_TO_BUY) and wished is not None and any(
                            a <= m.start() < b for a, b in spans):
                        wished.add(signal)  # "if I buy two ...": see score()
                        continue
                    found.add(signal)
                    break
        if rules.quantity_unit is not None:
            self._latin_quantity(rules, text, found)

    def _latin_quantity(self, rules: _LangRules, text: str, found: set[str]) -> None:
        assert rules.quantity_unit is not None and rules.number_words is not None
        for m in rules.quantity_unit.finditer(text):
            found.add(QUANTITY)
            if int(m.group(1)) >= BULK_MIN_QUANTITY:
                found.add(BULK)
        if QUANTITY not in found:
            for m in _X_QUANTITY.finditer(text):
                # "em 10x sem juros" / "in 3x" are instalments, not quantities.
                if not _INSTALLMENT_BEFORE.search(text, 0, m.start()):
                    found.add(QUANTITY)
                    break
        if QUANTITY not in found:
            m = rules.number_words.search(text)
            # A bare number word only counts in a short message ("dos", "mau tiga"); in a longer
            # one it is usually something else ("do you have two colors?").
            if m and (m.group("unit") or len(text.split()) <= 3):
                found.add(QUANTITY)

    @staticmethod
    def _spaceless_quantity(text: str, found: set[str]) -> None:
        m = _spaceless_quantity().search(text)
        if m:
            found.add(QUANTITY)
            if m.group(1) and int(m.group(1)) >= BULK_MIN_QUANTITY:
                found.add(BULK)

    @staticmethod
    def _negated(rules: _LangRules, text: str, start: int) -> bool:
        if rules.spaceless:
            # Negators of every unspaced script: short messages are often mis-detected.
            return any(r.negator_suffix is not None
                       and r.negator_suffix.search(text, max(0, start - 3), start)
                       for r in _all_spaceless())
        before = _WORD.findall(text, max(0, start - 30), start)[-3:]
        for word in reversed(before):
            if word in _negation_breakers():
                return False
            if word in rules.negators:
                return True
        return False

    @staticmethod
    def _repeated_pre_sales(topics: Sequence[Topic], history: Sequence[Turn]) -> bool:
        current = {_PRE_SALES_GROUP[t] for t in topics if t in _PRE_SALES_GROUP}
        if not current:
            return False  # only a pre-sales question can complete the pattern
        groups = set(current)
        turns = 1
        viewer_turns = [t for t in history if t.role == "viewer"][-REPEAT_WINDOW:]
        for turn in viewer_turns:
            if turn.topic in _PRE_SALES_GROUP:
                groups.add(_PRE_SALES_GROUP[turn.topic])
                turns += 1
        return turns >= REPEAT_MIN_GROUPS and len(groups) >= REPEAT_MIN_GROUPS
