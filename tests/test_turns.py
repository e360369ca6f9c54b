"""Turn-taking and barge-in policy on scripted frame timelines with an injected clock.

Timeline letters, one per 30 ms frame: 'S' speech (webrtcvad voiced, Silero 0.9),
'.' silence, 'm' music/noise (webrtcvad voiced, Silero 0.05)."""

from __future__ import annotations

from assistant.audio.vad import FrameScore
from assistant.session.turns import (
    PauseReply,
    Playout,
    ResumeReply,
    TurnEnded,
    TurnSettings,
    TurnStarted,
    TurnTaker,
)

FRAME = 30
SCORES = {
    "S": FrameScore(True, 0.9),
    ".": FrameScore(False, 0.01),
    "m": FrameScore(True, 0.05),
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def play(tt: TurnTaker, script: str, clock: Clock | None = None) -> list[tuple[int, object]]:
    """Feed the timeline; return (audio_ms at the end of the frame, action) pairs."""
    out = []
    for ch in script.replace(" ", ""):
        if clock is not None:
            clock.now += FRAME / 1000
        for a in tt.on_frame(SCORES[ch]):
            out.append((tt.audio_ms, a))
    return out


def kinds(events) -> list[str]:
    return [type(a).__name__ for _, a in events]


def test_speech_start_and_end_of_turn_after_silence_duration():
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    # 10 silent frames, 20 speech frames (600 ms), then 20 silent frames
    ev = play(tt, "." * 10 + "S" * 20 + "." * 20)
    assert kinds(ev) == ["TurnStarted", "TurnPausing", "TurnEnded"]
    (t_start, started), (t_pause, pausing), (t_end, ended) = ev
    # speech began at 300 ms; confirmed after min_speech_ms (250 ms -> 9 frames = 270 ms)
    assert started.onset_ms == 300 and t_start == 300 + 270
    assert started.interrupt is False
    # speculation starts after speculate_ms (150 ms -> 5 frames) of silence, once
    assert t_pause == 900 + 150 and pausing.speech_end_ms == 900
    assert pausing.start_ms == started.start_ms
    # end of turn exactly silence_duration after the last speech frame (ends at 900 ms)
    assert ended.speech_end_ms == 900
    assert ended.end_ms == t_end == 900 + 510  # 17 frames of 30 ms >= 500 ms
    assert ended.reason == "silence"


def test_prefix_padding_is_kept_before_onset():
    tt = TurnTaker(TurnSettings(prefix_padding_ms=300), frame_ms=FRAME)
    ev = play(tt, "." * 20 + "S" * 12)
    started = ev[0][1]
    assert isinstance(started, TurnStarted)
    assert started.onset_ms == 600 and started.start_ms == 300
    # onset near the start of the stream: padding is clamped to 0
    tt2 = TurnTaker(TurnSettings(prefix_padding_ms=300), frame_ms=FRAME)
    assert play(tt2, "...SSSSSSSSSS")[0][1].start_ms == 0


def test_short_blips_and_music_do_not_start_a_turn():
    tt = TurnTaker(frame_ms=FRAME)
    # a 30 ms click, a 150 ms burst (5 frames), and a long webrtcvad-only run (music)
    assert play(tt, ".S.." + "SSSSS" + "." * 12 + "m" * 200) == []


def test_pause_within_150ms_then_confirmed_barge_in():
    clock = Clock()
    tt = TurnTaker(TurnSettings(interrupt_min_speech_ms=500), frame_ms=FRAME, clock=clock)
    tt.set_reply_active(True)
    ev = play(tt, "." * 10 + "S" * 20, clock)
    assert kinds(ev) == ["PauseReply", "TurnStarted"]
    (t_pause, pause), (t_conf, started) = ev
    assert isinstance(pause, PauseReply) and pause.onset_ms == 300
    assert t_pause - pause.onset_ms <= 150  # reply audio stops within 150 ms of onset
    assert t_pause - pause.onset_ms == 60  # start_ms: two 30 ms frames
    assert started.interrupt is True
    assert t_conf - started.onset_ms == 510  # 17 frames: first multiple of 30 >= 500


def test_cough_length_burst_pauses_then_resumes():
    tt = TurnTaker(frame_ms=FRAME)
    tt.set_reply_active(True)
    ev = play(tt, "." * 5 + "S" * 7 + "." * 15)  # a 210 ms cough
    assert kinds(ev) == ["PauseReply", "ResumeReply"]
    t_resume = ev[1][0]
    assert t_resume == 150 + 210 + 300  # resumes dismiss_ms after the burst
    assert not tt.paused and not tt.in_turn


def test_music_while_speaking_never_pauses_or_cancels():
    tt = TurnTaker(frame_ms=FRAME)
    tt.set_reply_active(True)
    assert play(tt, "m" * 1000) == []


def test_broken_speech_accumulates_to_a_barge_in():
    tt = TurnTaker(frame_ms=FRAME)
    tt.set_reply_active(True)
    # 4 words of 150 ms with 120 ms gaps: gaps < dismiss_ms, speech adds up to 600 ms
    ev = play(tt, ("S" * 5 + "." * 4) * 4)
    assert kinds(ev) == ["PauseReply", "TurnStarted"]
    assert ev[1][1].interrupt


def test_interrupt_response_false_keeps_reply_playing():
    tt = TurnTaker(TurnSettings(interrupt_response=False), frame_ms=FRAME)
    tt.set_reply_active(True)
    ev = play(tt, "S" * 20)
    assert kinds(ev) == ["TurnStarted"] and ev[0][1].interrupt is False


def test_pause_resumes_when_input_audio_stops_arriving():
    clock = Clock()
    tt = TurnTaker(TurnSettings(pause_timeout_ms=1000), frame_ms=FRAME, clock=clock)
    tt.set_reply_active(True)
    assert kinds(play(tt, "SSS", clock)) == ["PauseReply"]
    clock.now += 0.9
    assert tt.tick() == []
    clock.now += 0.2
    assert tt.tick() == [ResumeReply()]
    assert tt.tick() == []


def test_reply_ending_during_pause_releases_it():
    tt = TurnTaker(frame_ms=FRAME)
    tt.set_reply_active(True)
    play(tt, "SSS")
    assert tt.paused
    assert tt.set_reply_active(False) == [ResumeReply()]


def test_long_monologue_is_cut_at_max_utterance():
    tt = TurnTaker(TurnSettings(max_utterance_ms=3000), frame_ms=FRAME)
    ev = play(tt, "S" * 400)  # 12 s of speech
    ends = [a for _, a in ev if isinstance(a, TurnEnded)]
    assert len(ends) >= 3 and all(e.reason == "max_length" for e in ends)
    assert all(e.end_ms - e.start_ms <= 3000 + 300 for e in ends)


def test_turn_detection_update_applies():
    tt = TurnTaker(frame_ms=FRAME)
    tt.update(tt.settings.updated(silence_duration_ms=200, threshold=0.95))
    # Silero 0.9 is now below the threshold: no turn
    assert play(tt, "S" * 30) == []
    tt.update(tt.settings.updated(threshold=0.5))
    ev = play(tt, "S" * 10 + "." * 7)
    assert kinds(ev) == ["TurnStarted", "TurnPausing", "TurnEnded"]
    assert ev[2][1].end_ms - ev[2][1].speech_end_ms == 210  # 7 frames >= 200 ms


def test_commit_and_reset():
    tt = TurnTaker(frame_ms=FRAME)
    assert tt.commit() is None
    play(tt, "S" * 12)
    ended = tt.commit()
    assert ended is not None and ended.reason == "commit" and not tt.in_turn
    tt.set_reply_active(True)
    play(tt, "SSS")
    assert tt.reset() == [ResumeReply()]


def test_playout_paces_and_tracks_played_position():
    clock = Clock()
    p = Playout(clock, lead_ms=200)
    assert p.wait_s() == 0
    for _ in range(4):  # 4 x 50 ms sent at t=0: exactly the lead
        p.on_sent(50)
    assert p.wait_s() == 0
    p.on_sent(50)
    assert abs(p.wait_s() - 0.05) < 1e-9
    clock.now = 0.1
    assert p.played_ms() == 100
    clock.now = 1.0  # the client ran dry at 250 ms
    assert p.played_ms() == 250
    p.on_sent(50)  # playing restarts now
    clock.now = 1.02
    assert abs(p.played_ms() - 270) < 1e-6


def test_speculation_restarts_when_the_speaker_goes_on():
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    # speech, a 240 ms pause (past speculate_ms), more speech, then the real end
    ev = play(tt, "." * 5 + "S" * 20 + "." * 8 + "S" * 10 + "." * 20)
    assert kinds(ev) == ["TurnStarted", "TurnPausing", "TurnPausing", "TurnEnded"]
    first, second, ended = ev[1][1], ev[2][1], ev[3][1]
    # The first guess ended before the speaker went on: only the last one matches the turn.
    assert first.speech_end_ms < second.speech_end_ms == ended.speech_end_ms
