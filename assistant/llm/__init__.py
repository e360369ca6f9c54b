"""LLM dialogue: backends over chat-completions endpoints, the prompt they are given, the
grounding guard their replies must pass, and the guarded dialogue that falls back to the
embedded grounded engine. Backends are picked by name (`make_backend`), imported lazily."""

from __future__ import annotations

import importlib

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.llm.base import (
    AnswerSource,
    DialogueContext,
    DialogueTimeout,
    GuardedDialogue,
    LLMBackend,
    LLMError,
    ReplyEvent,
    SentenceSplitter,
    split_sentences,
)
from assistant.llm.guard import GuardResult, check_reply
from assistant.llm.prompt import build_messages

# dialogue_backend name -> "module:attr" of the LLMBackend class (None: grounded engine alone).
BACKENDS: dict[str, str | None] = {
    "grounded": None,
    "openai": "assistant.llm.openai_chat:OpenAIChatBackend",
}


def make_backend(settings: Settings) -> LLMBackend | None:
    """The LLM backend `settings.dialogue_backend` names, or None for "grounded"."""
    name = settings.dialogue_backend.strip().lower()
    if name not in BACKENDS:
        raise ConfigError(
            f"unknown dialogue backend {settings.dialogue_backend!r}; "
            f"choose one of: {', '.join(BACKENDS)}"
        )
    target = BACKENDS[name]
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr).from_settings(settings)


def make_dialogue(settings: Settings) -> GuardedDialogue | None:
    """The guarded LLM dialogue for `settings`, or None when the grounded engine answers alone."""
    backend = make_backend(settings)
    return GuardedDialogue(backend) if backend is not None else None


__all__ = [
    "BACKENDS",
    "AnswerSource",
    "DialogueContext",
    "DialogueTimeout",
    "GuardResult",
    "GuardedDialogue",
    "LLMBackend",
    "LLMError",
    "ReplyEvent",
    "SentenceSplitter",
    "split_sentences",
    "build_messages",
    "check_reply",
    "make_backend",
    "make_dialogue",
]
