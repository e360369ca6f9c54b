"""Writing an operator's edit into a hand-written YAML file without rewriting the file: comments,
key order, quoting, number formats (129.00 stays two decimals) and layout are kept, so changing
one sale price is a one-line diff (plain `yaml.safe_dump` made it a 1,100-line one).

How: ruamel.yaml loads the old text round-trip; the new JSON-shaped value is merged into that
tree (items of products and FAQ lists matched by `sku` / `id`, unchanged values left as the
very nodes the file had). ruamel emits one indentation style per file, while hand-written files
often mix them (top-level `- sku:` at column 0, nested lists indented), so the emitted text is
not written as such: the line changes between ruamel's rendering of the old tree and of the
merged tree are carried onto the original lines, indentation adjusted. The result is parsed
again and must equal the new value; if it cannot be carried over exactly, ruamel's whole
rendering is written (still comments and order, only the layout normalized)."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import ScalarString

_LIST_KEYS = ("sku", "id")


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line someone wrote
    y.indent(mapping=2, sequence=2, offset=0)
    return y


def plain(value: Any) -> Any:
    """JSON-shaped data (dates as ISO strings, ruamel's scalar types as plain ones)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    return plain(old) == new


def _float_like(old: ScalarFloat, value: float) -> Any:
    decimals = max(old._width - old._prec - 1, 0) if old._prec is not None else 0
    text = f"{value:.{decimals}f}" if decimals else repr(float(value))
    if float(text) != float(value):  # more precision than the old format shows
        text = repr(float(value))
    if "e" in text or "." not in text:
        return float(value)
    return ScalarFloat(float(value), width=len(text), prec=text.index("."), m_sign=False,
                       m_lead0=0)


def _scalar_like(old: Any, new: Any) -> Any:
    number = isinstance(new, int | float) and not isinstance(new, bool)
    if number and isinstance(old, ScalarFloat):
        return _float_like(old, new)
    if number and isinstance(old, float) and float(new).is_integer():
        return float(new)  # a price written 59.0 stays a float
    if isinstance(new, str) and isinstance(old, dt.date):
        try:
            cls = dt.datetime if isinstance(old, dt.datetime) else dt.date
            return cls.fromisoformat(new)
        except ValueError:
            return new
    if isinstance(new, str) and isinstance(old, ScalarString):
        return type(old)(new)  # keep the quoting style
    return _fresh(new)


def _fresh(value: Any, like: Any = None) -> Any:
    """A new node; a new list item takes the flow style of its siblings ({a: 1, b: 2})."""
    if isinstance(value, dict):
        m = CommentedMap((k, _fresh(v)) for k, v in value.items())
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        s = CommentedSeq(_fresh(v) for v in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            s.fa.set_flow_style()
        return s
    return value


def _list_key(old: CommentedSeq, new: list) -> str | None:
    for key in _LIST_KEYS:
        if all(isinstance(x, dict) and key in x for x in [*old, *new]) and old and new:
            return key
    return None


def merge(old: Any, new: Any) -> Any:
    """`new` (JSON-shaped) written over the round-trip node `old`, keeping what is unchanged."""
    if _same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for k in [k for k in old if k not in new]:
            del old[k]
        # A new number takes the format of the map's other decimals (sale_price beside price).
        like = next((v for v in old.values() if isinstance(v, ScalarFloat)), None)
        for k, v in new.items():
            if k in old:
                old[k] = merge(old[k], v)
            elif like is not None and isinstance(v, int | float) and not isinstance(v, bool):
                old[k] = _float_like(like, v)
            else:
                old[k] = _fresh(v)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        key = _list_key(old, new)
        sibling = old[0] if old else None
        if key:
            by_key = {x[key]: x for x in old}
            items = [merge(by_key[n[key]], n) if n[key] in by_key else _fresh(n, sibling)
                     for n in new]
        else:
            items = [merge(old[i], n) if i < len(old) else _fresh(n, sibling)
                     for i, n in enumerate(new)]
        for i, item in enumerate(items):
            if i < len(old):
                if old[i] is not item:
                    old[i] = item
            else:
                old.append(item)
        del old[len(items):]
        return old
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return _fresh(new)
    return _scalar_like(old, new)


def _render(y: YAML, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_item(line: str) -> bool:
    return line.lstrip(" ").startswith("- ")


def _delta_for(line: str, ref_b: int, ref_o: int, b: list[str], orig: list[str],
               align: dict[int, int]) -> int:
    """How much deeper the original indents a rendered line like this one: read off the
    nearest aligned line above of the same depth and kind (list item or key), i.e. the file's
    own style for that level."""
    indent, item = _indent(line), _is_item(line)
    for i in range(ref_b, -1, -1):
        if i in align and b[i].strip() and _indent(b[i]) == indent and _is_item(b[i]) == item:
            return _indent(orig[align[i]]) - indent
    return _indent(orig[ref_o]) - _indent(b[ref_b])


def _carry(original: str, before: str, after: str) -> str | None:
    """Apply the line changes before -> after (two ruamel renderings) to `original`, whose lines
    match `before` up to indentation. None when a change cannot be placed exactly."""
    orig = original.splitlines(keepends=True)
    b = before.splitlines(keepends=True)
    a = after.splitlines(keepends=True)
    align: dict[int, int] = {}  # line of `before` -> line of `original`
    sm = difflib.SequenceMatcher(a=[x.strip() for x in b], b=[x.strip() for x in orig],
                                 autojunk=False)
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            align[block.a + k] = block.b + k
    edits: list[tuple[int, int, list[str]]] = []  # (start, end) in original -> new lines
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=b, b=a, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            rows = [align.get(i) for i in range(i1, i2)]
            if None in rows or rows != list(range(rows[0], rows[0] + len(rows))):
                return None
            start, end, ref_b, ref_o = rows[0], rows[-1] + 1, i1, rows[0]
        else:  # pure insertion: after the line before it
            if i1 - 1 not in align:
                return None
            start = end = align[i1 - 1] + 1
            ref_b, ref_o = i1 - 1, align[i1 - 1]
        lines = []
        parents: list[tuple[int, int]] = []  # (indent, delta) of enclosing new lines
        for line in a[j1:j2]:
            n = _indent(line)
            while parents and parents[-1][0] >= n:
                parents.pop()
            # Children move with their parent; a line with no parent here follows the file.
            delta = parents[-1][1] if parents else _delta_for(line, ref_b, ref_o, b, orig,
                                                              align)
            parents.append((n, delta))
            if delta >= 0:
                lines.append(" " * delta + line)
            elif _indent(line) >= -delta:
                lines.append(line[-delta:])
            else:
                return None
        edits.append((start, end, lines))
    for start, end, lines in sorted(edits, reverse=True):
        orig[start:end] = lines
    return "".join(orig)


def dump_over(old_text: str | None, new: Any) -> str:
    """The text of a YAML file holding `new`, written over `old_text` with the least change."""
    y = _yaml()
    if old_text is not None:
        try:
            tree = y.load(old_text)
        except YAMLError:
            tree = None  # a broken file is replaced whole
        if tree is not None:
            before = _render(y, tree)
            after = _render(y, merge(tree, new))
            if before == old_text:
                return after
            carried = _carry(old_text, before, after)
            if carried is not None:
                try:
                    if plain(_yaml().load(carried)) == plain(new):
                        return carried
                except YAMLError:
                    pass
            return after
    return _render(y, _fresh(new))
