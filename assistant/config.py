"""Settings: the only module that reads the environment (prefix ASSISTANT_).

Every field is documented in README.md under "Settings"; keep the two in step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
# Development defaults, accepted on a loopback bind only (see assistant/credentials.py).
DEV_HOST_TOKEN = "dev-host-token"
DEV_OPERATOR_TOKEN = "dev-operator-token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # --- server
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, fields kept
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # --- data
    prompts_dir: Path = DEFAULT_PROMPTS
    watch_prompts: bool = True  # hand edits and new market folders go live without a restart
    prompts_poll: bool = False  # poll instead of inotify (filesystems without change events)
    db_path: Path = Path("data/assistant.sqlite3")
    db_fsync: bool = False  # fsync every handoff write: survives a power cut, not just a crash
    # The day campaigns are judged on (YYYY-MM-DD), e.g. to rehearse one before it starts;
    # unset: today.
    market_date: dt.date | None = None

    # --- credentials: comma-separated tokens per role. Empty platform tokens = viewers need none.
    platform_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    host_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEV_HOST_TOKEN)]
    )
    operator_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEV_OPERATOR_TOKEN)]
    )

    # Keep the development tokens and an open viewer side even on a public bind (never in
    # production: anyone who reaches the port could edit prices and read transcripts).
    insecure_dev_defaults: bool = False

    # --- chat
    max_text_chars: int = 500
    max_ws_message_bytes: int = 16_384
    dedup_window_s: float = 8.0
    rate_limit_per_min: int = 20
    rate_limit_burst: int = 5
    history_turns: int = 6

    # --- language
    langid_min_confidence: float = 0.5

    # --- voice
    # "base" = Whisper base assembled from its PyPI packs; or any faster-whisper name or folder
    stt_model: str = "base"
    stt_model_dir: Path | None = None  # where `python -m assistant.stt.model` assembled "base"
    tts_backend: str = "espeak"  # espeak | piper | coqui
    voices_dir: Path = Path(__file__).resolve().parent.parent / "voices"
    voice_max_sessions: int = 8  # concurrent voice sessions (each holds STT/TTS work on 2 cores)
    voice_preload: bool = True  # load STT/TTS at start-up (in the background), not on first use
    # Live captions of a turn while it is spoken (input_audio_transcription.delta, every 1 s).
    # Off by default: Whisper serves one call at a time, so a caption transcription running
    # when the speaker stops delays the reply's transcript by up to 350 ms (bench/voice.py).
    voice_live_captions: bool = False

    # --- dialogue backend: "grounded" (embedded, default) or "openai" (any compatible endpoint)
    dialogue_backend: str = "grounded"
    llm_base_url: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 6.0
    llm_max_tokens: int = 200
    llm_temperature: float = 0.3

    @field_validator("platform_tokens", "host_tokens", "operator_tokens", "cors_origins",
                     mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # Environment variables carry lists as "a,b,c"; code may pass real lists.
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value
