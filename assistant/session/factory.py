"""Builds a ChatService from Settings, for the app and the terminal chat alike."""

from __future__ import annotations

from assistant.config import Settings
from assistant.handoff import HandoffFeed, HandoffStore
from assistant.handoff.questions import UnansweredQuestions
from assistant.intent import IntentScorer
from assistant.knowledge.market import pin_market_date
from assistant.knowledge.registry import MarketRegistry
from assistant.language import LanguageDetector, ViewerLanguages
from assistant.llm import make_dialogue
from assistant.session.chat import ChatService


def build_chat_service(settings: Settings) -> tuple[ChatService, HandoffStore]:
    if settings.market_date is not None:
        pin_market_date(settings.market_date)
    registry = MarketRegistry(settings.prompts_dir)
    detector = LanguageDetector(min_confidence=settings.langid_min_confidence)
    detector.warm(m.languages for m in registry.all())
    store = HandoffStore(settings.db_path, fsync=settings.db_fsync)
    service = ChatService(
        settings, registry, ViewerLanguages(detector), IntentScorer(), store, HandoffFeed(),
        llm=make_dialogue(settings), questions=UnansweredQuestions(settings.db_path),
    )
    return service, store
