"""The market data model and its loader.

A market is one folder under prompts/ (see README "Market data"):

    prompts/<id>/market.yaml      languages, currency, host, tone, policies, campaigns
    prompts/<id>/system_prompt.md the LLM system prompt (operator-editable Markdown)
    prompts/<id>/products.yaml    the catalog, with each product's selling points
    prompts/<id>/faq.yaml         FAQ entries with answers per language

The files are the source of truth. Loading validates everything and reports every problem with
the file, the field and what is wrong; a broken market is refused while the others keep serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from assistant import languages
from assistant.errors import MarketError, MarketProblem

# Languages the service can detect, answer in and template for: one per language pack.
SUPPORTED_LANGUAGES = languages.codes()

LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Localized = dict[LangCode, str]
LocalizedList = dict[LangCode, list[str]]


class _Strict(BaseModel):
    # Unknown keys are typos in hand-edited YAML: refuse them so the operator hears about it.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DayRange(_Strict):
    min: int = Field(ge=0, le=120)
    max: int = Field(ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.max < self.min:
            raise ValueError("max must be >= min")
        return self


class ShippingDestination(_Strict):
    country: CountryCode
    fee: Money
    free_over: Money | None = None
    days: DayRange
    # Names viewers use for this destination beyond the country's own names and its cities
    # (which come from CLDR, ISO 3166-2 and GeoNames): {lang: ["Emirates", "الإمارات"]}.
    aliases: LocalizedList = Field(default_factory=dict)
    # Payment rules of this destination; unset = the market's payment policy.
    cash_on_delivery: bool | None = None
    installments: bool | None = None


class ShippingPolicy(_Strict):
    destinations: list[ShippingDestination] = Field(min_length=1)
    notes: Localized = Field(default_factory=dict)

    def destination(self, country: str) -> ShippingDestination | None:
        return next((d for d in self.destinations if d.country == country), None)


class ReturnsPolicy(_Strict):
    window_days: int = Field(ge=0, le=365)
    free_returns: bool = False
    # Products that cannot be returned: by SKU, or by their `category` (e.g. earrings).
    excluded_skus: list[str] = Field(default_factory=list)
    excluded_categories: list[str] = Field(default_factory=list)
    notes: Localized = Field(default_factory=dict)


class PaymentPolicy(_Strict):
    methods: list[str] = Field(min_length=1)
    # A method's name per language when it differs ("Cash on delivery" -> {ja: 代金引換}).
    method_names: dict[str, Localized] = Field(default_factory=dict)
    installments: Localized = Field(default_factory=dict)
    cash_on_delivery: bool = False  # the default; a destination may say otherwise
    cod_max_order: Money | None = None  # cash on delivery only up to this order total
    notes: Localized = Field(default_factory=dict)

    @model_validator(mode="after")
    def _named_methods(self) -> PaymentPolicy:
        unknown = sorted(set(self.method_names) - set(self.methods))
        if unknown:
            raise ValueError(f"method_names {unknown} are not in methods {self.methods}")
        return self


class Policies(_Strict):
    shipping: ShippingPolicy
    returns: ReturnsPolicy
    payment: PaymentPolicy


# The day campaigns are judged on; None: the real calendar. Pinned at start-up from
# ASSISTANT_MARKET_DATE (Settings.market_date): rehearse a campaign before it starts, or run
# the tests on the demo data's dates whatever today is.
_pinned_day: dt.date | None = None


def pin_market_date(day: dt.date | None) -> None:
    global _pinned_day
    _pinned_day = day


def market_today() -> dt.date:
    return _pinned_day or dt.date.today()


class Campaign(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: str = "promotion"  # e.g. invite_relay, flash_sale, bundle
    name: Localized
    starts: dt.date
    ends: dt.date
    description: Localized
    rules: LocalizedList = Field(default_factory=dict)
    reward: Localized = Field(default_factory=dict)
    how_to_join: Localized = Field(default_factory=dict)
    keywords: LocalizedList = Field(default_factory=dict)
    # Conditions an answer states exactly (rules stay for the wording around them).
    min_order: Money | None = None  # e.g. an invited friend counts from this order total
    window_hours: int | None = Field(None, ge=1)  # e.g. ... within this many hours of joining
    max_per_account: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _dates(self) -> Campaign:
        if self.ends < self.starts:
            raise ValueError("ends must not be before starts")
        return self

    def active_on(self, day: dt.date) -> bool:
        return self.starts <= day <= self.ends


class Color(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Localized


class Variant(_Strict):
    size: str | None = None
    color: str | None = None
    stock: int = Field(ge=0)
    price: Money | None = None  # when this variant costs other than the product's price


class Product(_Strict):
    sku: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,40}$")
    name: Localized
    aliases: LocalizedList = Field(default_factory=dict)
    price: Money
    sale_price: Money | None = None
    sizes: list[str] = Field(default_factory=list)
    size_chart: dict[str, dict[str, str | int | float]] = Field(default_factory=dict)
    size_advice: Localized = Field(default_factory=dict)
    colors: list[Color] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    material: Localized = Field(default_factory=dict)
    ships_to: list[CountryCode] = Field(default_factory=list)  # empty = every market destination
    delivery_days: DayRange | None = None  # overrides the destination's days when set
    selling_points: LocalizedList = Field(default_factory=dict)  # the operator's product prompt
    category: str | None = None  # e.g. earrings; returns may exclude a category
    warranty: Localized = Field(default_factory=dict)
    care: Localized = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        if self.sale_price is not None and self.sale_price >= self.price:
            raise ValueError(f"sale_price {self.sale_price} must be below price {self.price}")
        color_ids = {c.id for c in self.colors}
        for i, v in enumerate(self.variants):
            if v.size is not None and self.sizes and v.size not in self.sizes:
                raise ValueError(f"variants[{i}].size {v.size!r} is not one of sizes {self.sizes}")
            if v.color is not None and color_ids and v.color not in color_ids:
                raise ValueError(
                    f"variants[{i}].color {v.color!r} is not one of colors {sorted(color_ids)}"
                )
        for size in self.size_chart:
            if self.sizes and size not in self.sizes:
                raise ValueError(f"size_chart has size {size!r} that is not in sizes")
        return self

    @property
    def current_price(self) -> Decimal:
        return self.sale_price if self.sale_price is not None else self.price

    @property
    def total_stock(self) -> int:
        return sum(v.stock for v in self.variants)

    def color(self, color_id: str) -> Color | None:
        return next((c for c in self.colors if c.id == color_id), None)

    def stock_for(self, size: str | None = None, color: str | None = None) -> int:
        return sum(
            v.stock
            for v in self.variants
            if (size is None or v.size == size) and (color is None or v.color == color)
        )


class FaqEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    questions: LocalizedList
    answer: Localized


class MarketFile(_Strict):
    """The shape of market.yaml."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,30}$")
    name: str = Field(min_length=1)
    languages: list[LangCode] = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    country: CountryCode
    host_name: str = Field(min_length=1)
    host_names: Localized = Field(default_factory=dict)  # as each language writes it (ミア)
    host_language: LangCode | None = None  # host tasks' summaries; default: first language
    tone: str = ""
    timezone: str = "UTC"
    handoff_threshold: float = Field(default=0.6, gt=0, le=1)
    policies: Policies
    campaigns: list[Campaign] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, langs: list[str]) -> list[str]:
        unknown = [lang for lang in langs if lang not in SUPPORTED_LANGUAGES]
        if unknown:
            raise ValueError(
                f"unsupported language(s) {unknown}; supported: {', '.join(SUPPORTED_LANGUAGES)}"
            )
        if len(set(langs)) != len(langs):
            raise ValueError("languages must not repeat")
        return langs

    @field_validator("host_language")
    @classmethod
    def _known_host_language(cls, lang: str | None) -> str | None:
        if lang is not None and lang not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}; supported: "
                             f"{', '.join(SUPPORTED_LANGUAGES)}")
        return lang


class Market(_Strict):
    """A validated market: everything the answer engines and the LLM prompt draw facts from."""

    id: str
    name: str
    languages: list[str]
    currency: str
    country: str
    host_name: str
    host_names: dict[str, str] = Field(default_factory=dict)
    host_language: str | None = None
    tone: str
    timezone: str
    handoff_threshold: float
    system_prompt: str
    policies: Policies
    campaigns: list[Campaign]
    products: list[Product]
    faq: list[FaqEntry]
    source_dir: str = ""

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def host_lang(self) -> str:
        """The language the host reads task summaries in."""
        return self.host_language or self.languages[0]

    def host(self, lang: str) -> str:
        """The host's name as `lang` writes it (ミア, 미아), else as written."""
        return self.host_names.get(lang) or self.host_name

    def returnable(self, p: Product) -> bool:
        r = self.policies.returns
        return p.sku not in r.excluded_skus and (
            p.category is None or p.category not in r.excluded_categories)

    def method_name(self, method: str, lang: str) -> str:
        return self.policies.payment.method_names.get(method, {}).get(lang) or method

    def product(self, sku: str) -> Product | None:
        wanted = sku.upper()
        return next((p for p in self.products if p.sku.upper() == wanted), None)

    def active_campaigns(self, day: dt.date | None = None) -> list[Campaign]:
        day = day or market_today()
        return [c for c in self.campaigns if c.active_on(day)]

    def text(self, localized: dict[str, str], lang: str) -> str:
        """The text in `lang`, else the market's default language, else any."""
        if lang in localized:
            return localized[lang]
        if self.default_language in localized:
            return localized[self.default_language]
        return next(iter(localized.values()), "")


# ---------------------------------------------------------------------------------------------
# Loading

MARKET_FILE = "market.yaml"
SYSTEM_PROMPT_FILE = "system_prompt.md"
PRODUCTS_FILE = "products.yaml"
FAQ_FILE = "faq.yaml"


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _problems_from(market: str, file: str, err: ValidationError, prefix: str = "") -> list[
    MarketProblem
]:
    out = []
    for e in err.errors():
        field = _loc(tuple(e["loc"]))
        if prefix:
            field = f"{prefix}{'' if field.startswith('[') else '.'}{field}" if field else prefix
        msg = e["msg"].removeprefix("Value error, ")
        out.append(MarketProblem(market, file, field, msg))
    return out


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that reports, with a line number, what plain safe_load gets wrong for
    hand-edited files: a repeated key (silently last-wins) and an impossible scalar such as
    the date 2026-13-01 (a bare ValueError that would escape the loader)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {node.value!r}: {e}", node.start_mark
            ) from e

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader itself reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path, market: str, problems: list[MarketProblem]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except FileNotFoundError:
        problems.append(MarketProblem(market, path.name, "", "file is missing"))
    except UnicodeDecodeError as e:
        problems.append(MarketProblem(market, path.name, "", f"not UTF-8 text: {e.reason}"))
    except OSError as e:
        problems.append(MarketProblem(market, path.name, "", f"cannot read file: {e.strerror}"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        problems.append(MarketProblem(market, path.name, "", f"invalid YAML: {where}{problem}"))
    return None


def _check_localized(
    market: str, file: str, field: str, value: dict[str, Any], langs: list[str], *, all_: bool
) -> list[MarketProblem]:
    """Localized text must be in the market's languages; `all_` requires every one of them."""
    out = []
    extra = sorted(set(value) - set(langs))
    if extra:
        out.append(MarketProblem(market, file, field, f"language(s) {extra} not in {langs}"))
    wanted = langs if all_ else langs[:1]
    missing = [lang for lang in wanted if lang not in value or not value[lang]]
    if missing:
        out.append(MarketProblem(market, file, field, f"missing text for language(s) {missing}"))
    return out


def _cross_checks(
    market: str, mf: MarketFile, products: dict[int, Product], faq: dict[int, FaqEntry]
) -> list[MarketProblem]:
    # Problems are named after the folder, like every other problem, even when mf.id differs.
    m, langs = market, mf.languages
    out: list[MarketProblem] = []
    pol = mf.policies
    for name, loc, all_ in (
        ("policies.shipping.notes", pol.shipping.notes, True),
        ("policies.returns.notes", pol.returns.notes, True),
        ("policies.payment.notes", pol.payment.notes, True),
        ("policies.payment.installments", pol.payment.installments, True),
    ):
        if loc:
            out += _check_localized(m, MARKET_FILE, name, loc, langs, all_=all_)
    for i, c in enumerate(mf.campaigns):
        for name in ("name", "description", "rules", "reward", "how_to_join"):
            loc = getattr(c, name)
            if loc or name in ("name", "description"):
                out += _check_localized(
                    m, MARKET_FILE, f"campaigns[{i}].{name}", loc, langs, all_=True
                )
    destinations = {d.country for d in pol.shipping.destinations}
    # Names per language: only the market's languages (any subset: the rest use the name).
    named = [(f"policies.payment.method_names.{k}", v) for k, v in pol.payment.method_names.items()]
    for field, loc in [("host_names", mf.host_names), *named]:
        extra = sorted(set(loc) - set(langs))
        if extra:
            out.append(MarketProblem(m, MARKET_FILE, field, f"language(s) {extra} not in {langs}"))
    skus = {p.sku.upper() for p in products.values()}
    for sku in pol.returns.excluded_skus:
        if sku.upper() not in skus:
            out.append(MarketProblem(m, MARKET_FILE, "policies.returns.excluded_skus",
                                     f"{sku!r} is not a product of this market"))
    categories = {p.category for p in products.values() if p.category}
    for cat in pol.returns.excluded_categories:
        if cat not in categories:
            out.append(MarketProblem(m, MARKET_FILE, "policies.returns.excluded_categories",
                                     f"no product has category {cat!r}"))
    seen: set[str] = set()
    for i, p in products.items():
        f = f"[{i}]"
        if p.sku.upper() in seen:
            out.append(MarketProblem(m, PRODUCTS_FILE, f"{f}.sku", f"duplicate SKU {p.sku!r}"))
        seen.add(p.sku.upper())
        out += _check_localized(m, PRODUCTS_FILE, f"{f}.name", p.name, langs, all_=False)
        for name in ("material", "size_advice", "warranty", "care"):
            loc = getattr(p, name)
            if loc:
                out += _check_localized(m, PRODUCTS_FILE, f"{f}.{name}", loc, langs, all_=True)
        for name in ("aliases", "selling_points"):
            loc = getattr(p, name)
            if loc:
                out += _check_localized(m, PRODUCTS_FILE, f"{f}.{name}", loc, langs, all_=False)
        for j, c in enumerate(p.colors):
            out += _check_localized(
                m, PRODUCTS_FILE, f"{f}.colors[{j}].name", c.name, langs, all_=True
            )
        bad = sorted(set(p.ships_to) - destinations)
        if bad:
            out.append(
                MarketProblem(
                    m, PRODUCTS_FILE, f"{f}.ships_to",
                    f"{bad} not among policies.shipping.destinations {sorted(destinations)}",
                )
            )
    ids: set[str] = set()
    for i, e in faq.items():
        if e.id in ids:
            out.append(MarketProblem(m, FAQ_FILE, f"[{i}].id", f"duplicate FAQ id {e.id!r}"))
        ids.add(e.id)
        out += _check_localized(m, FAQ_FILE, f"[{i}].answer", e.answer, langs, all_=True)
        out += _check_localized(m, FAQ_FILE, f"[{i}].questions", e.questions, langs, all_=False)
    return out


def _validate_list(
    market: str, file: str, raw: Any, model: type[BaseModel], problems: list[MarketProblem]
) -> dict[int, Any]:
    """The valid entries keyed by their position in the file, so that later problems point at
    the right entry even when an earlier one was invalid and left out."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        problems.append(MarketProblem(market, file, "", "must be a YAML list of entries"))
        return {}
    items = {}
    for i, item in enumerate(raw):
        try:
            items[i] = model.model_validate(item)
        except ValidationError as e:
            problems.extend(_problems_from(market, file, e, prefix=f"[{i}]"))
    return items


def load_market(folder: Path) -> Market:
    """Load and validate one market folder. Raises MarketError listing every problem found."""
    market_id = folder.name
    problems: list[MarketProblem] = []
    raw = _read_yaml(folder / MARKET_FILE, market_id, problems)
    if raw is None and not problems:
        problems.append(MarketProblem(market_id, MARKET_FILE, "", "file is empty"))
    mf: MarketFile | None = None
    if raw is not None:
        if not isinstance(raw, dict):
            problems.append(MarketProblem(market_id, MARKET_FILE, "", "must be a YAML mapping"))
        else:
            try:
                mf = MarketFile.model_validate(raw)
            except ValidationError as e:
                problems.extend(_problems_from(market_id, MARKET_FILE, e))
    if mf is not None and mf.id != market_id:
        problems.append(
            MarketProblem(
                market_id, MARKET_FILE, "id", f"{mf.id!r} must equal the folder name {market_id!r}"
            )
        )
    system_prompt = ""
    try:
        system_prompt = (folder / SYSTEM_PROMPT_FILE).read_text(encoding="utf-8").strip()
        if not system_prompt:
            problems.append(MarketProblem(market_id, SYSTEM_PROMPT_FILE, "", "file is empty"))
    except FileNotFoundError:
        problems.append(MarketProblem(market_id, SYSTEM_PROMPT_FILE, "", "file is missing"))
    except UnicodeDecodeError as e:
        problems.append(MarketProblem(market_id, SYSTEM_PROMPT_FILE, "", f"not UTF-8: {e.reason}"))
    products = _validate_list(
        market_id, PRODUCTS_FILE, _read_yaml(folder / PRODUCTS_FILE, market_id, problems),
        Product, problems,
    )
    faq_path = folder / FAQ_FILE
    faq = (
        _validate_list(
            market_id, FAQ_FILE, _read_yaml(faq_path, market_id, problems), FaqEntry, problems
        )
        if faq_path.exists()
        else {}
    )
    if mf is not None:
        problems += _cross_checks(market_id, mf, products, faq)
    if problems or mf is None:
        raise MarketError(market_id, problems)
    return Market(
        **mf.model_dump(exclude={"policies", "campaigns"}),
        policies=mf.policies,
        campaigns=mf.campaigns,
        system_prompt=system_prompt,
        products=list(products.values()),
        faq=list(faq.values()),
        source_dir=str(folder),
    )


def load_markets(root: Path) -> tuple[dict[str, Market], list[MarketError]]:
    """Load every market folder under `root`. Broken markets are returned as errors, not raised,
    so that one bad file never takes the other markets down."""
    markets: dict[str, Market] = {}
    errors: list[MarketError] = []
    if not root.is_dir():
        return markets, [
            MarketError("*", [MarketProblem("*", str(root), "", "prompts directory not found")])
        ]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            markets[folder.name] = load_market(folder)
        except MarketError as e:
            errors.append(e)
    return markets, errors
