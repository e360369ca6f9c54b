"""Market loading: the shipped sample markets are complete and valid, and a broken market is
refused with problems that name the file, the field and what is wrong, while the others keep
serving. Broken markets are real copies of prompts/us edited in tmp_path."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from assistant.errors import MarketError, MarketProblem
from assistant.knowledge.market import SUPPORTED_LANGUAGES, Market, load_market, load_markets

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SHIPPED = sorted(p.name for p in PROMPTS.iterdir() if p.is_dir() and not p.name.startswith("."))
# The live shows these markets run around Black Friday must all have a campaign on.
CAMPAIGN_DAYS = [dt.date(2026, 11, 25) + dt.timedelta(days=i) for i in range(11)]
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW", "VND"}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Market]:
    markets, errors = load_markets(PROMPTS)
    assert errors == [], [str(e) for e in errors]
    return markets


# ---------------------------------------------------------------------------------------------
# The shipped markets


def test_all_shipped_markets_load(shipped: dict[str, Market]) -> None:
    assert {"us", "br", "jp", "eu", "sea"} <= set(shipped)
    assert sorted(shipped) == SHIPPED


def test_shipped_markets_cover_many_languages(shipped: dict[str, Market]) -> None:
    covered = {lang for m in shipped.values() for lang in m.languages}
    assert covered <= set(SUPPORTED_LANGUAGES)
    assert len(covered) >= 8, sorted(covered)


def test_at_least_two_markets_run_an_invite_relay(shipped: dict[str, Market]) -> None:
    relay = [m.id for m in shipped.values() if any(c.kind == "invite_relay" for c in m.campaigns)]
    assert len(relay) >= 2, relay
    for m in shipped.values():
        for c in m.campaigns:
            if c.kind == "invite_relay":
                assert c.rules and c.reward and c.how_to_join, (m.id, c.id)


@pytest.mark.parametrize("market_id", SHIPPED)
def test_market_has_a_campaign_on_every_show_day(
    shipped: dict[str, Market], market_id: str
) -> None:
    m = shipped[market_id]
    missing = [d for d in CAMPAIGN_DAYS if not m.active_campaigns(d)]
    assert missing == []


@pytest.mark.parametrize("market_id", SHIPPED)
def test_catalog_covers_what_viewers_ask(shipped: dict[str, Market], market_id: str) -> None:
    m = shipped[market_id]
    assert len(m.products) >= 3
    apparel = [p for p in m.products if p.sizes and p.size_chart and p.colors]
    assert apparel, "needs a sized product with a size chart and colors"
    assert all(set(p.size_chart) == set(p.sizes) for p in apparel)
    assert any(not p.sizes for p in m.products), "needs a product without sizes"
    assert any(p.sale_price is not None for p in m.products), "needs a product on sale"
    assert any(p.ships_to for p in m.products), "needs a product with its own ships_to"
    assert any(p.delivery_days for p in m.products), "needs a product with its own delivery_days"
    zero = [v for p in m.products for v in p.variants if v.stock == 0]
    assert zero, "needs sold-out variants"
    assert all(p.total_stock > 0 for p in m.products)
    assert len(m.faq) >= 2


@pytest.mark.parametrize("market_id", SHIPPED)
def test_viewer_facing_text_exists_in_every_market_language(
    shipped: dict[str, Market], market_id: str
) -> None:
    # The loader only insists on the default language for names, aliases and selling points;
    # the shipped samples are held to every language, so matching works for every viewer.
    m = shipped[market_id]
    langs = set(m.languages)
    for p in m.products:
        for field in ("name", "aliases", "selling_points"):
            assert set(getattr(p, field)) == langs, (p.sku, field)
    for e in m.faq:
        assert set(e.questions) == langs, e.id
    for c in m.campaigns:
        assert set(c.keywords) == langs, c.id


@pytest.mark.parametrize("market_id", SHIPPED)
def test_prices_and_prompt_fit_the_market(shipped: dict[str, Market], market_id: str) -> None:
    m = shipped[market_id]
    if m.currency in ZERO_DECIMAL_CURRENCIES:
        amounts = [p.price for p in m.products] + [
            p.sale_price for p in m.products if p.sale_price is not None
        ]
        amounts += [d.fee for d in m.policies.shipping.destinations]
        assert all(a == a.to_integral_value() for a in amounts), amounts
    assert m.host_name in m.system_prompt
    assert "FACTS" in m.system_prompt


# ---------------------------------------------------------------------------------------------
# Broken markets


@pytest.fixture
def us_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "us"
    shutil.copytree(PROMPTS / "us", folder)
    return folder


def edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    # Fails loudly if prompts/us changes, instead of silently testing an unbroken copy.
    assert text.count(old) == 1, f"{old!r} not found exactly once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(folder: Path) -> list[MarketProblem]:
    with pytest.raises(MarketError) as info:
        load_market(folder)
    assert info.value.market == folder.name
    assert info.value.problems, "a refused market must say why"
    return info.value.problems


def line_of(folder: Path, file: str, needle: str) -> int:
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


BREAKAGES = [
    # id, file, old text, new text, expected field, expected words in the message
    ("wrong-type", "products.yaml", "price: 59.00", 'price: "cheap"', "[0].price",
     ["valid decimal"]),
    ("sale-not-below-price", "products.yaml", "sale_price: 44.00", "sale_price: 59.00", "[0]",
     ["sale_price 59", "below price 59"]),
    ("variant-size-unknown", "products.yaml", "{size: S, color: oatmeal,",
     "{size: XXL, color: oatmeal,", "[0]", ["variants[0].size 'XXL'", "sizes"]),
    ("faq-answer-language-missing", "faq.yaml",
     "    es: Las botas y las botellas tienen 1 año de garantía contra defectos de fabricación.\n",
     "", "[1].answer", ["missing text", "'es'"]),
    ("ships-to-not-a-destination", "products.yaml", "ships_to: [US, CA]\n",
     "ships_to: [US, GB]\n", "[1].ships_to", ["GB", "destinations"]),
    ("unknown-key", "products.yaml", "  material:\n    en: 80%", "  materail:\n    en: 80%",
     "[0].materail", ["not permitted"]),
    ("id-not-folder", "market.yaml", "id: us\n", "id: usa\n", "id",
     ["'usa'", "folder name 'us'"]),
    ("duplicate-sku", "products.yaml", "sku: US-BOOT-02", "sku: us-hood-01", "[1].sku",
     ["duplicate SKU", "us-hood-01"]),
    ("campaign-text-language-missing", "market.yaml",
     "      es: Toca \"Invitar\" debajo del video, copia tu enlace y envíalo a tus amigos.\n",
     "", "campaigns[0].how_to_join", ["missing text", "'es'"]),
    ("negative-stock", "products.yaml", "{color: navy, stock: 48}", "{color: navy, stock: -1}",
     "[2].variants[0].stock", ["greater than or equal to 0"]),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "words"),
    [b[1:] for b in BREAKAGES],
    ids=[b[0] for b in BREAKAGES],
)
def test_broken_field_is_reported_with_file_field_and_reason(
    us_copy: Path, file: str, old: str, new: str, field: str, words: list[str]
) -> None:
    edit(us_copy, file, old, new)
    problems = problems_of(us_copy)
    assert [(p.market, p.file, p.field) for p in problems] == [("us", file, field)], problems
    for word in words:
        assert word in problems[0].message
    assert f"{file}: {field}: " in str(problems[0])


def test_invalid_yaml_reports_line_and_column(us_copy: Path) -> None:
    line = line_of(us_copy, "market.yaml", "currency: USD")
    edit(us_copy, "market.yaml", "currency: USD", "currency: [USD")
    problems = problems_of(us_copy)
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.field) == ("market.yaml", "")
    assert p.message.startswith("invalid YAML: ")
    # The flow sequence opened on `line` is only found unclosed on the next one.
    assert f"line {line + 1}, column " in p.message


def test_impossible_date_is_a_problem_not_a_crash(us_copy: Path) -> None:
    line = line_of(us_copy, "market.yaml", "starts: 2026-11-20")
    edit(us_copy, "market.yaml", "starts: 2026-11-20", "starts: 2026-13-20")
    [p] = problems_of(us_copy)
    assert p.file == "market.yaml"
    assert f"line {line}, column 13" in p.message
    assert "2026-13-20" in p.message


def test_repeated_key_is_reported_not_silently_overridden(us_copy: Path) -> None:
    edit(us_copy, "products.yaml", "  price: 34.00\n", "  price: 34.00\n  price: 3.40\n")
    [p] = problems_of(us_copy)
    assert p.file == "products.yaml"
    assert "duplicate key 'price'" in p.message
    assert f"line {line_of(us_copy, 'products.yaml', 'price: 3.40')}," in p.message


def test_missing_system_prompt(us_copy: Path) -> None:
    (us_copy / "system_prompt.md").unlink()
    assert problems_of(us_copy) == [MarketProblem("us", "system_prompt.md", "", "file is missing")]


def test_empty_market_file(us_copy: Path) -> None:
    (us_copy / "market.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    assert problems_of(us_copy) == [MarketProblem("us", "market.yaml", "", "file is empty")]


def test_every_problem_is_reported_at_once_under_the_folder_name(us_copy: Path) -> None:
    edit(us_copy, "market.yaml", "id: us\n", "id: usa\n")
    edit(us_copy, "products.yaml", "ships_to: [US, CA]\n", "ships_to: [US, GB]\n")
    edit(us_copy, "products.yaml", "price: 59.00", 'price: "cheap"')
    (us_copy / "system_prompt.md").unlink()
    problems = problems_of(us_copy)
    assert {(p.file, p.field) for p in problems} == {
        ("market.yaml", "id"),
        ("products.yaml", "[1].ships_to"),
        ("products.yaml", "[0].price"),
        ("system_prompt.md", ""),
    }
    assert {p.market for p in problems} == {"us"}


def test_one_broken_market_does_not_take_the_others_down(tmp_path: Path) -> None:
    shutil.copytree(PROMPTS / "us", tmp_path / "us")
    shutil.copytree(PROMPTS / "jp", tmp_path / "jp")
    edit(tmp_path / "jp", "products.yaml", "price: 6980", "price: [6980")
    markets, errors = load_markets(tmp_path)
    assert list(markets) == ["us"]
    assert markets["us"].product("US-HOOD-01") is not None
    assert len(errors) == 1
    assert errors[0].market == "jp"
    assert [(p.file, p.field) for p in errors[0].problems] == [("products.yaml", "")]
    assert "line " in errors[0].problems[0].message


def test_a_bad_date_in_one_market_does_not_crash_loading_the_rest(tmp_path: Path) -> None:
    shutil.copytree(PROMPTS / "us", tmp_path / "us")
    shutil.copytree(PROMPTS / "eu", tmp_path / "eu")
    edit(tmp_path / "eu", "market.yaml", "ends: 2026-12-10", "ends: 2026-12-32")
    markets, errors = load_markets(tmp_path)
    assert list(markets) == ["us"]
    assert [e.market for e in errors] == ["eu"]


def test_missing_prompts_directory_is_an_error_not_an_exception(tmp_path: Path) -> None:
    markets, errors = load_markets(tmp_path / "nope")
    assert markets == {}
    assert len(errors) == 1
