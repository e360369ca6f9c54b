"""Operator writes keep a hand-written YAML file as it was: a one-field change is a one-line
diff, comments, key order, quoting and number formats stay, and whatever is written parses back
to exactly the data the operator sent (on every shipped market file)."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import pytest
import yaml

from assistant.operator.yamlio import dump_over, plain

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
FILES = sorted(PROMPTS.glob("*/*.yaml"))


def changed_lines(a: str, b: str) -> list[str]:
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="",
                                                  n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def load(text: str):
    return plain(yaml.safe_load(text))


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_unchanged_data_writes_the_same_text(path):
    text = path.read_text()
    assert dump_over(text, load(text)) == text


def test_one_price_is_one_line_and_keeps_its_format():
    text = (PROMPTS / "us" / "products.yaml").read_text()
    data = load(text)
    data[1]["price"] = 117
    out = dump_over(text, data)
    assert changed_lines(text, out) == ["-  price: 129.00", "+  price: 117.00"]
    assert load(out) == data


def test_edits_across_a_file_touch_only_their_lines():
    text = (PROMPTS / "br" / "products.yaml").read_text()
    data = load(text)
    data[0]["variants"][0]["stock"] += 1
    data[0]["variants"].append({"size": "P", "color": "olive", "stock": 1})
    data[-1]["selling_points"]["pt"][0] = "Novo texto"
    out = dump_over(text, data)
    assert len(changed_lines(text, out)) == 5  # 2 + 1 + 2
    assert load(out) == data
    assert text.splitlines()[0] == out.splitlines()[0]  # the leading comment


def test_new_and_removed_products_and_keys():
    text = (PROMPTS / "us" / "products.yaml").read_text()
    data = load(text)
    removed = data.pop(1)
    data.append({"sku": "US-CAP-04", "name": {"en": "Cap"}, "price": 19.5,
                 "colors": [{"id": "red", "name": {"en": "red", "es": "rojo"}}]})
    data[0].pop("material")
    out = dump_over(text, data)
    assert load(out) == data
    minus = [line for line in changed_lines(text, out) if line.startswith("-")]
    assert any(removed["sku"] in line for line in minus)
    assert all("US-HOOD-01" not in line for line in changed_lines(text, out))


def test_market_policy_change_keeps_comments():
    text = (PROMPTS / "us" / "market.yaml").read_text()
    data = load(text)
    data["policies"]["returns"]["window_days"] = 45
    data["handoff_threshold"] = 0.7
    out = dump_over(text, data)
    assert changed_lines(text, out) == ["-handoff_threshold: 0.6", "+handoff_threshold: 0.7",
                                        "-    window_days: 30", "+    window_days: 45"]
    assert [c for c in text.splitlines() if "#" in c] == [c for c in out.splitlines()
                                                          if "#" in c]


def test_unparseable_or_missing_old_text_is_replaced_whole():
    data = [{"id": "a", "questions": {"en": ["q?"]}, "answer": {"en": "a."}}]
    for old in (None, "key: [unclosed", ""):
        assert load(dump_over(old, copy.deepcopy(data))) == data
