"""The schema of a language pack (assistant/languages/<code>.yaml), checked when it is loaded.

A pack is everything the service knows about one language; adding a language is adding a file
(and its tests). Sections:

  script         writing (the script the language is typed in: Latn, Thai, Hang, Jpan, Hani,
                 Arab, Cyrl); words (spaced: phrases match whole words; unspaced: a segmenter
                 finds the words first - thai (pythainlp), japanese (fugashi + UniDic),
                 chinese (jieba-rs); glued: particles are glued onto words); affix rules, so
                 word forms meet the phrase: prefixes (ar "وال", "لل"), suffixes (plural "s",
                 id "-nya"), open_ending_min (phrases this long take any ending: tr "ceketin",
                 ko "자켓이"); stemmer (a Snowball algorithm, for retrieving the market's
                 own sentences: knowledge/passages.py); traditional (an OpenCC config for
                 markets that write the language in Traditional characters)
  topics         topic -> phrases that ask about it
  flags          finer points of a question (see FLAGS)
  colors         canonical colour -> words
  countries      ISO country -> short names, spellings and exonyms viewers type (CLDR names,
                 subdivisions and cities come from data packages: assistant/knowledge/places.py)
  ignored_country_names  country names that are everyday words ("jersey", "chad")
  measures       size-chart measure -> label;  body_units: units after a body measurement
  stopwords      words an FAQ phrasing match ignores
  backchannels   short acknowledgements ("ok", "mm-hm", "はい") that are not questions
  markers        words that tell this language from a close one (Malay "saiz", "hantar"
                 vs Indonesian "ukuran", "kirim"; Vietnamese typed without accents);
                 romanized_markers: the language typed in Latin letters (Arabizi)
  replies        reply templates: every key of REPLY_KEYS with exactly its placeholders
  intent         purchase-intent regular expressions per signal, quantities, negation
  claims         number and currency words and claim phrases the LLM guard reads

Phrase syntax: "~phrase" is weak (counts only when no ordinary phrase of another topic matched);
"phrase*" is a prefix (any ending); "a … b" (or "a ... b") is a then b with up to four words
between ("where … made": "where is the charging stand made"). Phrases are normalized like
messages (NFKC, casefold, accents stripped for Latin and Arabic script), so they are written
naturally.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.dialogue import Topic

# Reply template keys and the placeholders each must use (every language the same set, so a
# translation can neither drop a fact nor add one).
#   {name} product name, {price}/{regular}/{saving}/{fee}/{amount} formatted money, {host} host
#   name, {country} localized country name, {days} a formatted day range, {items}/{names}/
#   {sizes}/{colors}/{countries} localized lists. host_question / host_purchase label a host
#   task in the host's language.
REPLY_KEYS: dict[str, tuple[str, ...]] = {
    "host_question": (),
    "host_purchase": (),
    "price": ("name", "price"),
    "price_sale": ("name", "price", "regular", "saving"),
    "price_range": ("max", "min", "name"),
    "sale_none": ("name", "price"),
    "sale_list": ("items",),
    "sale_item": ("name", "price", "regular"),
    "sale_none_any": (),
    "campaign_hint": ("name",),
    "which_product": ("names",),
    "sizes": ("name", "sizes"),
    "size_chart": ("chart",),
    "one_size": ("name",),
    "size_missing": ("name", "size", "sizes"),
    "stock_variant": ("n", "variant"),
    "stock_variant_out": ("variant",),
    "stock_available": ("items",),
    "stock_total": ("n", "name"),
    "stock_none": ("name",),
    "stock_sold_out": ("items",),
    "colors": ("colors", "name"),
    "material": ("material", "name"),
    "ship_yes": ("country", "fee", "free"),
    "ship_fee": ("country", "fee", "free"),
    "ship_free_over": ("amount",),
    "fee_zero": (),
    "ship_list": ("countries",),
    "ship_no": ("country",),
    "ship_no_product": ("country", "name"),
    "delivery": ("country", "days"),
    "days_range": ("max", "min"),
    "days_one": ("n",),
    "day_1": (),
    "returns_free": ("days",),
    "returns": ("days",),
    "no_returns": (),
    "returns_excluded": ("name",),
    "payment": ("methods",),
    "method_yes": ("method",),
    "method_no": ("method", "methods"),
    "cod_yes": (),
    "cod_no": (),
    "cod_yes_in": ("country",),
    "cod_no_in": ("country",),
    "cod_limit": ("amount",),
    "installments_none": (),
    "campaign": ("name", "text"),
    "campaign_none": (),
    "campaign_next": ("date", "name"),
    "campaign_min_order": ("amount",),
    "campaign_limit": ("n",),
    "campaign_ends": ("date",),
    "campaign_window": ("n",),
    "warranty": ("name", "text"),
    "care": ("name", "text"),
    "handoff": ("host",),
    "fallback": ("host",),
    "greeting": ("what",),
    "greeting_generic": (),
    "thanks": (),
    "how_to_buy_host": ("host",),
}

# Flags: finer points of a question the wording of an answer depends on.
#   this         points at the product on stage ("this one")
#   thanks       thanks the co-host
#   cod          asks about cash on delivery
#   installments asks about paying in installments
#   size_word    the bare word "size": a size question unless a size is named ("size M?")
#   reward       asks what the campaign gives or how to join it (answered with its whole blurb)
#   warranty     asks about a warranty or guarantee
#   care         asks how to wash or care for the product
FLAGS = ("this", "thanks", "cod", "installments", "size_word", "reward", "warranty", "care",
         "restock", "expiry", "origin")
MEASURES = ("body_width", "chest", "length", "waist", "hip", "foot_length", "shoulder",
            "sleeve", "inseam", "width", "height", "bust")
SIGNALS = ("buy_now", "how_to_buy", "bulk", "asks_for_human", "payment")
CLAIM_KINDS = ("free_shipping", "discount", "coupon", "in_stock", "fast_delivery")
_PLACEHOLDER = re.compile(r"{(\w*)}")


def _compiles(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"pattern {p!r} does not compile: {e}") from None
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Script(_Strict):
    writing: Literal["Latn", "Thai", "Hang", "Jpan", "Hani", "Arab", "Cyrl"] = "Latn"
    words: Literal["spaced", "unspaced", "glued"] = "spaced"
    segmenter: Literal["thai", "japanese", "chinese"] | None = None
    prefixes: str | None = None  # regex: clitics a word may start with before a phrase (ar "وال")
    articles: list[str] = Field(default_factory=list)  # ar "ال": dropped from phrase starts
    suffixes: str | None = None  # regex: endings a phrase may take (plural "s", id "nya")
    open_ending_min: int | None = Field(None, ge=1)  # phrases this long take any ending (tr, ko)
    affix_min: int = Field(0, ge=0)  # shorter phrases take no affixes (ar "كم" is not "الكمية")
    stemmer: str | None = None  # a Snowball algorithm: word forms meet in the market's sentences
    # An OpenCC config that turns the pack's replies into Traditional characters, for a market
    # whose own texts in this language are Traditional (zh: s2twp, Taiwan's forms and words).
    traditional: str | None = None

    @field_validator("stemmer")
    @classmethod
    def _known_stemmer(cls, v: str | None) -> str | None:
        import snowballstemmer

        if v is not None and v not in snowballstemmer.algorithms():
            raise ValueError(f"unknown Snowball stemmer {v!r}")
        return v

    _check = field_validator("prefixes", "suffixes")(
        lambda v: _compiles([v])[0] if v is not None else v)

    @model_validator(mode="after")
    def _consistent(self) -> Script:
        if (self.words == "unspaced") != (self.segmenter is not None):
            raise ValueError("words: unspaced needs a segmenter, and only it takes one")
        return self


class Intent(_Strict):
    signals: dict[Literal["buy_now", "how_to_buy", "bulk", "asks_for_human", "payment"],
                  list[str]] = Field(min_length=1)
    number_words: list[str] = Field(default_factory=list)  # "two", "dos": a quantity
    units: list[str] = Field(default_factory=list)  # regex: what follows a quantity ("pcs")
    quantity_words: list[str] = Field(default_factory=list)  # regex: "两个", "두 개"
    negators: list[str] = Field(default_factory=list)  # words before a signal that cancel it
    negator_suffix: list[str] = Field(default_factory=list)  # regex, unspaced scripts: "不"
    negation_breakers: list[str] = Field(default_factory=list)  # "don't know how to buy"
    # regex: someone else who buys ("my friend"); with a campaign asked, a buy phrase is about
    # their order ("my friend bought with my link, does it count?"), not this viewer's.
    others: list[str] = Field(default_factory=list)
    # regex: wanting or supposing a purchase ("if I buy two, is shipping free?", "想買，可以
    # 分期嗎"): a buy phrase inside one, in a question about a policy, is that question.
    wishes: list[str] = Field(default_factory=list)

    _check = field_validator("units", "quantity_words", "negator_suffix", "others",
                             "wishes")(_compiles)

    @field_validator("signals")
    @classmethod
    def _signals_compile(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in v.values():
            _compiles(patterns)
        return v


class ClaimPhrases(_Strict):
    free_shipping: list[str] = Field(min_length=1)
    discount: list[str] = Field(min_length=1)
    coupon: list[str] = Field(min_length=1)
    in_stock: list[str] = Field(min_length=1)
    fast_delivery: list[str] = Field(min_length=1)

    _check = field_validator("*")(_compiles)


class Claims(_Strict):
    edges: Literal["both", "start", "none"] = "both"  # see assistant/llm/claims.py
    number_after_noun: bool = False  # "دولار واحد": the number word follows the currency
    numbers: dict[str, float] = Field(min_length=1)
    multipliers: dict[str, float]
    joiners: list[str]
    currency: dict[str, list[str]] = Field(min_length=1)
    claims: ClaimPhrases


class LanguagePack(_Strict):
    code: str = Field(pattern=r"^[a-z]{2,3}$")
    name: str
    script: Script
    topics: dict[Topic, list[str]] = Field(min_length=1)
    flags: dict[str, list[str]] = Field(default_factory=dict)
    colors: dict[str, list[str]] = Field(default_factory=dict)
    countries: dict[str, list[str]] = Field(default_factory=dict)
    ignored_country_names: list[str] = Field(default_factory=list)
    measures: dict[str, str]
    body_units: list[str] = Field(default_factory=list)
    stopwords: list[str] = Field(default_factory=list)
    backchannels: list[str] = Field(min_length=1)
    # Said over the co-host's reply, these stop it at once ("stop", "espera", "ちょっと待って").
    stop_commands: list[str] = Field(default_factory=list)
    # Words a sentence does not end on ("and", "de", "が"): a pause after one is mid-sentence,
    # whatever the end-of-turn model hears (semantic_vad's second signal, the transcript).
    dangling_words: list[str] = Field(default_factory=list)
    markers: list[str] = Field(default_factory=list)  # words only it uses (see language.py)
    romanized_markers: list[str] = Field(default_factory=list)  # Arabizi "si3r", "kam", "abi"
    # Payment methods viewers ask about by name ("Apple Pay", "Cash App", "PayNow"): one the
    # market does not take is answered with a no and the ways it does take. English's list
    # is tried in every language (brand names are written the same way).
    payment_methods: list[str] = Field(default_factory=list)
    replies: dict[str, str]
    intent: Intent
    claims: Claims

    @field_validator("topics")
    @classmethod
    def _answerable(cls, v: dict[Topic, list[str]]) -> dict[Topic, list[str]]:
        bad = [t.value for t in v if t in (Topic.FAQ, Topic.UNKNOWN)]
        if bad:
            raise ValueError(f"topics {bad} come from the market data, not from phrases")
        return v

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(FLAGS))
        if unknown:
            raise ValueError(f"unknown flags {unknown}; known: {', '.join(FLAGS)}")
        return v

    @field_validator("countries")
    @classmethod
    def _iso(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = [c for c in v if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"countries must be ISO 3166 alpha-2 codes: {bad}")
        return v

    @field_validator("measures")
    @classmethod
    def _measures(cls, v: dict[str, str]) -> dict[str, str]:
        missing = sorted(set(MEASURES) - set(v))
        extra = sorted(set(v) - set(MEASURES))
        if missing or extra:
            raise ValueError(f"measures: missing {missing}, unknown {extra}")
        return v

    @field_validator("replies")
    @classmethod
    def _replies(cls, v: dict[str, str]) -> dict[str, str]:
        problems = [f"missing {k}" for k in REPLY_KEYS if k not in v]
        problems += [f"unknown key {k}" for k in v if k not in REPLY_KEYS]
        for key, text in v.items():
            want = set(REPLY_KEYS.get(key, ()))
            got = set(_PLACEHOLDER.findall(text))
            if key in REPLY_KEYS and got != want:
                problems.append(f"{key}: placeholders {sorted(got)}, expected {sorted(want)}")
        if problems:
            raise ValueError("; ".join(problems))
        return v
