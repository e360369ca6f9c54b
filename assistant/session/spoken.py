"""The join between chat and voice: a viewer's spoken turn is the same turn as a chat message
(language, understanding, intent, handoff, grounded or guarded LLM answer), said sentence by
sentence as soon as each one may be said.

`VoiceResponder` is what a VoiceSession calls as its `respond(text, lang)`: an async iterator of
sentences to speak and of voice events to put in the session's ordered queue (a handoff, a
refusal). With an LLM configured, each sentence is spoken once it passed the grounding guard,
while the model writes the next; with the grounded engine, the whole answer is ready at once.
Closing the iterator (a barge-in cancels the reply) closes the LLM stream with it.

`prefetch(text, lang)` starts the LLM on a transcript taken at the speaker's first pause, before
the end of the turn is certain (LiveKit calls it preemptive generation): an LLM's first sentence
takes longer than the silence that confirms the turn. Nothing of the turn happens then (no rate
limit, history or handoff); if the turn ends with the same words, in the same state, its reply
continues from what was prefetched, else the prefetch is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from assistant.dialogue import Answer
from assistant.errors import InputError
from assistant.knowledge.replies import join_sentences
from assistant.llm.base import DialogueContext, ReplyEvent, split_sentences
from assistant.session.chat import ChatService, Comment
from assistant.session.voice_events import Error, Handoff

Said = str | Handoff | Error


@dataclass(slots=True)
class _Prefetch:
    key: tuple  # what the reply depends on: text, language, engine, product on stage, history
    steps: asyncio.Queue[ReplyEvent | BaseException]
    task: asyncio.Task[None]


class VoiceResponder:
    """One viewer's voice session in one room: `respond(text, lang)` for VoiceSession."""

    def __init__(self, chat: ChatService, *, room: str, market: str, viewer: str):
        self.chat = chat
        self.room = room
        self.market = market
        self.viewer = viewer
        self._prefetched: _Prefetch | None = None  # owned here; cancelled by aclose()
        self.stats = {"prefetched": 0, "prefetch_used": 0}

    async def aclose(self) -> None:
        self._drop()

    def prefetch(self, text: str, lang: str) -> None:
        self._drop()
        dialogue = self.chat.llm
        if dialogue is None or dialogue.backend is None:
            return  # the grounded engine answers at once: nothing to win
        seen = self.chat.preview(Comment(self.room, self.market, self.viewer, text, lang=lang))
        if seen is None:
            return
        market, engine, understanding, past = seen
        ctx = dialogue.understood(market, engine, text, lang, understanding, past, spoken=True)
        steps: asyncio.Queue[ReplyEvent | BaseException] = asyncio.Queue()
        task = asyncio.ensure_future(self._pump(ctx, engine, steps))
        self._prefetched = _Prefetch(self._key(ctx, engine), steps, task)
        self.stats["prefetched"] += 1

    @staticmethod
    def _key(ctx: DialogueContext, engine: object) -> tuple:
        return (ctx.text, ctx.lang, id(engine), ctx.understanding, len(ctx.history))

    async def _pump(self, ctx: DialogueContext, engine: object,
                    steps: asyncio.Queue[ReplyEvent | BaseException]) -> None:
        try:
            async with contextlib.aclosing(self.chat.llm.stream_sentences(ctx, engine)) as it:
                async for step in it:
                    steps.put_nowait(step)
        except Exception as e:  # a bug: the reply that takes this prefetch raises it
            steps.put_nowait(e)

    def _drop(self) -> None:
        if self._prefetched is not None:
            self._prefetched.task.cancel()
            self._prefetched = None

    async def _steps(self, ctx: DialogueContext, engine: object) -> AsyncIterator[ReplyEvent]:
        """The guarded sentence stream for ctx: the prefetched one if it is for this reply."""
        ahead, self._prefetched = self._prefetched, None
        if ahead is not None and ahead.key == self._key(ctx, engine):
            self.stats["prefetch_used"] += 1
            try:
                while True:
                    step = await ahead.steps.get()
                    if isinstance(step, BaseException):
                        raise step
                    yield step
                    if step.answer is not None:
                        return
            finally:
                ahead.task.cancel()  # closed early (barge-in): the upstream stream closes
        if ahead is not None:
            ahead.task.cancel()
        async with contextlib.aclosing(self.chat.llm.stream_sentences(ctx, engine)) as it:
            async for step in it:
                yield step

    async def __call__(self, text: str, lang: str) -> AsyncIterator[Said]:
        chat = self.chat
        try:
            turn = await chat.begin(Comment(self.room, self.market, self.viewer, text,
                                            lang=lang))
        except InputError as e:  # e.g. rate-limited: say nothing, tell the client why
            self._drop()
            yield Error(e.code, str(e))
            return
        if turn.handoff is not None:
            yield Handoff(turn.handoff.id, turn.created)
        dialogue = chat.llm
        streams = (dialogue is not None and dialogue.backend is not None
                   and not turn.notice_only and chat.shared_answer(turn) is None)
        if not streams:
            self._drop()
            answer_id, answer, duplicate = await chat.answer(turn)
            reply = await chat.finish(turn, answer_id, answer, duplicate)
            for sentence in split_sentences(reply.text):
                yield sentence
        else:
            said: list[str] = []
            answer: Answer | None = None
            ctx = dialogue.understood(turn.market, turn.engine, turn.text, turn.lang,
                                      turn.understanding, turn.past, spoken=True)
            async with contextlib.aclosing(self._steps(ctx, turn.engine)) as steps:
                async for step in steps:
                    # Each sentence passed the guard; a replacement is the grounded answer, said
                    # next (what was already said had passed the guard too).
                    pieces = [step.text] if step.answer is None else (
                        split_sentences(step.text) if step.replace else [])
                    for sentence in pieces:
                        said.append(sentence)
                        yield sentence
                    if step.answer is not None:
                        answer = step.answer
            if answer is None:  # the stream always ends with its answer; a bug if not
                raise RuntimeError("the guarded sentence stream ended without an answer")
            answer_id = chat.share(turn, answer)  # a later asker in the burst gets it whole
            spoken = replace(answer, text=join_sentences(said, turn.lang))
            notice = chat.notice(turn, spoken)
            reply = await chat.finish(turn, answer_id, spoken, False)
            for sentence in split_sentences(notice or ""):
                yield sentence
        if reply.handoff is not None and turn.handoff is None:
            yield Handoff(reply.handoff.id, reply.handoff_created)  # a follow-up for the host

