"""The LLM dialogue contract: what a backend is given (DialogueContext), what it must implement
(one hook, `LLMBackend._stream`), and what the base class does for every backend: the overall
and time-to-first-token deadlines, one retry of retryable failures before the first token,
translation of every failure into BackendError, and metrics.

Also the protocol of the grounded answer engine (AnswerSource), which supplies the
understanding and facts an LLM is given and the answer used whenever the LLM can't be trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from prometheus_client import Counter, Histogram
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from assistant.dialogue import Answer, Turn, Understanding
from assistant.errors import BackendError
from assistant.knowledge.market import Market
from assistant.llm.guard import GuardResult, check_reply
from assistant.metrics import metric

log = logging.getLogger(__name__)


class AnswerSource(Protocol):
    """The grounded answer engine (assistant.knowledge.grounded.GroundedEngine), one per market."""

    def understand(
        self,
        text: str,
        lang: str,
        *,
        on_stage_sku: str | None = None,
        history: Sequence[Turn] = (),
    ) -> Understanding: ...

    def answer(self, understanding: Understanding, lang: str) -> Answer: ...

    def facts(self, understanding: Understanding, lang: str) -> list[str]: ...

    def handoff_notice(self, lang: str) -> str: ...

    def fallback_text(self, lang: str) -> str: ...


@dataclass(frozen=True, slots=True)
class DialogueContext:
    """Everything one LLM reply is built from."""

    market: Market
    text: str  # the viewer's message: untrusted
    lang: str  # reply language
    understanding: Understanding
    facts: Sequence[str]  # fact lines from the market data; the only facts the reply may state
    history: Sequence[Turn] = ()  # this viewer's recent turns, oldest first
    spoken: bool = False  # the reply will be spoken: short, no lists or markup


class LLMError(BackendError):
    """A BackendError from an LLM backend, with the failure `kind` used in metrics and logs:
    timeout | connection | rate_limit | server | auth | bad_request | protocol | unexpected."""

    def __init__(self, message: str, *, kind: str, retryable: bool = False):
        super().__init__(message, retryable=retryable)
        self.kind = kind


class DialogueTimeout(LLMError):
    """The reply did not start, or did not finish, within the backend's deadline. Not retried:
    the time is spent."""

    def __init__(self, message: str):
        super().__init__(message, kind="timeout", retryable=False)


# ---------------------------------------------------------------------------------------------
# Metrics. Modules can be imported twice in one process (tests, reloads); registering the same
# name twice raises, so reuse what is already registered.



_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
LLM_FIRST_TOKEN = metric(
    Histogram, "assistant_llm_first_token_seconds", "Time from request to first LLM token.",
    ("backend",), buckets=_LATENCY_BUCKETS,
)
LLM_DURATION = metric(
    Histogram, "assistant_llm_reply_seconds", "Time from request to the end of an LLM reply.",
    ("backend", "outcome"), buckets=_LATENCY_BUCKETS,
)
LLM_ERRORS = metric(
    Counter, "assistant_llm_errors_total", "LLM backend failures by kind.", ("backend", "kind")
)
LLM_RETRIES = metric(
    Counter, "assistant_llm_retries_total", "LLM requests retried before the first token.",
    ("backend",),
)
GUARD_REJECTIONS = metric(
    Counter, "assistant_llm_guard_rejections_total",
    "LLM replies rejected by the grounding guard, by the kind of figure.", ("market", "kind"),
)
FALLBACKS = metric(
    Counter, "assistant_llm_fallbacks_total",
    "Replies answered by the grounded engine instead of the LLM, by reason.", ("reason",),
)


# ---------------------------------------------------------------------------------------------


class _Clock:
    """A deadline that does not run while the consumer holds a chunk: only time spent waiting
    for the backend counts, so a slow reader (TTS speaking a sentence) never times the LLM out."""

    def __init__(self, budget_s: float):
        self._loop = asyncio.get_running_loop()
        self.start = self._loop.time()
        self.deadline = self.start + budget_s

    def now(self) -> float:
        return self._loop.time()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        t0 = self._loop.time()
        try:
            yield
        finally:
            self.deadline += self._loop.time() - t0


_T = TypeVar("_T")


async def next_before(it: AsyncIterator[_T], deadline: float) -> _T:
    """`anext(it)`, or TimeoutError at loop time `deadline`. The timeout scope covers only this
    await, never a `yield` of the caller (a scope across a yield would cancel the consumer)."""
    async with asyncio.timeout_at(deadline):
        return await anext(it)


class LLMBackend(ABC):
    """A dialogue backend. Providers implement `_stream`; callers use `stream_reply` / `reply`.

    `_stream(ctx)` yields text deltas and raises BackendError (ideally LLMError with a kind) for
    provider failures; anything else it raises is reported as an unexpected, non-retryable
    BackendError. It must not retry by itself: the base class retries once, before the first
    token, within the deadline.
    """

    name: str = "llm"
    max_retries: int = 1

    def __init__(self, *, timeout_s: float, first_token_timeout_s: float | None = None):
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.timeout_s = timeout_s
        self.first_token_timeout_s = min(first_token_timeout_s or timeout_s, timeout_s)

    @abstractmethod
    def _stream(self, ctx: DialogueContext) -> AsyncIterator[str]:
        """Yield the reply's text deltas (an async generator)."""

    async def aclose(self) -> None:
        """Release connections. Safe to call more than once."""
        return None

    async def stream_reply(self, ctx: DialogueContext) -> AsyncIterator[str]:
        """Yield the reply's non-empty text deltas. Raises BackendError (LLMError; a
        DialogueTimeout when a deadline passes). Close it (`contextlib.aclosing`) when stopping
        early so the upstream request is cancelled at once."""
        clock = _Clock(self.timeout_s)
        first_deadline = clock.start + self.first_token_timeout_s
        outcome = "cancelled"
        it: AsyncIterator[str] | None = None
        try:
            it, first = await self._open(ctx, clock, first_deadline)
            LLM_FIRST_TOKEN.labels(self.name).observe(clock.now() - clock.start)
            if first is not None:
                with clock.paused():
                    yield first
                while (chunk := await self._next(it, clock.deadline, "finish")) is not None:
                    if chunk:
                        with clock.paused():
                            yield chunk
            outcome = "ok"
        except BackendError as e:
            kind = getattr(e, "kind", "error")
            outcome = kind
            LLM_ERRORS.labels(self.name, kind).inc()
            raise
        finally:
            if it is not None:
                await _aclose(it)
            LLM_DURATION.labels(self.name, outcome).observe(clock.now() - clock.start)

    async def reply(self, ctx: DialogueContext) -> str:
        """The whole reply text."""
        parts = []
        async with contextlib.aclosing(self.stream_reply(ctx)) as chunks:
            async for chunk in chunks:
                parts.append(chunk)
        return "".join(parts)

    # --- internals

    async def _open(
        self, ctx: DialogueContext, clock: _Clock, first_deadline: float
    ) -> tuple[AsyncIterator[str], str | None]:
        """Start the provider stream and wait for its first non-empty delta (None: the reply is
        empty), retrying retryable failures while time remains."""

        def out_of_time(state: RetryCallState) -> bool:
            return clock.now() >= first_deadline

        def before_sleep(state: RetryCallState) -> None:
            LLM_RETRIES.labels(self.name).inc()
            exc = state.outcome.exception() if state.outcome else None
            log.info("llm request retried", extra={"backend": self.name, "error": str(exc)})

        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + self.max_retries) | out_of_time,
            wait=wait_random_exponential(multiplier=0.05, max=0.25),
            retry=retry_if_exception(_is_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                it = self._stream(ctx)
                try:
                    while (first := await self._next(it, first_deadline, "start")) == "":
                        pass
                except BaseException:
                    await _aclose(it)
                    raise
                return it, first
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _next(self, it: AsyncIterator[str], deadline: float, phase: str) -> str | None:
        """The next delta, None at the end; every failure becomes a BackendError."""
        try:
            return await next_before(it, deadline)
        except StopAsyncIteration:
            return None
        except TimeoutError as e:
            if asyncio.get_running_loop().time() >= deadline:
                raise DialogueTimeout(f"{self.name}: reply did not {phase} in time") from e
            raise LLMError(f"{self.name}: {e}", kind="timeout", retryable=True) from e
        except BackendError:
            raise
        except Exception as e:  # a provider bug or an SDK error the provider did not translate
            raise LLMError(f"{self.name}: {type(e).__name__}: {e}", kind="unexpected") from e


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.retryable


async def _aclose(it: AsyncIterator[Any]) -> None:
    close: Callable[[], Any] | None = getattr(it, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


# ---------------------------------------------------------------------------------------------
# Guarded dialogue: the LLM's reply if the grounding guard accepts it, else the grounded answer.

_SENTENCE_END = re.compile(r"(?<=[.!?…؟])\s+|(?<=[。！？])|\n+")


class SentenceSplitter:
    """Cuts streamed text into complete sentences. A "." only ends a sentence once whitespace
    follows, so "$44." + "00" is never cut inside the price."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, chunk: str) -> list[str]:
        self._buf += chunk
        out, start = [], 0
        for m in _SENTENCE_END.finditer(self._buf):
            if m.end() >= len(self._buf) and not m.group(0):
                break  # a CJK stop at the very end: a closing quote may still follow
            sentence = self._buf[start : m.start()].strip()
            if sentence:
                out.append(sentence)
            start = m.end()
        self._buf = self._buf[start:]
        return out

    def flush(self) -> str:
        rest, self._buf = self._buf.strip(), ""
        return rest


def split_sentences(text: str) -> list[str]:
    """A whole reply cut into the sentences that are spoken one after another."""
    splitter = SentenceSplitter()
    return [s for s in [*splitter.feed(text), splitter.flush()] if s.strip()]


@dataclass(frozen=True, slots=True)
class ReplyEvent:
    """One step of a guarded reply stream.

    - `answer is None`: `text` is more reply text (a raw chunk from `stream`, or one complete,
      guard-checked sentence from `stream_sentences`).
    - `answer is not None`: the last event. If `replace` is False the LLM reply stood and `text`
      is empty. If `replace` is True the LLM reply was dropped (guard, timeout, error, empty):
      `text` is the grounded answer, to show instead of anything shown so far (chat), or to say
      next (voice: what was already said passed the guard). `fallback_reason` says why.
    """

    text: str
    replace: bool = False
    answer: Answer | None = None
    fallback_reason: str | None = None


class GuardedDialogue:
    """Answers a viewer with the LLM when one is configured and its reply passes the grounding
    guard, else with the grounded engine. Never raises for a backend failure, and always answers
    within `backend.timeout_s + slack_s` of waiting on the backend, even if it hangs mid-stream.

    With `backend=None` (dialogue_backend = "grounded") it returns the grounded answer, so the
    session code has one path for every configuration.
    """

    def __init__(
        self,
        backend: LLMBackend | None,
        *,
        slack_s: float = 0.5,
        guard: Callable[..., GuardResult] = check_reply,
    ):
        self.backend = backend
        self.slack_s = slack_s
        self._guard = guard

    @staticmethod
    def context(
        engine: AnswerSource,
        market: Market,
        text: str,
        lang: str,
        *,
        history: Sequence[Turn] = (),
        on_stage_sku: str | None = None,
        spoken: bool = False,
    ) -> DialogueContext:
        """Understand `text` with the grounded engine and gather the facts for the LLM."""
        understanding = engine.understand(text, lang, on_stage_sku=on_stage_sku, history=history)
        return DialogueContext(
            market=market, text=text, lang=lang, understanding=understanding,
            facts=tuple(engine.facts(understanding, lang)), history=tuple(history), spoken=spoken,
        )

    @staticmethod
    def understood(
        market: Market,
        engine: AnswerSource,
        text: str,
        lang: str,
        understanding: Understanding,
        history: Sequence[Turn] = (),
        *,
        spoken: bool = False,
    ) -> DialogueContext:
        """The context of a message already understood: the facts the LLM may use."""
        return DialogueContext(
            market=market, text=text, lang=lang, understanding=understanding,
            facts=tuple(engine.facts(understanding, lang)), history=tuple(history), spoken=spoken,
        )

    async def respond(self, ctx: DialogueContext, engine: AnswerSource) -> Answer:
        """The final answer (source "llm", "grounded" or "fallback")."""
        async with contextlib.aclosing(self._run(ctx, engine, by_sentence=False)) as events:
            async for event in events:
                if event.answer is not None:
                    return event.answer
        raise AssertionError("unreachable: the last event always carries the answer")

    def stream(self, ctx: DialogueContext, engine: AnswerSource) -> AsyncIterator[ReplyEvent]:
        """Raw LLM chunks as they arrive (not yet checked: provisional), then the final event;
        the whole reply is checked at the end. For chat display."""
        return self._run(ctx, engine, by_sentence=False)

    def stream_sentences(
        self, ctx: DialogueContext, engine: AnswerSource
    ) -> AsyncIterator[ReplyEvent]:
        """Complete sentences, each yielded only after it passed the guard; at the first that
        fails (or a timeout or error) the stream stops with the grounded answer. For voice:
        everything it yields may be spoken."""
        return self._run(ctx, engine, by_sentence=True)

    # --- internals

    def _grounded(self, ctx: DialogueContext, engine: AnswerSource) -> Answer:
        try:
            return engine.answer(ctx.understanding, ctx.lang)
        except Exception:
            # The viewer still gets a reply: the engine's fixed "the host will follow up" line.
            log.exception("grounded engine failed", extra={"market": ctx.market.id})
            return Answer(
                engine.fallback_text(ctx.lang), ctx.lang, ctx.understanding, source="fallback",
                needs_host=True, unanswered=True,
            )

    def _check(self, ctx: DialogueContext, text: str) -> str | None:
        result = self._guard(ctx.market, text, facts=ctx.facts, viewer_text=ctx.text,
                             lang=ctx.lang, sku=ctx.understanding.sku)
        if result.ok:
            return None
        for kind in result.kinds:
            GUARD_REJECTIONS.labels(ctx.market.id, kind).inc()
        return "guard: " + "; ".join(result.reasons)

    async def _run(
        self, ctx: DialogueContext, engine: AnswerSource, *, by_sentence: bool
    ) -> AsyncIterator[ReplyEvent]:
        grounded = self._grounded(ctx, engine)
        if self.backend is None:
            yield ReplyEvent(grounded.text, answer=grounded)
            return
        clock = _Clock(self.backend.timeout_s + self.slack_s)
        parts: list[str] = []
        splitter = SentenceSplitter()
        reason: str | None = None
        try:
            async with contextlib.aclosing(self.backend.stream_reply(ctx)) as chunks:
                while reason is None:
                    try:
                        chunk = await next_before(chunks, clock.deadline)
                    except StopAsyncIteration:
                        break
                    parts.append(chunk)
                    pieces = splitter.feed(chunk) if by_sentence else [chunk]
                    for piece in pieces:
                        if by_sentence and (reason := self._check(ctx, piece)):
                            break
                        with clock.paused():
                            yield ReplyEvent(piece)
        except TimeoutError:
            reason = "deadline: the backend ignored its own timeout"
        except BackendError as e:
            reason = f"{getattr(e, 'kind', 'error')}: {e}"
        except Exception as e:  # a bug must still leave the viewer with an answer
            log.exception("guarded dialogue failed", extra={"market": ctx.market.id})
            reason = f"unexpected: {type(e).__name__}"
        text = "".join(parts).strip()
        if reason is None:
            rest = splitter.flush() if by_sentence else text
            if not text:
                reason = "empty: the model returned no text"
            elif rest:
                reason = self._check(ctx, rest)
                if reason is None and by_sentence:
                    yield ReplyEvent(rest)
        if reason is None:
            answer = Answer(
                text, ctx.lang, ctx.understanding, source="llm", needs_host=grounded.needs_host,
                unanswered=grounded.unanswered, facts=tuple(ctx.facts),
            )
            yield ReplyEvent("", answer=answer)
            return
        kind = reason.split(":", 1)[0]
        FALLBACKS.labels(kind).inc()
        # The detail quotes model output: debug only (style: no reply text at INFO).
        log.info("llm reply replaced", extra={"market": ctx.market.id, "reason": kind})
        log.debug("llm reply replaced", extra={"market": ctx.market.id, "detail": reason})
        fallback = replace(grounded, source="fallback")
        yield ReplyEvent(fallback.text, replace=True, answer=fallback, fallback_reason=reason)
