"""Operator edits of one market folder: validate, publish, roll back, diff, try a draft.

The files under prompts/<id>/ stay the source of truth; the version store (`store.py`) keeps a
full copy of them after every save. Every edit is validated before anything is written, by
building the candidate folder in a temporary directory and loading it with the same loader the
service uses, so an operator cannot publish what the service would refuse. Version 1 of a market
is its files as first seen; a hand edit made on disk since the last save is recorded as an
`external_edit` version the next time the market is touched, so history never lies about what
was served.

Writes: each changed file is written to a temp file in the same folder, fsynced and renamed over
the old one, so a crash leaves the old or the new file, never half of one. A save that changes
several files is not atomic across them; the next touch records whatever is on disk. Writers of
one market are serialized by a per-market lock, and a stale `base_version` is refused, so two
operators editing the same market cannot silently overwrite each other.

YAML is written over the file's old text (`yamlio.dump_over`, ruamel.yaml round-trip): comments,
key order and layout stay, and a one-field change is a one-line diff; a rollback restores the
exact old text."""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from assistant.config import Settings
from assistant.errors import AssistantError, MarketError, MarketProblem
from assistant.knowledge.grounded import GroundedEngine
from assistant.knowledge.market import (
    FAQ_FILE,
    MARKET_FILE,
    PRODUCTS_FILE,
    SYSTEM_PROMPT_FILE,
    Market,
    load_market,
)
from assistant.knowledge.registry import MarketRegistry, market_folders
from assistant.language import LanguageDetector
from assistant.operator.store import OperatorStore, Version
from assistant.operator.yamlio import dump_over

# Wire name of each document -> its file.
DOCUMENTS = {
    "market": MARKET_FILE,
    "system_prompt": SYSTEM_PROMPT_FILE,
    "products": PRODUCTS_FILE,
    "faq": FAQ_FILE,
}
_KEY_OF = {PRODUCTS_FILE: "sku", FAQ_FILE: "id"}
_MARKET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")
_SUMMARY_MAX = 400


class OperatorError(AssistantError):
    """A refused operator request; `extra` goes into the error body next to code and message."""

    status = 400
    code = "operator_error"

    def __init__(self, message: str, **extra: Any):
        self.extra = extra
        super().__init__(message)


class UnknownMarketFolder(OperatorError):
    status, code = 404, "unknown_market"


class UnknownVersion(OperatorError):
    status, code = 404, "unknown_version"


class VersionConflict(OperatorError):
    status, code = 409, "version_conflict"


class InvalidMarket(OperatorError):
    status, code = 422, "invalid_market"

    def __init__(self, market: str, problems: list[MarketProblem]):
        self.problems = problems
        super().__init__(
            f"market {market!r} has {len(problems)} problem(s); nothing was saved",
            problems=[{"file": p.file, "field": p.field, "message": p.message} for p in problems],
        )


def _plain(value: Any) -> Any:
    """JSON-shaped data (dates as ISO strings, Decimals as numbers), for the wire and for
    comparing what the operator sent with what a file holds."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _parse(file: str, text: str | None) -> Any:
    if text is None:
        return None
    if file == SYSTEM_PROMPT_FILE:
        return text
    return _plain(yaml.safe_load(text))


def _dump(file: str, value: Any, old: str | None) -> str:
    if file == SYSTEM_PROMPT_FILE:
        text = str(value)
        return text if text.endswith("\n") else text + "\n"
    return dump_over(old, value)  # the file's comments, order and layout stay


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)  # mkstemp makes 0600
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _summary(old: dict[str, str], new: dict[str, str], files: list[str]) -> str:
    parts = [_file_summary(f, old.get(f), new.get(f)) for f in files]
    text = "; ".join(parts)
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1] + "…"


def _file_summary(file: str, old: str | None, new: str | None) -> str:
    if old is None:
        return f"{file}: added"
    if new is None:
        return f"{file}: removed"
    if file == SYSTEM_PROMPT_FILE:
        a, b = old.splitlines(), new.splitlines()
        sm = difflib.SequenceMatcher(a=a, b=b)
        plus = sum(j2 - j1 for op, _, _, j1, j2 in sm.get_opcodes() if op != "equal")
        minus = sum(i2 - i1 for op, i1, i2, _, _ in sm.get_opcodes() if op != "equal")
        return f"{file}: +{plus}/-{minus} lines"
    try:
        a, b = _parse(file, old), _parse(file, new)
    except yaml.YAMLError:
        return f"{file}: replaced"
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        return f"{file}: {', '.join(map(str, keys)) or 'reformatted'} changed"
    key = _KEY_OF.get(file)
    if key and isinstance(a, list) and isinstance(b, list):
        return f"{file}: {_list_summary(key, a, b)}"
    return f"{file}: replaced"


def _list_summary(key: str, a: list, b: list) -> str:
    def keyed(items: list) -> dict[str, dict]:
        return {str(e.get(key)): e for e in items if isinstance(e, dict)}

    old, new = keyed(a), keyed(b)
    out = [f"added {k}" for k in new if k not in old]
    out += [f"removed {k}" for k in old if k not in new]
    for k in new.keys() & old.keys():
        for field in dict.fromkeys([*old[k], *new[k]]):
            x, y = old[k].get(field), new[k].get(field)
            if x == y:
                continue
            scalar = all(v is None or isinstance(v, str | int | float) for v in (x, y))
            shown = f"{x} -> {y}" if scalar and len(f"{x}{y}") < 40 else "changed"
            out.append(f"{k} {field} {shown}")
    return ", ".join(sorted(out)) or "reordered"


class MarketEditor:
    """Thread-safe; the HTTP router calls it from worker threads."""

    def __init__(self, registry: MarketRegistry, store: OperatorStore, *,
                 detector: LanguageDetector | None = None):
        self.registry = registry
        self.root = registry.root
        self.store = store
        self._detector = detector
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        self.store.close()

    # --- reading

    def markets(self) -> dict:
        out, refused = [], []
        for mid in market_folders(self.root):
            if not _MARKET_ID.match(mid):
                continue
            with self._lock(mid):
                version = self._current(mid)
            error = self.registry.errors.get(mid)
            try:
                m = self.registry.get(mid)
                name, langs = m.name, m.languages
            except AssistantError:
                raw = _safe_parse(MARKET_FILE, version.content.get(MARKET_FILE))
                raw = raw if isinstance(raw, dict) else {}
                name, langs = raw.get("name"), raw.get("languages")
            serving = mid in self.registry.ids
            entry = {"id": mid, "name": name, "languages": langs, "version": version.version,
                     "serving": serving}
            if error is not None:
                # Broken files: either nothing serves (refused) or the last good version does.
                entry["problems"] = [_problem(p) for p in error.problems]
                entry["serving_last_good"] = serving
                refused.append(entry)
            out.append(entry)
        return {"markets": out, "refused": refused}

    def read(self, market_id: str) -> dict:
        with self._lock(self._check(market_id)):
            v = self._current(market_id)
        return {"id": market_id, **self.documents(v)}

    def documents(self, v: Version) -> dict:
        """A version's four documents as JSON-shaped data, plus its number."""
        out: dict[str, Any] = {"version": v.version}
        problems = []
        for name, file in DOCUMENTS.items():
            try:
                out[name] = _parse(file, v.content.get(file))
            except yaml.YAMLError as e:
                out[name] = None
                problems.append({"file": file, "field": "", "message": f"invalid YAML: {e}"})
        if problems:
            out["problems"] = problems
        return out

    def versions(self, market_id: str, limit: int = 100) -> list[Version]:
        with self._lock(self._check(market_id)):
            self._current(market_id)
        return self.store.versions(market_id, limit)

    def version(self, market_id: str, n: int) -> Version:
        with self._lock(self._check(market_id)):
            self._current(market_id)
        v = self.store.get(market_id, n)
        if v is None:
            raise UnknownVersion(f"market {market_id!r} has no version {n}")
        return v

    def diff(self, market_id: str, a: int, b: int | None = None) -> dict[str, str]:
        """Unified diff per changed file, from version a to version b (default: current)."""
        old = self.version(market_id, a)
        new = self.version(market_id, b) if b is not None else self.store.latest(market_id)
        assert new is not None  # version() recorded at least version 1
        out = {}
        for file in DOCUMENTS.values():
            x, y = old.content.get(file), new.content.get(file)
            if x == y:
                continue
            out[file] = "".join(difflib.unified_diff(
                (x or "").splitlines(keepends=True), (y or "").splitlines(keepends=True),
                fromfile=f"v{old.version}/{file}", tofile=f"v{new.version}/{file}",
            ))
        return {"from": old.version, "to": new.version, "files": out}

    # --- changing

    def validate(self, market_id: str, draft: dict[str, Any] | None) -> Market:
        """The market that `draft` over the current files would be; raises InvalidMarket."""
        with self._lock(self._check(market_id)):
            cur = self._current(market_id)
        texts, _ = _overlay(cur.content, draft or {})
        return _validated(market_id, texts)

    def update(self, market_id: str, docs: dict[str, Any], *, base_version: int,
               who: str) -> tuple[Version, bool]:
        """Publish the given documents (any subset of DOCUMENTS). Returns the new version, or the
        current one and False when nothing actually changed."""
        with self._lock(self._check(market_id)):
            cur = self._current(market_id)
            _check_base(cur, base_version)
            texts, changed = _overlay(cur.content, docs)
            if not changed:
                return cur, False
            _validated(market_id, texts)
            v = self._publish(market_id, cur, texts, changed, who=who, action="update",
                              summary=_summary(cur.content, texts, changed))
            return v, True

    def rollback(self, market_id: str, *, version: int, base_version: int, who: str) -> Version:
        """A new version whose files are those of `version`."""
        with self._lock(self._check(market_id)):
            cur = self._current(market_id)
            _check_base(cur, base_version)
            target = self.store.get(market_id, version)
            if target is None:
                raise UnknownVersion(f"market {market_id!r} has no version {version}")
            texts = dict(target.content)
            changed = [f for f in DOCUMENTS.values() if cur.content.get(f) != texts.get(f)]
            # An old version may not pass today's loader: refuse rather than publish it.
            _validated(market_id, texts)
            summary = f"rollback to version {version}"
            if changed:
                summary += ": " + _summary(cur.content, texts, changed)
            return self._publish(market_id, cur, texts, changed, who=who, action="rollback",
                                 summary=summary[:_SUMMARY_MAX])

    def try_answer(self, market_id: str, text: str, *, draft: dict[str, Any] | None = None,
                   lang: str | None = None) -> dict:
        """Answer `text` from the draft over the current files, without publishing anything."""
        market = self.validate(market_id, draft)
        engine = GroundedEngine(market)
        if lang not in market.languages:
            lang = self._detect(text, market.languages)
        u = engine.understand(text, lang)
        answer = engine.answer(u, lang)
        return {"answer": answer.text, "lang": lang, "topic": str(u.topic), "sku": u.sku,
                "needs_host": answer.needs_host}

    # --- internals

    def _check(self, market_id: str) -> str:
        if not _MARKET_ID.match(market_id) or not (self.root / market_id).is_dir():
            raise UnknownMarketFolder(f"unknown market {market_id!r}",
                                      known_markets=self.registry.ids)
        return market_id

    def _lock(self, market_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(market_id, threading.Lock())

    def _read_texts(self, market_id: str) -> dict[str, str]:
        folder = self.root / market_id
        out = {}
        for file in DOCUMENTS.values():
            try:
                out[file] = (folder / file).read_bytes().decode("utf-8", errors="replace")
            except FileNotFoundError:
                continue
        return out

    def disk_changed(self, market_id: str) -> None:
        """A market's folder changed on disk (the file watcher): the same as any operator
        touch - the hand edit is recorded as a version and swapped in, or reported like a
        refused publish when it is broken."""
        if not _MARKET_ID.match(market_id):
            return
        with self._lock(market_id):
            if (self.root / market_id).is_dir():
                self._current(market_id)
            else:
                self.registry.sync(market_id)  # removed: stop serving it

    def _current(self, market_id: str) -> Version:
        """The version on disk now, recording version 1 or a hand edit first, and making sure
        what serves is what is on disk (the one reload path). Lock held."""
        self.registry.sync(market_id)
        texts = self._read_texts(market_id)
        latest = self.store.latest(market_id)
        if latest is None:
            return self.store.add(market_id, who="system", action="initial",
                                  files=sorted(texts), summary="files at first start",
                                  content=texts)
        if latest.content != texts:
            files = [f for f in DOCUMENTS.values() if latest.content.get(f) != texts.get(f)]
            v = self.store.add(market_id, who="disk", action="external_edit", files=files,
                               summary=_summary(latest.content, texts, files), content=texts)
            error = self.registry.errors.get(market_id)
            if error is not None:
                serving = market_id in self.registry.ids
                self.store.audit(
                    who="disk", action="external_edit", market=market_id,
                    outcome="invalid_market",
                    detail=(f"version {v.version} refused, "
                            + ("the last good version keeps serving: " if serving
                               else "not serving: ")
                            + "; ".join(str(p) for p in error.problems))[:_SUMMARY_MAX])
            return v
        return latest

    def _publish(self, market_id: str, cur: Version, texts: dict[str, str], changed: list[str],
                 *, who: str, action: str, summary: str) -> Version:
        folder = self.root / market_id
        for file in changed:
            if file in texts:
                _write_atomic(folder / file, texts[file])
            else:
                (folder / file).unlink(missing_ok=True)
                _fsync_dir(folder)
        v = self.store.add(market_id, who=who, action=action, files=changed, summary=summary,
                           content=texts)
        # Live rooms read engines from the registry per turn: this reaches them at once, and
        # the answers cached from the old engine are no longer used (session/chat.py).
        self.registry.reload_one(market_id)
        return v

    def _detect(self, text: str, languages: list[str]) -> str:
        if self._detector is None:
            self._detector = LanguageDetector()
        return self._detector.detect(text, languages).lang


def _check_base(cur: Version, base_version: int) -> None:
    if base_version != cur.version:
        raise VersionConflict(
            f"base_version {base_version} is stale: the market is at version {cur.version}; "
            "reload it and apply your change again",
            current_version=cur.version,
        )


def _overlay(texts: dict[str, str], docs: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The file texts after applying `docs`, and which files really changed. A document equal in
    content to its file leaves the file (and its comments) alone."""
    out = dict(texts)
    changed = []
    for name, value in docs.items():
        file = DOCUMENTS[name]
        if value is None:
            continue
        old = texts.get(file)
        if file == SYSTEM_PROMPT_FILE:
            same = old is not None and old.strip() == str(value).strip()
        else:
            same = old is not None and _safe_parse(file, old) == _plain(value)
        if not same:
            out[file] = _dump(file, value, old)
            changed.append(file)
    return out, changed


def _safe_parse(file: str, text: str | None) -> Any:
    try:
        return _parse(file, text)
    except yaml.YAMLError:
        return _UNPARSEABLE


_UNPARSEABLE = object()


def _validated(market_id: str, texts: dict[str, str]) -> Market:
    with tempfile.TemporaryDirectory(prefix="market-draft-") as tmp:
        folder = Path(tmp) / market_id  # the loader takes the market id from the folder name
        folder.mkdir()
        for file, text in texts.items():
            (folder / file).write_text(text, encoding="utf-8")
        try:
            return load_market(folder)
        except MarketError as e:
            raise InvalidMarket(market_id, e.problems) from None


def _problem(p: MarketProblem) -> dict:
    return {"file": p.file, "field": p.field, "message": p.message}


def make_operator(settings: Settings, registry: MarketRegistry, *,
                  detector: LanguageDetector | None = None) -> MarketEditor:
    """The editor the app keeps in `app.state.operator`. Versions and the audit trail live in
    operator.sqlite3 next to the handoff database, apart from its hot write path."""
    store = OperatorStore(Path(settings.db_path).parent / "operator.sqlite3")
    return MarketEditor(registry, store, detector=detector)
