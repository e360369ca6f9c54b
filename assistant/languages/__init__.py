"""Language packs: one schema-checked YAML file per language in this folder (schema.py says
what a pack holds). Loaded once per process; a broken pack stops start-up with every problem
named, because a half-loaded language would answer viewers wrongly rather than not at all.

    from assistant import languages
    languages.pack("ko").replies["price"]
    languages.codes()          # every language the service claims, e.g. ("ar", "de", ...)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from assistant.errors import ConfigError
from assistant.languages.schema import REPLY_KEYS, LanguagePack

__all__ = ["REPLY_KEYS", "LanguagePack", "check", "codes", "pack", "packs"]

FOLDER = Path(__file__).resolve().parent
FALLBACK = "en"


def _problems(path: Path) -> tuple[LanguagePack | None, list[str]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        return None, [f"{path.name}: cannot be read: {e}"]
    if not isinstance(raw, dict):
        return None, [f"{path.name}: must be a mapping"]
    try:
        p = LanguagePack.model_validate(raw)
    except ValidationError as e:
        return None, [
            f"{path.name}: {'.'.join(str(x) for x in err['loc']) or '(root)'}: {err['msg']}"
            for err in e.errors()
        ]
    if p.code != path.stem:
        return None, [f"{path.name}: code {p.code!r} must match the file name"]
    return p, []


def check(folder: Path = FOLDER) -> tuple[dict[str, LanguagePack], list[str]]:
    """Every pack in `folder` and every problem found (empty when all load)."""
    found: dict[str, LanguagePack] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        p, errs = _problems(path)
        problems += errs
        if p is not None:
            found[p.code] = p
    if FALLBACK not in found:
        problems.append(f"{FALLBACK}.yaml: the fallback language pack is missing")
    return found, problems


@cache
def packs() -> dict[str, LanguagePack]:
    found, problems = check()
    if problems:
        raise ConfigError("language packs are broken:\n  " + "\n  ".join(problems))
    return found


def codes() -> tuple[str, ...]:
    return tuple(sorted(packs()))


def pack(lang: str) -> LanguagePack:
    """The pack of `lang` (a code, or a locale id such as "es_US"); English when unknown."""
    all_ = packs()
    p = all_.get(lang) or all_.get(lang.split("_")[0].split("-")[0].lower())
    return p if p is not None else all_[FALLBACK]


def has(lang: str) -> bool:
    return lang in packs()
