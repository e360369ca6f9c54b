"""One chat turn: a viewer's comment in, an answer addressed to viewers out.

Owns the per-room and per-viewer state of the chat side (product on stage, recent turns,
rate limits, the burst de-duplication cache) and the order of the steps:
validate -> rate-limit -> language -> understand -> intent/handoff -> answer (de-duplicated).
Transport code (HTTP, WebSocket, the OpenAI-compatible endpoint) only translates to and from it."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.config import Settings
from assistant.dialogue import Answer, Topic, Turn, Understanding
from assistant.errors import AssistantError, InputError, ProtocolError
from assistant.handoff import Handoff, HandoffFeed, HandoffStore
from assistant.handoff.questions import UnansweredQuestions, question_key
from assistant.handoff.store import PURCHASE, QUESTION
from assistant.intent import IntentScore, IntentScorer
from assistant.knowledge.market import Market
from assistant.knowledge.registry import MarketRegistry
from assistant.knowledge.replies import join_sentences, template
from assistant.language import ViewerLanguages
from assistant.llm.base import GuardedDialogue
from assistant.session.limits import LRU, TokenBuckets

log = logging.getLogger(__name__)

# Topics whose answer does not depend on who asked, so a burst can share one answer.
_SHAREABLE = frozenset(Topic) - {Topic.UNKNOWN, Topic.HUMAN, Topic.GREETING}


@dataclass(frozen=True, slots=True)
class Comment:
    room: str
    market: str
    viewer: str
    text: str
    ts: float | None = None
    lang: str | None = None  # an explicit language from the platform, if it knows it


@dataclass(frozen=True, slots=True)
class Reply:
    answer_id: str
    room: str
    market: str
    viewer: str
    text: str
    lang: str
    topic: str
    sku: str | None
    source: str
    duplicate: bool = False  # same answer as answer_id, already sent to earlier askers
    handoff: Handoff | None = None
    handoff_created: bool = False
    intent: IntentScore | None = None
    in_reply_to_ts: float | None = None

    def to_event(self) -> dict:
        return {
            "type": "answer",
            "answer_id": self.answer_id,
            "room": self.room,
            "viewer_ids": [self.viewer],
            "text": self.text,
            "lang": self.lang,
            "topic": self.topic,
            "sku": self.sku,
            "source": self.source,
            "in_reply_to_ts": self.in_reply_to_ts,
            "handoff": (
                {"id": self.handoff.id, "created": self.handoff_created} if self.handoff else None
            ),
        }


@dataclass(slots=True)
class _Shared:
    answer_id: str
    answer: Answer
    expires: float
    engine: object  # the market's engine it came from: a reload makes the entry stale


@dataclass(slots=True)
class RoomState:
    market: str
    on_stage_sku: str | None = None
    shared: dict[tuple, _Shared] = field(default_factory=dict)


@dataclass(slots=True)
class PendingTurn:
    """One viewer turn between its understanding and its answer (see ChatService.begin)."""

    comment: Comment
    text: str
    state: RoomState
    market: Market
    engine: Any
    lang: str
    past: tuple[Turn, ...]  # the viewer's turns before this one
    hist: deque[Turn]
    understanding: Understanding
    score: IntentScore
    handoff: Handoff | None = None
    created: bool = False

    @property
    def shareable(self) -> bool:
        """Its answer does not depend on who asked, so a burst can share it."""
        return self.handoff is None and self.understanding.topic in _SHAREABLE

    @property
    def notice_only(self) -> bool:
        """A request for a person (or a question we cannot answer) that opened or found a
        handoff: the reply is the host notice alone."""
        return (self.handoff is not None
                and (self.created or self.understanding.topic is Topic.HUMAN)
                and self.understanding.topic in (Topic.HUMAN, Topic.UNKNOWN))


def clean_text(text: object, max_chars: int) -> str:
    """Refuse what cannot be a viewer's chat message, with a reason a client can act on."""
    if not isinstance(text, str):
        raise InputError("invalid_text", "text must be a string")
    text = text.strip()
    if not text:
        raise InputError("empty_text", "text is empty")
    if len(text) > max_chars:
        raise InputError(
            "text_too_long", f"text has {len(text)} characters; the limit is {max_chars}",
            status=413,
        )
    # Control characters (other than line breaks/tabs) and lone surrogates mean binary or
    # corrupted input, never something a viewer typed.
    for ch in text:
        if ch in "\n\t\r":
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc" or cat == "Cs":
            raise InputError("binary_text", "text contains control or binary characters")
    return text


class ChatService:
    def __init__(
        self,
        settings: Settings,
        registry: MarketRegistry,
        languages: ViewerLanguages,
        scorer: IntentScorer,
        store: HandoffStore,
        feed: HandoffFeed,
        *,
        llm: GuardedDialogue | None = None,
        questions: UnansweredQuestions | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self.registry = registry
        self.languages = languages
        self.scorer = scorer
        self.store = store
        self.feed = feed
        self.llm = llm
        self.questions = questions
        self._inflight: dict[tuple, asyncio.Future[Answer]] = {}  # see _ask_llm
        self.clock = clock
        self.wall = wall
        self.rooms: LRU[str, RoomState] = LRU(10_000)
        self.history: LRU[tuple[str, str], deque[Turn]] = LRU(200_000)
        self.limits = TokenBuckets(
            settings.rate_limit_per_min, settings.rate_limit_burst, clock=clock
        )

    async def aclose(self) -> None:
        """Release what the service holds open (the LLM client's connections)."""
        for task in list(self._inflight.values()):
            task.cancel()
        if self.llm is not None and self.llm.backend is not None:
            await self.llm.backend.aclose()
        if self.questions is not None:
            self.questions.close()

    # --- rooms

    def room(self, room: str, market: str) -> RoomState:
        self.registry.get(market)  # raises UnknownMarket naming the known ones
        state = self.rooms.get_or_create(room, lambda: RoomState(market))
        if state.market != market:
            raise ProtocolError(
                "room_market_mismatch",
                f"room {room!r} belongs to market {state.market!r}, not {market!r}; use another "
                f"room for market {market!r} (a room is one live stream in one market)",
            )
        return state

    def set_on_stage(self, room: str, market: str, sku: str | None) -> str | None:
        state = self.room(room, market)
        if sku is not None:
            product = self.registry.get(market).product(sku)
            if product is None:
                raise InputError("unknown_sku", f"no product {sku!r} in market {market!r}",
                                 status=404)
            sku = product.sku
        state.on_stage_sku = sku
        state.shared.clear()  # "this one" now means another product
        return sku

    def viewer_history(self, room: str, viewer: str) -> list[Turn]:
        h = self.history.get((room, viewer))
        return list(h) if h else []

    # --- one turn

    async def handle(self, c: Comment) -> Reply:
        turn = await self.begin(c)
        answer_id, answer, duplicate = await self.answer(turn)
        return await self.finish(turn, answer_id, answer, duplicate)

    async def begin(self, c: Comment) -> PendingTurn:
        """Everything before the answer: validate, rate-limit, language, understand, score the
        intent and open a handoff. A spoken turn streams its answer between begin and finish."""
        text = clean_text(c.text, self.settings.max_text_chars)
        if not c.viewer or len(c.viewer) > 128:
            raise InputError("invalid_viewer", "viewer_id must be 1-128 characters")
        state = self.room(c.room, c.market)
        market = self.registry.get(c.market)
        engine = self.registry.engine(c.market)
        viewer_key = f"{c.room}\x00{c.viewer}"
        if not self.limits.allow(viewer_key):
            raise InputError("rate_limited", "too many messages from this viewer; slow down",
                             status=429)

        hint = c.lang if c.lang in market.languages else None
        lang = self.languages.resolve(viewer_key, text, market.languages, hint=hint).lang
        hist = self.history.get_or_create(
            (c.room, c.viewer), lambda: deque(maxlen=2 * self.settings.history_turns)
        )
        past = tuple(hist)  # the viewer's turns before this one
        u = engine.understand(text, lang, on_stage_sku=state.on_stage_sku, history=past)
        score = self.scorer.score(text, lang, topics=u.topics or (u.topic,), history=past)
        hist.append(Turn("viewer", text, lang, u.topic, self.wall()))

        turn = PendingTurn(c, text, state, market, engine, lang, past, hist, u, score)
        if score.score >= market.handoff_threshold:
            turn.handoff, turn.created = await self._hand_off(
                c, market, lang, text, u, score, list(hist))
        return turn

    def preview(self, c: Comment) -> tuple[Market, Any, Understanding, tuple[Turn, ...]] | None:
        """What begin(c) would understand, with no effect on any state (no rate limit, history,
        sticky language or handoff): for starting an answer before the turn is certain. None
        when it cannot be known without those steps (no usable language hint, unknown market)."""
        try:
            market = self.registry.get(c.market)
            engine = self.registry.engine(c.market)
        except AssistantError:
            return None
        if c.lang not in market.languages:
            return None
        state = self.rooms.get(c.room)
        on_stage = state.on_stage_sku if state is not None and state.market == c.market else None
        past = tuple(self.history.get((c.room, c.viewer)) or ())
        return market, engine, engine.understand(c.text, c.lang, on_stage_sku=on_stage,
                                                 history=past), past

    async def answer(self, turn: PendingTurn) -> tuple[str, Answer, bool]:
        """(answer id, answer, duplicate): the burst's shared answer, or a new one."""
        hit = self.shared_answer(turn)
        if hit is not None:
            return hit[0], hit[1], True
        if self.llm is not None:
            answer = await self._ask_llm(turn.market, turn.engine, turn.text, turn.lang,
                                         turn.understanding, turn.past,
                                         merge=turn.handoff is None)
        else:
            answer = turn.engine.answer(turn.understanding, turn.lang)
        return self.share(turn, answer), answer, False

    def shared_answer(self, turn: PendingTurn) -> tuple[str, Answer] | None:
        if not turn.shareable:
            return None
        hit = turn.state.shared.get((turn.lang, turn.understanding.dedup_key))
        if hit is not None and hit.expires > self.clock() and hit.engine is turn.engine:
            return hit.answer_id, hit.answer
        return None

    def share(self, turn: PendingTurn, answer: Answer) -> str:
        """A new answer id; a shareable answer is kept for the rest of its burst."""
        answer_id = uuid.uuid4().hex[:16]
        if turn.shareable:
            now = self.clock()
            state = turn.state
            if len(state.shared) > 1000:  # bursts are short-lived; drop expired entries
                state.shared = {k: v for k, v in state.shared.items() if v.expires > now}
            state.shared[(turn.lang, turn.understanding.dedup_key)] = _Shared(
                answer_id, answer, now + self.settings.dedup_window_s, turn.engine)
        return answer_id

    def notice(self, turn: PendingTurn, answer: Answer) -> str | None:
        """The "the host will follow up" line this reply ends with, if any. Said once when the
        handoff opens (and again if they ask for a person), not on every later answer; an
        answer that already names the host (how to buy, "I'll check") needs none."""
        if turn.handoff is None or not (turn.created or turn.understanding.topic is Topic.HUMAN):
            return None
        if turn.notice_only:
            return turn.engine.handoff_notice(turn.lang)
        return None if answer.needs_host else turn.engine.handoff_notice(turn.lang)

    async def finish(self, turn: PendingTurn, answer_id: str, answer: Answer,
                     duplicate: bool) -> Reply:
        """Everything after the answer: the notice, a follow-up task for the host, the
        unanswered-questions log and the viewer's history."""
        c, u, lang = turn.comment, turn.understanding, turn.lang
        notice = self.notice(turn, answer)
        if notice is None:
            reply_text = answer.text
        else:  # a request for a person is answered by the notice alone
            reply_text = notice if turn.notice_only else join_sentences([answer.text, notice],
                                                                         lang)
        handoff, created = turn.handoff, turn.created
        if answer.needs_host and handoff is None:
            # The reply promises a follow-up ("I'll check with Mia"): the host gets the task,
            # one open per viewer, so repeated questions fold into it.
            handoff, created = await self._hand_off(
                c, turn.market, lang, turn.text, u, turn.score,
                [*turn.hist, Turn("assistant", reply_text, lang, u.topic, self.wall())],
                kind=QUESTION)
        if answer.unanswered and self.questions is not None:
            self.questions.record(market=c.market, room=c.room, viewer=c.viewer, text=turn.text,
                                  lang=lang, topic=u.topic.value, sku=u.sku)
        turn.hist.append(Turn("assistant", reply_text, lang, u.topic, self.wall()))
        return Reply(
            answer_id=answer_id, room=c.room, market=c.market, viewer=c.viewer, text=reply_text,
            lang=lang, topic=u.topic.value, sku=u.sku, source=answer.source,
            duplicate=duplicate, handoff=handoff, handoff_created=created, intent=turn.score,
            in_reply_to_ts=c.ts,
        )

    async def _ask_llm(self, market: Market, engine, text: str, lang: str, u: Understanding,
                       history: Sequence[Turn], *, merge: bool) -> Answer:
        """The same question in flight to the LLM is asked once: 200 viewers asking it in one
        second make one upstream call, and all get its (guarded) answer. The call is a task of
        this service, not of the first asker, so one viewer leaving cancels nobody's answer."""
        ctx = self.llm.understood(market, engine, text, lang, u, history)
        if not merge:
            return await self.llm.respond(ctx, engine)
        what = u.dedup_key if u.topic in _SHAREABLE else question_key(text)
        key = (market.id, id(engine), lang, what)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self.llm.respond(ctx, engine))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _hand_off(
        self, c: Comment, market: Market, lang: str, text: str, u: Understanding,
        score: IntentScore, turns: list[Turn], *, kind: str = PURCHASE,
    ) -> tuple[Handoff, bool]:
        # One line the host reads at a glance, in the host's language; the viewer's own words
        # and language follow, the transcript has the rest.
        host_lang = market.host_lang
        product = market.product(u.sku) if u.sku else None
        label = template(host_lang, "host_question" if kind == QUESTION else "host_purchase")
        summary = label
        if product:
            summary += f" - {market.text(product.name, host_lang)} ({product.sku})"
        summary += f" [{lang}]: {text[:120]}"
        reasons = list(score.reasons) if kind == PURCHASE else [
            "unanswered_question" if u.topic is Topic.UNKNOWN else "follow_up_promised"]
        # Inline, not in a thread: without fsync the commit takes tens of microseconds, less
        # than a thread hop (see handoff/store.py); with fsync on, move it off the loop.
        write = functools.partial(
            self.store.open_or_update, room=c.room, market=c.market, viewer=c.viewer,
            lang=lang, summary=summary, score=score.score, reasons=reasons, kind=kind,
            turns=[{"role": t.role, "text": t.text, "lang": t.lang, "ts": t.ts} for t in turns],
        )
        if self.settings.db_fsync:
            handoff, created = await asyncio.to_thread(write)
        else:
            handoff, created = write()
        self.feed.publish({"type": "handoff.created" if created else "handoff.updated",
                           "handoff": handoff.to_dict()})
        log.info("handoff", extra={"room": c.room, "handoff_id": handoff.id, "new": created,
                                   "kind": handoff.kind})
        return handoff, created
