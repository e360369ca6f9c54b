"""Semantic end of turn: Smart Turn v3.2, Pipecat's audio end-of-turn model (BSD-2-Clause,
8.7 MB of int8 ONNX, 23 languages), asked "has the speaker finished?" about the last 8 s.

The model ships inside the `pipecat-ai` wheel on PyPI. Installing pipecat-ai would bring its
whole framework, so `assemble()` downloads that one wheel without dependencies at install time
(`python -m assistant.audio.turn_model`, run by the Makefile), takes the .onnx and the license
out of it, checks size and SHA-256, and writes them to the cache folder. Nothing is downloaded
at run time; a missing model is a ConfigError that names the install command.

Features are Whisper's log-mel spectrogram (80 bins, 8 s -> 800 frames) of the waveform after
zero-mean unit-variance normalisation, computed with faster-whisper's own extractor, which
gives exactly what the model was trained on (checked against Pipecat's vendored copy of the
transformers extractor: identical features). About 35-40 ms per prediction on one thread.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import numpy as np

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

ASSEMBLE_COMMAND = "python -m assistant.audio.turn_model"
MODEL_DIR_ENV = "ASSISTANT_TURN_MODEL_DIR"  # read here: the install step has no Settings yet
WHEEL = "pipecat-ai==1.14.0"
MEMBER = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
MODEL_SIZE = 8_679_182
MODEL_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
LICENSE_FILE = "LICENSE.smart-turn"

SAMPLE_RATE = 16_000
WINDOW_S = 8  # the model reads the last 8 s, zero-padded at the front
_WINDOW = SAMPLE_RATE * WINDOW_S
_FRAMES = 800

# Languages Smart Turn v3 was trained on; others fall back to an adaptive silence window.
LANGUAGES = frozenset({"ar", "bn", "zh", "da", "nl", "de", "en", "fi", "fr", "hi", "id", "it",
                       "ja", "ko", "mr", "no", "pl", "pt", "ru", "es", "tr", "uk", "vi"})


def default_model_dir() -> Path:
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "live-cohost" / "smart-turn"


def _is_good(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size != MODEL_SIZE:
        return False
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() == MODEL_SHA256


def _write_atomic(data: bytes, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble(target: Path | None = None, *, wheel: Path | None = None) -> Path:
    """Put the model (and its license) in `target` from the pipecat-ai wheel, downloaded with
    pip (no dependencies) unless `wheel` is given. Does nothing when it is already there."""
    target = Path(target) if target is not None else default_model_dir()
    model = target / MODEL_FILE
    if _is_good(model):
        return model
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--quiet", "--dest", tmp, WHEEL]
            done = subprocess.run(cmd, capture_output=True, text=True)
            found = sorted(Path(tmp).glob("pipecat_ai-*.whl"))
            if done.returncode != 0 or not found:
                raise ConfigError(f"could not download {WHEEL} for the Smart Turn model: "
                                  f"{(done.stderr or done.stdout).strip()[-300:]}")
            wheel = found[0]
        with zipfile.ZipFile(wheel) as z:
            data = z.read(MEMBER)
            licenses = [n for n in z.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
            license_text = z.read(licenses[0]) if licenses else b""
    if len(data) != MODEL_SIZE or hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise ConfigError(f"{MEMBER} in {WHEEL} has an unexpected size or hash")
    if license_text:
        _write_atomic(license_text, target / LICENSE_FILE)
    _write_atomic(data, model)
    log.info("smart turn model assembled", extra={"path": str(model)})
    return model


def model_path(model_dir: Path | None = None) -> Path:
    """The assembled model file; ConfigError naming the install command when it is missing."""
    path = (Path(model_dir) if model_dir is not None else default_model_dir()) / MODEL_FILE
    if not path.is_file() or path.stat().st_size != MODEL_SIZE:
        raise ConfigError(f"the Smart Turn model is not assembled in {path.parent}; run "
                          f"`{ASSEMBLE_COMMAND}` (or `make install`) once after pip install")
    return path


def features(audio: np.ndarray) -> np.ndarray:
    """(80, 800) float32 log-mel features of the last 8 s of 16 kHz mono float audio."""
    x = np.asarray(audio, dtype=np.float32)[-_WINDOW:]
    if x.size < _WINDOW:
        x = np.pad(x, (_WINDOW - x.size, 0))
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    return _extractor()(x, padding=0)[:, :_FRAMES].astype(np.float32)


@cache
def _extractor():
    from faster_whisper.feature_extractor import FeatureExtractor

    # Stateless when called without chunk_length: shared by every session's thread.
    return FeatureExtractor(feature_size=80, sampling_rate=SAMPLE_RATE)


class SmartTurn:
    """One loaded model. `complete(audio)` is the probability (0-1) that the speaker has
    finished. Thread-safe (onnxruntime sessions are); one intra-op thread by default."""

    def __init__(self, path: Path | None = None, *, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(path or model_path()), sess_options=opts)

    def complete(self, audio: np.ndarray) -> float:
        out = self._session.run(None, {"input_features": features(audio)[None]})
        return float(np.asarray(out[0]).reshape(-1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=ASSEMBLE_COMMAND,
                                     description="Assemble the Smart Turn v3.2 model.")
    parser.add_argument("--target", type=Path, default=None,
                        help=f"folder to write (default: {default_model_dir()})")
    parser.add_argument("--wheel", type=Path, default=None,
                        help="a pipecat-ai 1.14.0 wheel already downloaded")
    args = parser.parse_args(argv)
    try:
        print(assemble(args.target, wheel=args.wheel))
    except (ConfigError, OSError, zipfile.BadZipFile, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
