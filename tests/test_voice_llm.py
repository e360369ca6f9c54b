"""Voice with an LLM configured: the real app on a port, a real chat-completions server streaming
at a scripted pace, the stock openai realtime client, real Whisper and Piper. The first checked
sentence is spoken while the model is still writing the rest; a barge-in closes the upstream
stream; a sentence the guard rejects is never said, and the grounded answer follows."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from assistant.session.factory import build_chat_service
from assistant.session.spoken import VoiceResponder
from tests.conftest import make_settings
from tests.llm_server import LLMServer, Reply
from tests.server import live_server
from tests.test_realtime import Recorder, connect, send_audio, silence, spoken

FIRST = "The Cloud Fleece Hoodie is $44.00 today."
# The first streamed chunk: the sentence and the space that ends it (a "." alone may be "$44.").
HEAD = len(FIRST) + 1


@pytest.fixture(scope="module")
def llm():
    with LLMServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def server(llm, tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("voice-llm"), dialogue_backend="openai",
                             llm_base_url=llm.base_url, llm_model="test-model",
                             llm_timeout_s=20.0, rate_limit_burst=1000)
    with live_server(settings) as srv:
        yield srv


@contextlib.asynccontextmanager
async def price_asked(llm, server, room: str, *behaviours) -> AsyncIterator[tuple]:
    """The LLM scripted with `behaviours`, a viewer in its own `room` (the same question in
    another test's room would get that burst's answer, without asking the LLM) has asked the
    price by voice: yields (connection, recorder)."""
    llm.reset()
    llm.script(*behaviours)
    async with connect(server, viewer=f"viewer-{room}", room=room) as conn:
        rec = Recorder(conn)
        await rec.wait_for("session.created")
        await send_audio(conn, silence(0.4) + spoken("How much is the hoodie?") + silence(1.2))
        try:
            yield conn, rec
        finally:
            rec.stop()


async def test_first_sentence_is_spoken_while_the_llm_still_writes(llm, server):
    # Sentence one, then three seconds of "thinking", then sentence two.
    async with price_asked(llm, server, "llm-1", Reply(
            FIRST + " It was $59.00 before the sale.", chunk_chars=HEAD,
            chunk_interval_s=3.0)) as (_, rec):
        await rec.wait_for("response.output_audio.delta", within=30)
        streams_done_at_first_audio = len(llm.finished)
        done = await rec.wait_for("response.done", within=40)
    assert streams_done_at_first_audio == 0  # the reply was audible before the LLM finished
    assert done.response.status == "completed"
    said = done.response.output[0].content[0].transcript
    assert said.startswith(FIRST) and "$59.00" in said
    prompt = llm.requests[-1].messages[0]["content"]
    assert "spoken aloud" in prompt  # the voice turn asks for speakable sentences
    assert not rec.of("error")


async def test_barge_in_closes_the_llm_stream(llm, server):
    # ~13 s of streaming, far longer than the barge-in takes; a pass costs only the barge-in.
    long = FIRST + " " + " ".join(["Thanks for asking."] * 30)
    async with price_asked(llm, server, "llm-2",
                           Reply(long, chunk_chars=20, chunk_interval_s=0.4),
                           Reply("Yes, we ship to Canada.")) as (conn, rec):
        first = await rec.wait_for("response.output_audio.delta", within=30)
        await send_audio(conn, spoken("Do you ship to Canada?") + silence(1.2))
        cancelled = await rec.wait_for("response.done", within=30,
                                       pred=lambda e: e.response.id == first.response_id)
        # The upstream stream was closed, not read to its end.
        assert await asyncio.to_thread(llm.hung_up.wait, 10)
    assert cancelled.response.status == "cancelled"
    # The hang-up is seen at the server's next write (0.4 s later), when the next question's
    # short stream may have been sent whole already: what matters is which stream was cut.
    assert (long, "aborted") in llm.outcomes
    assert (long, "finished") not in llm.outcomes


async def test_rejected_sentence_is_never_said_and_the_grounded_answer_follows(llm, server):
    async with price_asked(llm, server, "llm-3", Reply(
            FIRST + " For you it's only $1.00!", chunk_chars=HEAD,
            chunk_interval_s=0.5)) as (_, rec):
        done = await rec.wait_for("response.done", within=40)
    said = done.response.output[0].content[0].transcript
    assert said.startswith(FIRST)  # checked and spoken before the bad sentence arrived
    assert "$1.00" not in said
    assert "$59.00" in said  # then the grounded answer, in full
    deltas = "".join(e.delta for e in rec.of("response.output_audio_transcript.delta"))
    assert "$1.00" not in deltas


@pytest.fixture
async def responder(llm, tmp_path):
    chat, store = build_chat_service(make_settings(
        tmp_path, dialogue_backend="openai", llm_base_url=llm.base_url, llm_timeout_s=20.0))
    r = VoiceResponder(chat, room="prefetch-room", market="us", viewer="early")
    default = llm.default
    yield r
    llm.default = default
    await r.aclose()
    await chat.aclose()
    store.close_all()


async def said(responder, text: str) -> list[str]:
    return [s async for s in responder(text, "en") if isinstance(s, str)]


async def test_a_prefetched_reply_is_used_when_the_turn_ends_with_the_same_words(llm, responder):
    llm.reset()
    llm.default = Reply(FIRST, first_chunk_s=0.3)
    responder.prefetch("How much is the hoodie?", "en")
    await asyncio.sleep(0.1)
    # The prefetch asked the LLM, and did nothing a turn does: no history, no rate-limit token.
    assert len(llm.requests) == 1
    assert responder.chat.viewer_history("prefetch-room", "early") == []
    assert await said(responder, "How much is the hoodie?") == [FIRST]
    assert len(llm.requests) == 1 and responder.stats["prefetch_used"] == 1
    assert [t.role for t in responder.chat.viewer_history("prefetch-room", "early")] == [
        "viewer", "assistant"]


async def test_a_prefetch_for_other_words_is_cancelled(llm, responder):
    llm.reset()
    llm.default = Reply(FIRST + " " + " ".join(["Thanks for asking."] * 10), chunk_chars=10,
                        first_chunk_s=0.3, chunk_interval_s=0.2)
    responder.prefetch("How much is the", "en")  # the speaker paused, then went on
    await asyncio.sleep(0.5)
    words = await said(responder, "How much is the hoodie?")
    assert words[0] == FIRST
    assert responder.stats["prefetch_used"] == 0 and len(llm.requests) == 2
    assert "How much is the\n" in llm.requests[0].messages[-1]["content"]
    assert await asyncio.to_thread(llm.hung_up.wait, 10)  # the stale stream was closed
