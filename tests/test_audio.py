"""PCM validation and framing, the streaming resampler, and the VAD scorers on real audio."""

from __future__ import annotations

import base64
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import (
    AudioRing,
    FrameClassifier,
    Framer,
    StreamResampler,
    check_rate,
    decode_audio_b64,
    float_to_pcm16,
    pcm16_to_float,
    threshold_to_aggressiveness,
    validate_pcm16,
)
from assistant.errors import InputError

AUDIO = Path(__file__).parent / "data" / "audio"


def read_wav(name: str) -> np.ndarray:
    with wave.open(str(AUDIO / name)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return pcm16_to_float(w.readframes(w.getnframes()))


def sine(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spec)])


def test_pcm16_round_trip_and_clipping():
    x = np.array([0.0, 0.5, -0.5, 1.5, -1.5], dtype=np.float32)
    back = pcm16_to_float(float_to_pcm16(x))
    assert np.allclose(back[:3], x[:3], atol=1 / 32768)
    assert back[3] == pytest.approx(32767 / 32768) and back[4] == -1.0


@pytest.mark.parametrize("bad", [b"\x00", b"\x00\x01\x02"])
def test_odd_length_pcm_is_invalid(bad):
    with pytest.raises(InputError) as e:
        validate_pcm16(bad)
    assert e.value.code == "invalid_audio"


def test_decode_audio_b64():
    pcm = float_to_pcm16(sine(440, 24000, 0.02))
    assert decode_audio_b64(base64.b64encode(pcm).decode()) == pcm
    for bad in ["not base64!!", base64.b64encode(b"abc").decode(), 42]:
        with pytest.raises(InputError) as e:
            decode_audio_b64(bad)  # type: ignore[arg-type]
        assert e.value.code == "invalid_audio"


def test_rates():
    assert check_rate(24000) == 24000 and check_rate(16000) == 16000
    for bad in (44100, 8000, "24000", True):
        with pytest.raises(InputError) as e:
            check_rate(bad)  # type: ignore[arg-type]
        assert e.value.code == "unsupported_rate"


def test_framer_cuts_exact_frames_and_keeps_the_rest():
    f = Framer(480)
    x = np.arange(1000, dtype=np.float32)
    frames = f.push(x[:700]) + f.push(x[700:])
    assert [len(fr) for fr in frames] == [480, 480]
    assert np.array_equal(np.concatenate(frames), x[:960])
    assert f.pending == 40


def test_resampler_keeps_a_sine_frequency_24k_16k_24k():
    x = sine(1000, 24000, 1.0)
    down = StreamResampler(24000, 16000)
    up = StreamResampler(16000, 24000)
    mid = np.concatenate([down.process(x), down.flush()])
    assert abs(len(mid) - 16000) <= 2
    assert dominant_hz(mid, 16000) == pytest.approx(1000, abs=2)
    out = np.concatenate([up.process(mid), up.flush()])
    assert abs(len(out) - 24000) <= 2
    assert dominant_hz(out, 24000) == pytest.approx(1000, abs=2)
    # soxr's delay is compensated: the round trip lines up with the input sample for sample
    assert np.max(np.abs(out[1000:-1000] - x[1000:-1000])) < 0.01


def test_streaming_chunks_equal_one_shot():
    x = sine(440, 24000, 0.5) + 0.1 * sine(3000, 24000, 0.5)
    one = StreamResampler(24000, 16000)
    whole = np.concatenate([one.process(x), one.flush()])
    chunked = StreamResampler(24000, 16000)
    parts = [chunked.process(x[i : i + 480]) for i in range(0, len(x), 480)]  # 20 ms chunks
    parts.append(chunked.flush())
    streamed = np.concatenate(parts)
    assert len(streamed) == len(whole)
    assert np.allclose(streamed, whole, atol=1e-5)


def test_equal_rates_pass_through():
    x = sine(440, 16000, 0.1)
    assert np.array_equal(StreamResampler(16000, 16000).process(x), x)


def test_audio_ring_is_bounded_and_addressed_absolutely():
    ring = AudioRing(1000)
    for i in range(25):
        ring.append(np.full(100, i, dtype=np.float32))
    assert ring.end == 2500 and ring.start == 1500
    got = ring.slice(1400, 1700)  # clamped to what is held
    assert len(got) == 200 and got[0] == 15 and got[-1] == 16
    ring.append(np.arange(5000, dtype=np.float32))  # bigger than the ring
    assert ring.end == 7500 and np.array_equal(ring.slice(6500, 7500), np.arange(4000, 5000))


def test_threshold_maps_to_aggressiveness():
    assert [threshold_to_aggressiveness(t) for t in (0, 0.3, 0.5, 0.8, 1.0)] == [0, 1, 2, 3, 3]


def test_webrtcvad_calls_music_voiced_but_silero_does_not():
    """Why the second opinion exists: measured on a real music excerpt and real speech."""
    c = FrameClassifier(frame_ms=30)
    music = read_wav("music_vibe_ace.wav")
    scores = [c.classify(music[i : i + 480]) for i in range(0, len(music) - 479, 480)]
    assert np.mean([s.voiced for s in scores]) > 0.8
    assert np.mean([s.speech_prob >= 0.5 for s in scores]) < 0.05
    c.reset()
    speech = read_wav("speech_leopard_en.wav")
    scores = [c.classify(speech[i : i + 480]) for i in range(0, len(speech) - 479, 480)]
    assert np.mean([s.voiced and s.speech_prob >= 0.5 for s in scores]) > 0.6


def test_classifier_rejects_wrong_frame_size():
    with pytest.raises(ValueError):
        FrameClassifier(frame_ms=25)
    with pytest.raises(ValueError):
        FrameClassifier(frame_ms=30, silero=False).classify(np.zeros(320, dtype=np.float32))
