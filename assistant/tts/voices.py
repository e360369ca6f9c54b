"""voices/voices.yaml: which voice each TTS backend uses for each language. Owns the file's
schema, loading with errors that name the field, and the lookup `VoiceTable.choice`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from assistant.errors import BackendError, ConfigError
from assistant.tts.base import VoiceChoice

VOICES_FILE = "voices.yaml"

LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


class _Strict(BaseModel):
    # Unknown keys are typos in a hand-edited file: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendVoice(_Strict):
    voice: str = Field(min_length=1)
    rate: int | None = Field(default=None, ge=80, le=450)
    speaker: str | None = None
    model_path: Path | None = None  # Coqui; relative paths are relative to the voices folder
    config_path: Path | None = None


class LanguageVoices(_Strict):
    # One field per backend in assistant.tts.BACKENDS (a test keeps the two in step).
    espeak: BackendVoice | None = None
    piper: BackendVoice | None = None
    coqui: BackendVoice | None = None


class VoicesFile(_Strict):
    languages: dict[LangCode, LanguageVoices] = Field(min_length=1)


class VoiceTable:
    """The loaded voices file; `path` is where it came from (named in every error)."""

    def __init__(self, spec: VoicesFile, *, path: Path):
        self.spec = spec
        self.path = path

    def languages(self, backend: str) -> list[str]:
        """Languages that have a voice for `backend`."""
        return sorted(lang for lang, v in self.spec.languages.items() if getattr(v, backend, None))

    def choice(self, backend: str, lang: str) -> VoiceChoice:
        """The voice for `lang` ("pt-BR" falls back to "pt"); BackendError if there is none."""
        for key in (lang.lower(), lang.split("-")[0].split("_")[0].lower()):
            entry = self.spec.languages.get(key)
            voice: BackendVoice | None = getattr(entry, backend, None) if entry else None
            if voice is not None:
                return VoiceChoice(
                    backend=backend,
                    voice=voice.voice,
                    rate=voice.rate,
                    speaker=voice.speaker,
                    model_path=self._resolve(voice.model_path),
                    config_path=self._resolve(voice.config_path),
                )
        known = ", ".join(self.languages(backend)) or "none"
        raise BackendError(
            f"language {lang!r} has no {backend} voice in {self.path}; "
            f"languages that have one: {known}"
        )

    def _resolve(self, path: Path | None) -> Path | None:
        return None if path is None else (self.path.parent / path.expanduser())


def load_voices(voices_dir: Path) -> VoiceTable:
    """Load and validate `voices_dir/voices.yaml`; ConfigError naming the file and field."""
    path = Path(voices_dir) / VOICES_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"TTS voices file not found: {path}") from e
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read TTS voices file {path}: {e}") from e
    try:
        spec = VoicesFile.model_validate(raw if raw is not None else {})
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in e.errors()
        )
        raise ConfigError(f"invalid TTS voices file {path}: {problems}") from e
    return VoiceTable(spec, path=path)
