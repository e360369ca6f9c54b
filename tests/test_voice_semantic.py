"""semantic_vad in a real VoiceSession: webrtcvad + Silero + the real Smart Turn model on real
recordings (fake STT/TTS/dialogue, virtual clock as in test_voice_session.py). Each model
answer is awaited before the next 30 ms of audio, so the timeline is deterministic."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from assistant.audio.pcm import float_to_pcm16
from assistant.audio.turn_model import SmartTurn
from assistant.errors import InputError
from assistant.session.turns import TurnSettings
from assistant.session.voice_events import InputCommitted, ResponseDone
from tests.test_voice_session import FakeSTT, Harness, read_wav


@pytest.fixture(scope="module")
def smart_turn() -> SmartTurn:
    return SmartTurn()


async def feed(h: Harness, audio16: np.ndarray) -> None:
    step = 16000 * 30 // 1000
    for i in range(0, len(audio16), step):
        chunk = audio16[i: i + step]
        await h.session.push_audio(float_to_pcm16(chunk))
        await h.clock.advance(len(chunk) / 16000)
        for _ in range(400):  # the model's answer, before more audio arrives
            task = h.session.listener._checking
            if task is None or task.done():
                break
            await asyncio.sleep(0.005)


def harness(smart_turn, kind: str, said: str = "how much is the blue hoodie") -> Harness:
    """`said`: what the fake STT hears at every pause (real Whisper closes a finished
    sentence with a mark and leaves one the speaker is still in open)."""
    return Harness(input_rate=16000, turn_model=smart_turn, stt=FakeSTT(said),
                   turn_detection=TurnSettings(type=kind), languages=("en", "es"))


async def endpointing(smart_turn, name: str, kind: str, **said: str) -> tuple[int, float]:
    """(turns, silence from the end of speech to the end of the turn, ms) for a recording."""
    async with harness(smart_turn, kind, **said) as h:
        await feed(h, np.zeros(8000, np.float32))
        await feed(h, read_wav(name))
        await feed(h, np.zeros(16000 * 3, np.float32))
        await h.until(lambda: h.of(ResponseDone))
    return len(h.of(InputCommitted)), h.of(ResponseDone)[0].timings_ms["endpointing_ms"]


@pytest.mark.parametrize("name", ["speech_leopard_en.wav", "stt_leopard_de.wav",
                                  "stt_google_brooklyn_en.wav"])
async def test_a_finished_sentence_ends_sooner_with_the_model(smart_turn, name):
    turns, fixed = await endpointing(smart_turn, name, "server_vad")
    assert turns == 1 and fixed >= 500
    closed = "How much is the blue hoodie?"
    turns, semantic = await endpointing(smart_turn, name, "semantic_vad", said=closed)
    assert turns == 1 and 200 <= semantic <= 400  # the first check, 200 ms of silence
    # Words Whisper left open settle first, whatever the audio model says.
    turns, unclosed = await endpointing(smart_turn, name, "semantic_vad")
    assert turns == 1 and unclosed == TurnSettings().settle_open_ms + 20  # + the frame it ends in


async def test_a_sentence_with_pauses_inside_is_one_turn(smart_turn):
    # Leopard's Spanish sample pauses mid-sentence ("las arenas son blanquecinas ... de
    # grano medio y ..."): a 500 ms window cut it into 3 turns.
    turns, _ = await endpointing(smart_turn, "stt_leopard_es.wav", "server_vad")
    assert turns == 3
    turns, _ = await endpointing(smart_turn, "stt_leopard_es.wav", "semantic_vad")
    assert turns == 1


async def test_semantic_vad_without_the_model_is_refused_naming_the_install_command():
    async with Harness() as h:
        with pytest.raises(InputError, match="python -m assistant.audio.turn_model"):
            h.session.update(type="semantic_vad")
        with pytest.raises(InputError, match="eagerness"):
            h.session.update(eagerness="very")


async def test_update_switches_to_semantic_vad_and_back(smart_turn):
    async with Harness(turn_model=smart_turn) as h:
        h.session.update(type="semantic_vad", eagerness="high")
        assert h.session.turns.settings.semantic and h.session.turns.settings.eagerness == "high"
        assert h.session.turns.model_available
        h.session.update(type="server_vad")
        assert not h.session.turns.settings.semantic
    # A market in languages the model does not know: the adaptive window decides.
    async with Harness(turn_model=smart_turn, languages=("th", "ms")) as h:
        h.session.update(type="semantic_vad")
        assert not h.session.turns.model_available
