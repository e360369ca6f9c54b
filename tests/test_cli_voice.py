"""The voice commands of the `assistant` CLI, run as real subprocesses on real audio."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "audio"
pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True,
                          text=True, timeout=180, cwd=cwd)


def test_transcribe_a_real_recording_restricted_to_a_market():
    r = run("transcribe", str(DATA / "stt_leopard_es.wav"), "--market", "us")
    assert r.returncode == 0, r.stderr
    assert "arenas" in r.stdout.lower()
    assert "[es " in r.stderr


def test_transcribe_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "notaudio.wav"
    bad.write_bytes(b"this is not audio")
    r = run("transcribe", str(bad))
    assert r.returncode != 0
    assert "cannot read audio" in r.stderr


def test_say_then_voice_demo_runs_the_whole_pipeline(tmp_path):
    question = tmp_path / "q.wav"
    r = run("say", "--lang", "en", "--backend", "piper", "-o", str(question),
            "Do you ship the waterproof boots to Canada?")
    assert r.returncode == 0, r.stderr
    with wave.open(str(question)) as w:
        assert w.getnchannels() == 1 and w.getframerate() == 22050 and w.getnframes() > 22050

    reply = tmp_path / "reply.wav"
    r = run("voice-demo", str(question), "--market", "us", "-o", str(reply),
            "--db-path", str(tmp_path / "h.sqlite3"))
    assert r.returncode == 0, r.stderr
    assert "heard [en]" in r.stdout and "canada" in r.stdout.lower()
    said = next(line for line in r.stdout.splitlines() if line.startswith("said"))
    assert "$14.99" in said and "4-7" in said, r.stdout  # the boots' own days, not the default
    for stage in ("endpointing_ms", "stt_ms", "dialogue_first_sentence_ms", "tts_first_chunk_ms",
                  "voice_to_voice_ms"):
        assert stage in r.stdout
    with wave.open(str(reply)) as w:
        assert w.getframerate() == 24000 and w.getnframes() > 24000


def test_voice_demo_under_semantic_vad_ends_the_turn_with_the_model(tmp_path):
    """The CLI builds the Realtime endpoint's session: semantic_vad asks the end-of-turn model,
    which ends a finished question long before the longest silence (2 s at eagerness auto).
    Its verdict waits for the pause's transcript (Whisper base: 350-490 ms here), so on this
    machine it ends no sooner than server_vad's 500 ms window."""
    question = tmp_path / "q.wav"
    r = run("say", "--lang", "en", "--backend", "piper", "-o", str(question),
            "How much is the hoodie?")
    assert r.returncode == 0, r.stderr
    r = run("voice-demo", str(question), "--market", "us", "-o", str(tmp_path / "r.wav"),
            "--db-path", str(tmp_path / "h.sqlite3"), "--turn-detection", "semantic_vad")
    assert r.returncode == 0, r.stderr
    said = next(line for line in r.stdout.splitlines() if line.startswith("said"))
    assert "$" in said, r.stdout
    endpointing = next(float(line.split()[1]) for line in r.stdout.splitlines()
                       if line.strip().startswith("endpointing_ms"))
    assert endpointing < 2000, r.stdout  # the model's verdict, not the longest silence
    r = run("voice-demo", str(question), "--market", "us", "--turn-detection", "vad")
    assert r.returncode == 2 and "semantic_vad" in r.stderr
