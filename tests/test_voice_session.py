"""VoiceSession end to end with real webrtcvad + Silero on real recordings (speech, noise,
music), fake STT/TTS/dialogue, and a virtual clock: 1 s of audio takes far less than 1 s."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soxr

from assistant.audio.pcm import float_to_pcm16, pcm16_to_float
from assistant.errors import InputError
from assistant.session.voice import VoiceOptions, VoiceSession
from assistant.session.voice_events import (
    AudioOut,
    AudioTranscriptDelta,
    Error,
    InputCommitted,
    ItemTruncated,
    ResponseCreated,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
    TranscriptCompleted,
    TranscriptDelta,
)

AUDIO = Path(__file__).parent / "data" / "audio"
NOISE_AND_MUSIC = sorted(p.name for p in AUDIO.glob("noise_*.wav")) + sorted(
    p.name for p in AUDIO.glob("music_*.wav"))
SENTENCES = ["The blue hoodie is 39 dollars.", "It ships to Brazil in five days.",
             "Returns are free for thirty days."]


def read_wav(name: str) -> np.ndarray:
    with wave.open(str(AUDIO / name)) as w:
        return pcm16_to_float(w.readframes(w.getnframes()))


SPEECH = read_wav("speech_leopard_en.wav")
SPEECH_ONSET_MS = 600  # Silero and webrtcvad agree speech starts at 0.6 s in this file


class VirtualClock:
    """Time moves only when the test says so; sleepers wake in deadline order."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._ids), fut))
        await fut

    async def advance(self, seconds: float) -> None:
        target = self.now + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            t, _, fut = heapq.heappop(self._sleepers)
            self.now = max(self.now, t)
            if not fut.done():
                fut.set_result(None)
                await settle()
        self.now = target
        await settle()


async def settle() -> None:
    for _ in range(4):
        await asyncio.sleep(0)


class FakeSTT:
    sample_rate = 16000

    def __init__(self, text: str = "how much is the blue hoodie", fail: bool = False):
        self.text = text
        self.fail = fail
        self.calls: list[tuple[int, bool]] = []  # (samples, interim)

    def transcribe(self, audio, *, languages=None, interim=False):
        self.calls.append((len(audio), interim))
        if self.fail:
            raise RuntimeError("model exploded")
        return SimpleNamespace(text=self.text, lang="en", lang_probability=0.99,
                               audio_s=len(audio) / 16000, timings_ms={})


class FakeTTS:
    """2 s of a 220 Hz tone per sentence, in 100 ms chunks, at 22,050 Hz."""

    sample_rate = 22050

    def __init__(self, seconds: float = 2.0, fail: bool = False):
        self.seconds = seconds
        self.fail = fail
        self.closed = 0
        self.threads: set[str] = set()

    def synthesize(self, text, lang):
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("voice missing")
        step = self.sample_rate // 10
        n = int(self.sample_rate * self.seconds)
        t = np.arange(n) / self.sample_rate
        pcm = float_to_pcm16(0.3 * np.sin(2 * np.pi * 220 * t))
        try:
            for i in range(0, n, step):
                yield pcm[2 * i : 2 * (i + step)]
        finally:
            self.closed += 1


class Dialogue:
    def __init__(self, sentences=SENTENCES):
        self.sentences = sentences
        self.asked: list[tuple[str, str]] = []
        self.closed = 0

    async def __call__(self, text: str, lang: str):
        self.asked.append((text, lang))
        try:
            for s in self.sentences:
                await asyncio.sleep(0)
                yield s
        finally:
            self.closed += 1


class Harness:
    def __init__(self, *, input_rate=24000, stt=None, tts=None, dialogue=None, **opts):
        self.clock = VirtualClock()
        self.stt = stt or FakeSTT()
        self.tts = tts or FakeTTS()
        self.dialogue = dialogue or Dialogue()
        self.input_rate = input_rate
        self.session = VoiceSession(
            VoiceOptions(input_rate=input_rate, output_rate=24000, **opts),
            stt=self.stt, tts=self.tts, respond=self.dialogue,
            clock=self.clock, sleep=self.clock.sleep)
        self.events: list[tuple[float, object]] = []

    async def __aenter__(self):
        await self.session.__aenter__()
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc):
        await self.session.aclose()
        await asyncio.wait_for(self._reader, 2)

    async def _read(self):
        async for ev in self.session.events():
            self.events.append((self.clock.now, ev))

    async def feed(self, audio16: np.ndarray, chunk_ms: int = 30) -> None:
        """Push 16 kHz float audio at the wire rate in real-time-sized chunks."""
        x = audio16 if self.input_rate == 16000 else soxr.resample(audio16, 16000,
                                                                    self.input_rate)
        step = self.input_rate * chunk_ms // 1000
        for i in range(0, len(x), step):
            await self.session.push_audio(float_to_pcm16(x[i : i + step]))
            await self.clock.advance(len(x[i : i + step]) / self.input_rate)

    async def silence(self, seconds: float) -> None:
        await self.feed(np.zeros(int(16000 * seconds), dtype=np.float32))

    async def idle(self, seconds: float, step: float = 0.05) -> None:
        """Let wall time pass without input audio (the client stops streaming)."""
        for _ in range(int(seconds / step)):
            await self.clock.advance(step)

    def of(self, kind):
        return [ev for _, ev in self.events if isinstance(ev, kind)]

    def audio_ms(self, response_id: str | None = None) -> float:
        return sum(len(e.pcm) for e in self.of(AudioOut)
                   if response_id in (None, e.response_id)) / 2 / 24000 * 1000

    async def until(self, pred, seconds: float = 15.0) -> None:
        for _ in range(int(seconds / 0.05)):
            if pred():
                return
            await self.clock.advance(0.05)
            await asyncio.sleep(0.0005)  # let STT/TTS threads hand over
        raise AssertionError("condition not reached")

    async def start_reply(self) -> str:
        """A real spoken question, answered; returns when reply audio is flowing."""
        await self.feed(SPEECH)
        await self.silence(0.6)
        await self.until(lambda: len(self.of(AudioOut)) >= 3)
        return self.of(ResponseCreated)[0].response_id


async def test_real_speech_turn_is_transcribed_and_answered_in_order():
    async with Harness() as h:
        await h.silence(0.5)
        await h.feed(SPEECH)
        await h.silence(1.0)
        await h.until(lambda: h.of(ResponseDone))
    kinds = [type(ev).__name__ for _, ev in h.events if not isinstance(ev, AudioOut)]
    # No TranscriptDelta: live captions are off by default (test_interim_transcripts_...).
    assert kinds[:6] == ["SpeechStarted", "SpeechStopped", "InputCommitted",
                         "TranscriptCompleted", "ResponseCreated", "AudioTranscriptDelta"]
    started, stopped = h.of(SpeechStarted)[0], h.of(SpeechStopped)[0]
    onset = 500 + SPEECH_ONSET_MS
    assert started.audio_start_ms == pytest.approx(onset - 300, abs=90)  # pre-roll kept
    speech_end = 500 + len(SPEECH) / 16
    assert speech_end <= stopped.audio_end_ms <= speech_end + 800
    # The STT got the turn from its pre-roll, at its own rate, started speculatively at each
    # pause (speculate_ms of silence); the transcript used is the one from the last pause,
    # which ends (silence_duration - speculate_ms) before the turn was closed.
    final = [n for n, interim in h.stt.calls if not interim]
    early = (stopped.audio_end_ms - started.audio_start_ms - (500 - 150)) * 16
    assert final[-1] == pytest.approx(early, abs=16 * 60)
    assert len(final) <= 3  # a pause or two inside the sentence, not one call per frame
    assert h.of(TranscriptCompleted)[0].text == "how much is the blue hoodie"
    assert h.dialogue.asked == [("how much is the blue hoodie", "en")]
    assert [e.delta.strip() for e in h.of(AudioTranscriptDelta)] == SENTENCES
    done = h.of(ResponseDone)[0]
    assert done.status == "completed" and done.text == " ".join(SENTENCES)
    assert {"endpointing_ms", "stt_ms", "dialogue_first_sentence_ms", "tts_first_chunk_ms",
            "voice_to_voice_ms"} <= set(done.timings_ms)
    assert done.timings_ms["endpointing_ms"] >= 500
    assert h.audio_ms() == pytest.approx(6000, abs=60)
    assert all(len(e.pcm) <= 24000 * 2 // 10 for e in h.of(AudioOut))


async def test_reply_audio_is_paced_at_real_time_plus_lead():
    async with Harness() as h:
        await h.start_reply()
        await h.until(lambda: h.of(ResponseDone))
    outs = [(t, len(e.pcm) / 48) for t, e in h.events if isinstance(e, AudioOut)]
    t0, sent = outs[0][0], 0.0
    for t, ms in outs:
        sent += ms
        assert sent <= (t - t0) * 1000 + 200 + 50 + 1  # lead + one chunk
    assert (outs[-1][0] - t0) * 1000 >= 6000 - 300


@pytest.mark.parametrize("name", NOISE_AND_MUSIC)
async def test_noise_and_music_while_speaking_never_cancel_the_reply(name):
    noise = read_wav(name)
    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        await h.start_reply()
        # What real Whisper makes of these files: no words (its no-speech guard, bench/stt.py);
        # a burst the VAD hears as speech is then judged by them and dismissed.
        stt.text = ""
        await h.feed(noise)
        await h.until(lambda: h.of(ResponseDone))
        stats = h.session.stats
    assert h.session.stats["barge_ins"] == 0
    assert len(h.of(SpeechStarted)) == 1  # only the question
    done = h.of(ResponseDone)[0]
    assert done.status == "completed" and not h.of(ItemTruncated)
    assert h.audio_ms() == pytest.approx(6000, abs=60)  # nothing lost to pauses
    assert stats["pauses"] == stats["resumes"]


async def test_words_heard_once_in_a_song_do_not_cancel_the_reply():
    """Whisper makes out a sung line in one hearing and nothing in the next (bench/voice.py:
    "Let's Go Fishin'" at 105 s): an interruption needs words in two hearings in a row."""

    class OnceSTT(FakeSTT):
        def transcribe(self, audio, *, languages=None, interim=False):
            out = super().transcribe(audio, languages=languages, interim=interim)
            heard, self.text = self.text, ""
            return SimpleNamespace(**{**vars(out), "text": heard})

    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        await h.start_reply()
        await h.silence(0.5)
        h.session.hearing.stt = OnceSTT("Let's go fishing!")
        await h.feed(SPEECH[:16000 * 4])  # 4 s the VAD calls speech: a barge-in by length
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
        stats = dict(h.session.stats)
    assert [e.status for e in h.of(ResponseDone)] == ["completed"]
    assert stats["barge_ins"] == 0 and len(h.of(ResponseCreated)) == 1


async def test_words_heard_twice_cancel_the_reply():
    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        await h.start_reply()
        await h.silence(0.5)
        stt.text = "Let's go fishing!"
        await h.feed(SPEECH[:16000 * 2])
        await h.until(lambda: h.of(ResponseDone))
        stats = dict(h.session.stats)
    done = h.of(ResponseDone)[0]
    assert (done.status, done.reason) == ("cancelled", "turn_detected")
    assert stats["barge_ins"] == 1


async def test_real_speech_over_the_reply_pauses_fast_and_cancels_at_played_position():
    async with Harness() as h:
        rid = await h.start_reply()
        await h.silence(1.0)
        barge_at = h.clock.now
        await h.feed(SPEECH[:16000 * 3])
        stats = h.session.stats
        played_before = h.audio_ms(rid)
    onset_t = barge_at + SPEECH_ONSET_MS / 1000
    # the reply's audio stops within 150 ms of the speech onset
    assert stats["pause_latency_ms"] and stats["pause_latency_ms"][0] <= 150
    last_audio_t = max(t for t, e in h.events if isinstance(e, AudioOut) and e.response_id == rid)
    assert last_audio_t - onset_t <= 0.150
    done = [e for e in h.of(ResponseDone) if e.response_id == rid][0]
    assert (done.status, done.reason) == ("cancelled", "turn_detected")
    trunc = h.of(ItemTruncated)[0]
    assert trunc.item_id == done.item_id
    assert trunc.audio_end_ms == pytest.approx(played_before, abs=1)  # the client drained
    assert 0 < len(done.text) < len(" ".join(SENTENCES))
    assert " ".join(SENTENCES).startswith(done.text)
    assert len(h.of(SpeechStarted)) == 2
    assert stats["barge_ins"] == 1


async def test_cough_length_burst_pauses_then_resumes_where_it_paused():
    burst = SPEECH[16000 * 1 : 16000 * 1 + 3200]  # 200 ms of real speech
    async with Harness() as h:
        rid = await h.start_reply()
        await h.silence(0.5)
        await h.feed(burst)
        await h.silence(0.5)
        await h.until(lambda: h.of(ResponseDone))
        stats = dict(h.session.stats)
    assert stats["pauses"] == 1 and stats["resumes"] == 1 and stats["barge_ins"] == 0
    assert h.of(ResponseDone)[0].status == "completed"
    assert h.audio_ms(rid) == pytest.approx(6000, abs=60)


class TwoPassSTT(FakeSTT):
    """What the first 500 ms of the speech say (judged at the barge-in), then the whole turn."""

    def __init__(self, first: str, whole: str):
        super().__init__(whole)
        self.first = first

    def transcribe(self, audio, *, languages=None, interim=False):
        out = super().transcribe(audio, languages=languages, interim=interim)
        return SimpleNamespace(**{**vars(out), "text": self.first}) if interim else out


async def test_a_long_backchannel_neither_cancels_the_reply_nor_is_answered():
    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        rid = await h.start_reply()
        await h.silence(0.5)
        stt.text = "Okay, okay, I see."
        await h.feed(SPEECH[:16000 * 2])  # 1.4 s of speech: a barge-in by length
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
        stats = dict(h.session.stats)
    assert [e.status for e in h.of(ResponseDone)] == ["completed"]
    assert len(h.of(ResponseCreated)) == 1 and not h.of(ItemTruncated)
    assert stats["backchannels"] == 1 and stats["barge_ins"] == 0
    assert h.audio_ms(rid) == pytest.approx(6000, abs=60)  # all of it, after the pause


async def test_words_after_an_acknowledgement_make_it_a_turn():
    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        await h.start_reply()
        await h.silence(0.5)
        h.session.hearing.stt = TwoPassSTT("okay", "Okay, and do you ship to Canada?")
        await h.feed(SPEECH[:16000 * 2])
        await h.silence(0.8)
        await h.until(lambda: len(h.of(ResponseCreated)) == 2)
        stats = dict(h.session.stats)
    first = h.of(ResponseDone)[0]
    assert (first.status, first.reason) == ("cancelled", "turn_detected")
    assert stats["backchannels"] == 1 and stats["barge_ins"] == 1
    asked = h.of(TranscriptCompleted)[-1]
    assert asked.text == "Okay, and do you ship to Canada?"


async def test_words_just_after_the_reply_began_are_the_rest_of_the_question():
    stt = FakeSTT("How much does it cost")
    async with Harness(stt=stt) as h:
        await h.start_reply()
        stt.text = "the hoodie?"
        await h.feed(SPEECH[16000 * 1 : 16000 * 1 + 4800])  # 300 ms: short of a barge-in
        await h.silence(0.8)
        await h.until(lambda: len(h.of(ResponseCreated)) == 2)
    first = h.of(ResponseDone)[0]
    assert (first.status, first.reason) == ("cancelled", "turn_detected")
    assert h.of(TranscriptCompleted)[-1].text == "the hoodie?"
    assert len(h.of(InputCommitted)) == 2
    assert h.dialogue.asked[-1] == ("How much does it cost the hoodie?", "en")  # together


async def test_a_pause_after_a_dangling_word_is_not_the_end_of_the_turn():
    # server_vad, the default: "How much is ... [900 ms] ... the hoodie?" is one turn, because
    # the transcript taken at the pause ends on "is" (en.yaml's dangling_words).
    stt = FakeSTT("How much is")
    async with Harness(stt=stt) as h:
        await h.silence(0.3)
        await h.feed(SPEECH[: 16000 * 2])
        await h.silence(0.9)
        assert not h.of(InputCommitted)  # held past silence_duration_ms (500 ms)
        stt.text = "How much is the hoodie?"
        await h.feed(SPEECH[16000 * 2: 16000 * 3])
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
    assert len(h.of(InputCommitted)) == 1
    assert h.dialogue.asked == [("How much is the hoodie?", "en")]


async def test_a_slow_transcript_of_the_pause_still_holds_a_dangling_turn():
    # Whisper on a loaded machine: the words of the pause arrive 800 ms into it, after the
    # 500 ms window. The turn waits for them (the reply needs them anyway), then holds.
    gate = threading.Event()

    class SlowSTT(FakeSTT):
        def transcribe(self, audio, *, languages=None, interim=False):
            if not interim:
                assert gate.wait(10)
            return super().transcribe(audio, languages=languages, interim=interim)

    stt = SlowSTT("Do you ship to")
    async with Harness(stt=stt, interim_interval_s=0) as h:
        await h.silence(0.3)
        await h.feed(SPEECH[: 16000 * 2])
        await h.silence(0.8)
        assert not h.of(InputCommitted)  # waiting for the words
        gate.set()
        await h.idle(0.1)
        await h.silence(0.3)
        assert not h.of(InputCommitted)  # "to": held (1.1 s of silence)
        stt.text = "Do you ship to Canada?"
        await h.feed(SPEECH[16000 * 2: 16000 * 3])
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
    assert len(h.of(InputCommitted)) == 1
    assert h.dialogue.asked == [("Do you ship to Canada?", "en")]


@pytest.mark.parametrize(("first", "whole", "answered"), [
    ("", "How much is the hoodie?", True),  # Whisper unsure of the first 500 ms: heard again
    ("", "", False),  # no word in it at all (music, singing): background, the reply goes on
    ("Okay, go", "Okay, got it.", False),  # an acknowledgement cut short, then whole
])
async def test_speech_without_words_yet_keeps_the_reply_paused_until_its_words_decide(
        first, whole, answered):
    async with Harness(stt=FakeSTT()) as h:
        rid = await h.start_reply()
        await h.silence(0.5)
        h.session.hearing.stt = TwoPassSTT(first, whole)
        await h.feed(SPEECH[:16000 * 2])
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
        await h.idle(0.5)
    first_reply = h.of(ResponseDone)[0]
    assert first_reply.status == ("cancelled" if answered else "completed")
    assert len(h.of(ResponseCreated)) == (2 if answered else 1)
    if not answered:
        assert h.audio_ms(rid) == pytest.approx(6000, abs=60)


@pytest.mark.parametrize(("heard", "status", "barge_ins", "resumes"), [
    ("Stop!", "cancelled", 1, 0),  # a stop command ends the reply at once
    ("mm-hm", "completed", 0, 1),  # other short speech: it goes on where it paused
])
async def test_short_speech_over_the_reply_is_judged_by_its_words(heard, status, barge_ins,
                                                                  resumes):
    burst = SPEECH[16000 * 1 : 16000 * 1 + 4800]  # 300 ms of speech: no barge-in by length
    stt = FakeSTT()
    async with Harness(stt=stt) as h:
        rid = await h.start_reply()
        await h.silence(0.5)
        stt.text = heard
        await h.feed(burst)
        await h.silence(0.5)
        await h.until(lambda: h.of(ResponseDone))
        stats = dict(h.session.stats)
    done = h.of(ResponseDone)[0]
    assert done.status == status and stats["barge_ins"] == barge_ins
    assert stats["resumes"] == resumes
    assert stt.calls[-1][1] is True  # judged by a transcript of the burst
    assert not h.of(InputCommitted)[1:]  # neither is a question to answer
    if status == "cancelled":
        assert done.reason == "turn_detected"
    else:
        assert h.audio_ms(rid) == pytest.approx(6000, abs=60)


async def test_client_cancel_stops_at_once():
    async with Harness() as h:
        rid = await h.start_reply()
        await h.session.cancel_response()
        n = len(h.of(AudioOut))
        await h.idle(1.0)
        assert len(h.of(AudioOut)) == n
        with pytest.raises(InputError):
            await h.session.cancel_response()
    done = h.of(ResponseDone)[0]
    assert (done.response_id, done.status, done.reason) == (rid, "cancelled", "client_cancelled")
    # The TTS thread stops at its next chunk hand-off, on real time: give a loaded machine a
    # moment before looking.
    for _ in range(200):
        if h.tts.closed:
            break
        await asyncio.sleep(0.01)
    assert h.tts.closed >= 1


async def test_disconnect_mid_reply_leaves_no_task_or_thread():
    h = Harness()
    async with h:
        await h.start_reply()
        session = h.session
    assert not session.tasks
    for th in threading.enumerate():
        if th.name == "voice-tts":
            th.join(1.0)
            assert not th.is_alive()
    assert h.dialogue.closed == 1 and h.tts.closed >= 1
    assert h.tts.threads == {"voice-tts"}  # synthesis never ran on the event loop's thread


async def test_client_truncate_keeps_only_what_was_heard():
    async with Harness() as h:
        await h.start_reply()
        await h.until(lambda: h.of(ResponseDone))
        item = h.of(ResponseDone)[0].item_id
        h.session.truncate(item, 2500)  # heard the first sentence and a bit
        with pytest.raises(InputError):
            h.session.truncate("item_nope", 10)
        with pytest.raises(InputError):
            h.session.truncate(item, 60_000)
    assert h.of(ItemTruncated)[-1] == ItemTruncated(item, 2500)
    text = [c.text for c in h.session.conversation if c.item_id == item][0]
    assert text.startswith(SENTENCES[0]) and SENTENCES[2] not in text


async def test_minutes_of_silence_do_nothing_and_stay_bounded():
    async with Harness(input_rate=16000) as h:
        ring = h.session.listener._ring.capacity
        for _ in range(120):  # two minutes, 1 s chunks, no real-time sleeping
            await h.session.push_audio(bytes(32000))
        listener = h.session.listener
        assert listener._ring.capacity == ring and listener._framer.pending < 480
    assert h.events == []


async def test_ten_minute_monologue_is_cut_into_bounded_turns():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    async with Harness(input_rate=16000, silero=False, interim_interval_s=0) as h:
        h.session.update(create_response=False)
        ring = h.session.listener._ring.capacity
        for _ in range(600):  # speech-like: a voiced harmonic tone with syllable rhythm
            f0 = 120 + 30 * rng.random()
            voice = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
            env = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
            await h.session.push_audio(float_to_pcm16(0.2 * voice * env))
        await h.until(lambda: len(h.stt.calls) >= 19, seconds=2)
        assert h.session.listener._ring.capacity == ring
        assert len(h.session.listener._transcripts) <= 8 and len(h.session.conversation) <= 50
    finals = [n for n, interim in h.stt.calls if not interim]
    assert len(finals) >= 19  # 600 s cut at 30 s
    assert max(finals) <= 16000 * 30.3
    assert len(h.of(InputCommitted)) == len(finals)


async def test_stt_failure_is_an_error_event_and_the_session_survives():
    stt = FakeSTT(fail=True)
    async with Harness(stt=stt) as h:
        await h.feed(SPEECH)
        await h.silence(0.8)
        await h.until(lambda: h.of(Error))
        stt.fail = False
        await h.start_reply()
    assert h.of(Error)[0].code == "stt_failed"
    assert h.of(ResponseCreated)


async def test_tts_failure_fails_the_response_not_the_session():
    async with Harness(tts=FakeTTS(fail=True)) as h:
        await h.feed(SPEECH)
        await h.silence(0.8)
        await h.until(lambda: h.of(ResponseDone))
    assert h.of(Error)[0].code == "tts_failed"
    done = h.of(ResponseDone)[0]
    assert (done.status, done.reason) == ("failed", "tts_failed")


async def test_manual_turns_commit_and_create_response():
    async with Harness(input_rate=16000, turn_detection=None) as h:
        with pytest.raises(InputError) as e:
            await h.session.commit()
        assert e.value.code == "input_audio_buffer_commit_empty"
        await h.feed(SPEECH)
        await h.session.commit()
        await h.until(lambda: h.of(TranscriptCompleted))
        assert not h.of(SpeechStarted) and not h.of(ResponseCreated)
        await h.session.create_response()
        with pytest.raises(InputError):
            await h.session.create_response()
        await h.until(lambda: h.of(ResponseDone))
    assert h.stt.calls[0][0] == pytest.approx(len(SPEECH), abs=480)
    assert h.of(ResponseDone)[0].status == "completed"


async def test_update_validates_and_applies():
    async with Harness() as h:
        for bad in ({"threshold": 2}, {"silence_duration_ms": -1}, {"type": "semantic_vad"},
                    {"bogus": 1}, {"input_rate": 44100}, {"create_response": "yes"}):
            with pytest.raises(InputError):
                h.session.update(**bad)
        h.session.update(silence_duration_ms=1200, prefix_padding_ms=100)
        await h.feed(SPEECH)
        await h.silence(1.5)
        await h.until(lambda: h.of(SpeechStopped))
    started, stopped = h.of(SpeechStarted)[0], h.of(SpeechStopped)[0]
    assert started.audio_start_ms == pytest.approx(SPEECH_ONSET_MS - 100, abs=90)
    assert stopped.audio_end_ms >= len(SPEECH) / 16 + 1200 - 500  # waited the longer silence


async def test_interim_transcripts_while_a_long_turn_goes_on():
    async with Harness(interim_interval_s=1.0) as h:
        await h.feed(SPEECH)
        await h.silence(0.8)
        await h.until(lambda: h.of(TranscriptCompleted))
    deltas = h.of(TranscriptDelta)
    assert deltas and deltas[0].text == "how much is the blue hoodie"
    assert any(interim for _, interim in h.stt.calls)
