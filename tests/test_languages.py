"""Language packs (assistant/languages/<code>.yaml): every shipped pack loads and is complete,
and a broken pack is refused with every problem named (file, field, what is wrong)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from assistant import languages
from assistant.knowledge.market import SUPPORTED_LANGUAGES
from assistant.languages.schema import REPLY_KEYS


def test_every_supported_language_has_a_complete_pack():
    found, problems = languages.check()
    assert problems == []
    assert set(SUPPORTED_LANGUAGES) <= set(found)
    for code, pack in found.items():
        assert set(pack.replies) == set(REPLY_KEYS), code
        assert pack.backchannels, code
        assert pack.topics, code


def _broken(tmp_path: Path, edit) -> list[str]:
    folder = tmp_path / "packs"
    folder.mkdir()
    for code in ("en", "ko"):
        shutil.copy(languages.FOLDER / f"{code}.yaml", folder)
    raw = yaml.safe_load((folder / "ko.yaml").read_text(encoding="utf-8"))
    edit(raw)
    (folder / "ko.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _, problems = languages.check(folder)
    return problems


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r["replies"].pop("price"), "replies: Value error, missing price"),
    (lambda r: r["replies"].update(price="{name} {cost}"), "price: placeholders ['cost', 'name']"),
    (lambda r: r["intent"]["signals"]["buy_now"].append("살(게"), "does not compile"),
    (lambda r: r["topics"].update(prize=["x"]), "topics.prize"),
    (lambda r: r["flags"].update(sparkle=["x"]), "unknown flags ['sparkle']"),
    (lambda r: r["countries"].update(Korea=["x"]), "ISO 3166 alpha-2"),
    (lambda r: r.update(code="kr"), "code 'kr' must match the file name"),
    (lambda r: r["script"].update(words="unspaced"), "needs a segmenter"),
    (lambda r: r.pop("backchannels"), "backchannels: Field required"),
])
def test_a_broken_pack_names_its_problem(tmp_path, edit, expected):
    problems = _broken(tmp_path, edit)
    assert problems and all(p.startswith("ko.yaml: ") for p in problems)
    assert any(expected in p for p in problems), problems


def test_a_pack_that_is_not_yaml_is_refused(tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    shutil.copy(languages.FOLDER / "en.yaml", folder)
    (folder / "xx.yaml").write_text("code: [unclosed", encoding="utf-8")
    _, problems = languages.check(folder)
    assert len(problems) == 1 and problems[0].startswith("xx.yaml: cannot be read")


def test_unknown_language_falls_back_to_english():
    assert languages.pack("xx").code == "en"
    assert languages.pack("es_US").code == "es"


def test_cli_checks_the_packs(tmp_path):
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "assistant.cli", "languages", "check"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "ok      ko  Korean" in ok.stdout, ok.stdout + ok.stderr
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(languages.FOLDER / "en.yaml", folder)
    (folder / "ko.yaml").write_text("code: ko\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "assistant.cli", "languages", "check",
                          "--dir", str(folder)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "PROBLEM ko.yaml: name: Field required" in bad.stdout
