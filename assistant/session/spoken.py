"""The join between chat and voice: a viewer's spoken turn is the same turn as a chat message
(language, understanding, intent, handoff, grounded or guarded LLM answer), said sentence by
sentence as soon as each one may be said.

`VoiceResponder` is what a VoiceSession calls as its `respond(text, lang)`: an async iterator of
sentences to speak and of voice events to put in the session's ordered queue (a handoff, a
refusal). With an LLM configured, each sentence is spoken once it passed the grounding guard,
while the model writes the next; with the grounded engine, the whole answer is ready at once.
Closing the iterator (a barge-in cancels the reply) closes the LLM stream with it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from assistant.dialogue import Answer
from assistant.errors import InputError
from assistant.knowledge.replies import join_sentences
from assistant.llm.base import split_sentences
from assistant.session.chat import ChatService, Comment
from assistant.session.voice_events import Error, Handoff

Said = str | Handoff | Error


class VoiceResponder:
    """One viewer's voice session in one room: `respond(text, lang)` for VoiceSession."""

    def __init__(self, chat: ChatService, *, room: str, market: str, viewer: str):
        self.chat = chat
        self.room = room
        self.market = market
        self.viewer = viewer

    async def __call__(self, text: str, lang: str) -> AsyncIterator[Said]:
        chat = self.chat
        try:
            turn = await chat.begin(Comment(self.room, self.market, self.viewer, text,
                                            lang=lang))
        except InputError as e:  # e.g. rate-limited: say nothing, tell the client why
            yield Error(e.code, str(e))
            return
        if turn.handoff is not None:
            yield Handoff(turn.handoff.id, turn.created)
        dialogue = chat.llm
        streams = (dialogue is not None and dialogue.backend is not None
                   and not turn.notice_only and chat.shared_answer(turn) is None)
        if not streams:
            answer_id, answer, duplicate = await chat.answer(turn)
            reply = await chat.finish(turn, answer_id, answer, duplicate)
            for sentence in split_sentences(reply.text):
                yield sentence
        else:
            said: list[str] = []
            answer: Answer | None = None
            ctx = dialogue.understood(turn.market, turn.engine, turn.text, turn.lang,
                                      turn.understanding, turn.past, spoken=True)
            async with contextlib.aclosing(dialogue.stream_sentences(ctx, turn.engine)) as steps:
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

