"""semantic_vad on scripted frame timelines: the end-of-turn model's verdicts decide when a
turn ends; languages it does not cover fall back to a silence window learned from the speaker.
Timeline letters as in test_turns.py: 'S' speech, '.' silence (30 ms frames)."""

from __future__ import annotations

import pytest

from assistant.session.endpointing import is_backchannel, may_be_backchannel
from assistant.session.turns import EndOfTurnCheck, TurnEnded, TurnSettings, TurnTaker
from tests.test_turns import FRAME, SCORES


def feed(tt: TurnTaker, script: str, verdicts=None) -> list[tuple[int, object]]:
    """Feed the timeline. `verdicts(check) -> probability or None` answers each
    EndOfTurnCheck at once (the model's answer arrives before the next frame)."""
    out = []
    for ch in script.replace(" ", ""):
        actions = list(tt.on_frame(SCORES[ch]))
        while actions:
            a = actions.pop(0)
            out.append((tt.audio_ms, a))
            if isinstance(a, EndOfTurnCheck) and verdicts is not None:
                p = verdicts(a)
                if p is not None:
                    actions += tt.verdict(a.speech_end_ms, p)
    return out


def ended(events) -> list[tuple[int, TurnEnded]]:
    return [(t, a) for t, a in events if isinstance(a, TurnEnded)]


def semantic(**kw) -> TurnTaker:
    return TurnTaker(TurnSettings(type="semantic_vad", **kw), frame_ms=FRAME)


def test_a_complete_turn_ends_at_the_first_check_not_after_500_ms():
    tt = semantic()
    ev = feed(tt, "S" * 20 + "." * 30, verdicts=lambda c: 0.9)
    ((t, end),) = ended(ev)
    assert end.reason == "semantic"
    assert t - end.speech_end_ms == 210  # 200 ms of silence (7 frames), then the verdict


def test_an_incomplete_turn_waits_through_a_long_pause_and_goes_on():
    tt = semantic()
    # "I'd like the ... [800 ms] ... black one": the model says incomplete at each check.
    ev = feed(tt, "S" * 20 + "." * 27 + "S" * 15 + "." * 10,
              verdicts=lambda c: 0.1 if c.speech_end_ms == 600 else 0.9)
    checks = [a for _, a in ev if isinstance(a, EndOfTurnCheck)]
    # asked at 200 ms of silence, and again at 500 and 800 ms
    assert [c.speech_end_ms for c in checks[:3]] == [600, 600, 600]
    ((t, end),) = ended(ev)
    assert end.reason == "semantic" and end.speech_end_ms == 600 + 810 + 450


def test_the_longest_silence_ends_the_turn_whatever_the_model_says():
    tt = semantic(eagerness="auto")
    ev = feed(tt, "S" * 20 + "." * 80, verdicts=lambda c: 0.0)
    ((t, end),) = ended(ev)
    assert end.reason == "silence" and t - end.speech_end_ms == 2010


def test_a_stale_verdict_is_ignored():
    tt = semantic()
    feed(tt, "S" * 20 + "." * 7)  # a check at 600 ms of speech end, unanswered
    feed(tt, "S" * 5)  # the speaker went on
    assert tt.verdict(600, 0.99) == []
    assert tt.in_turn


def test_eagerness_sets_the_threshold_and_the_longest_silence():
    assert TurnSettings(type="semantic_vad", eagerness="high").complete_at < \
        TurnSettings(type="semantic_vad", eagerness="low").complete_at
    tt = semantic(eagerness="high")
    ev = feed(tt, "S" * 20 + "." * 60, verdicts=lambda c: 0.0)
    ((t, end),) = ended(ev)
    assert t - end.speech_end_ms == 1200
    # 0.7 ends an eager turn, not a patient one
    eager, patient = semantic(eagerness="high"), semantic(eagerness="low")
    assert ended(feed(eager, "S" * 20 + "." * 8, verdicts=lambda c: 0.7))
    assert not ended(feed(patient, "S" * 20 + "." * 8, verdicts=lambda c: 0.7))


def test_without_the_model_the_window_learns_the_speakers_pauses():
    tt = semantic()
    tt.model_available = False
    # No pauses seen yet: 700 ms ends the turn.
    ((t, end),) = ended(feed(tt, "S" * 20 + "." * 30))
    assert end.reason == "silence" and t - end.speech_end_ms == 720
    # A slow speaker who pauses 600 ms inside turns gets a longer window (1.3 x 600).
    slow = semantic()
    slow.model_available = False
    feed(slow, ("S" * 10 + "." * 20) * 4 + "S" * 10)
    assert slow.end_silence_ms() == 780
    assert not ended(feed(slow, "." * 24))  # 720 ms: still the same turn
    assert ended(feed(slow, "." * 3))


def test_server_vad_is_unchanged_and_asks_no_model():
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    ev = feed(tt, "S" * 20 + "." * 20, verdicts=lambda c: 0.99)
    assert not [a for _, a in ev if isinstance(a, EndOfTurnCheck)]
    ((t, end),) = ended(ev)
    assert end.reason == "silence" and t - end.speech_end_ms == 510


@pytest.mark.parametrize(("settle", "after_ms"), [("closed", 720), ("open", 1020)])
def test_a_sentence_the_model_doubts_ends_after_its_settle_window(settle, after_ms):
    tt = semantic(settle_ms=700, settle_open_ms=1000)
    # "What's the weather like?" scored 0.01 by the model; Whisper closed it with "?".
    out = []
    for ch in "S" * 20 + "." * 70:
        for a in tt.on_frame(SCORES[ch]):
            out.append((tt.audio_ms, a))
            if isinstance(a, EndOfTurnCheck):
                out += [(tt.audio_ms, b) for b in tt.verdict(a.speech_end_ms, 0.01, settle=settle)]
    ((t, end),) = ended(out)
    assert end.reason == "silence" and t - end.speech_end_ms == after_ms  # not the 2 s longest


def test_a_dangling_word_holds_the_pause_in_server_vad_too():
    from assistant.session.turns import TurnPausing

    tt = TurnTaker(TurnSettings(silence_duration_ms=500, hold_dangling_ms=1500), frame_ms=FRAME)
    ev = feed(tt, "S" * 20 + "." * 6)
    (pausing,) = [a for _, a in ev if isinstance(a, TurnPausing)]
    tt.hold(pausing.speech_end_ms)  # "Do you ship to" transcribed at the pause
    assert not ended(feed(tt, "." * 30))  # 900 ms of silence: still the same turn
    ev = feed(tt, "S" * 10 + "." * 17)  # "... Canada?" and the fixed window again
    ((t, end),) = ended(ev)
    assert t - end.speech_end_ms == 510
    # A hold for a pause that is over (the speaker went on) changes nothing.
    tt2 = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    feed(tt2, "S" * 20 + "." * 6 + "S" * 3)
    tt2.hold(600)
    assert ended(feed(tt2, "." * 17))


def _pausing(tt: TurnTaker, script: str):
    from assistant.session.turns import TurnPausing

    (pausing,) = [a for _, a in feed(tt, script) if isinstance(a, TurnPausing)]
    return pausing


def test_server_vad_waits_for_the_words_of_its_pause_and_holds_on_a_dangling_one():
    # Whisper takes 500-800 ms on a loaded machine: the transcript of "Do you ship to" comes
    # after the 500 ms window, and must still be able to hold the turn.
    tt = TurnTaker(TurnSettings(silence_duration_ms=500, hold_dangling_ms=1500), frame_ms=FRAME)
    pausing = _pausing(tt, "S" * 20 + "." * 6)
    tt.expect_words(pausing.speech_end_ms)
    assert not ended(feed(tt, "." * 20))  # 780 ms of silence: waiting for the words
    assert tt.words(pausing.speech_end_ms, dangling=True) == []  # held up to 1.5 s
    assert not ended(feed(tt, "." * 15))  # 1,230 ms
    ev = feed(tt, "S" * 10 + "." * 17)  # "... Canada?" and the fixed window again
    ((t, end),) = ended(ev)
    assert t - end.speech_end_ms == 510


def test_words_that_close_the_sentence_end_a_waiting_turn_at_once():
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    pausing = _pausing(tt, "S" * 20 + "." * 6)
    tt.expect_words(pausing.speech_end_ms)
    assert not ended(feed(tt, "." * 20))
    (end,) = tt.words(pausing.speech_end_ms, dangling=False)
    assert isinstance(end, TurnEnded) and end.reason == "silence"
    assert end.end_ms - end.speech_end_ms == 780


def test_words_in_time_change_nothing_and_slow_words_are_not_waited_for_forever():
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    pausing = _pausing(tt, "S" * 20 + "." * 6)
    tt.expect_words(pausing.speech_end_ms)
    assert tt.words(pausing.speech_end_ms, dangling=False) == []
    ((t, end),) = ended(feed(tt, "." * 20))
    assert t - end.speech_end_ms == 510  # the fixed window, as without the words
    # STT that never answers (hung, or far too slow): the turn ends at hold_dangling_ms.
    tt = TurnTaker(TurnSettings(silence_duration_ms=500, hold_dangling_ms=1500), frame_ms=FRAME)
    pausing = _pausing(tt, "S" * 20 + "." * 6)
    tt.expect_words(pausing.speech_end_ms)
    ((t, end),) = ended(feed(tt, "." * 60))
    assert t - end.speech_end_ms == 1500
    # Words for a pause the speaker went on after are stale: the new pause has its own window.
    tt = TurnTaker(TurnSettings(silence_duration_ms=500), frame_ms=FRAME)
    pausing = _pausing(tt, "S" * 20 + "." * 6)
    tt.expect_words(pausing.speech_end_ms)
    feed(tt, "S" * 3)
    assert tt.words(pausing.speech_end_ms, dangling=True) == []
    ((t, end),) = ended(feed(tt, "." * 20))
    assert t - end.speech_end_ms == 510


def test_dangling_words_and_closed_sentences_come_from_the_language_packs():
    from assistant.session.endpointing import is_dangling, pause_verdict

    assert is_dangling("Do you ship to?", "en")  # Whisper's "?" does not close it
    assert is_dangling("las arenas son blanquecinas de grano medio y", "es")
    assert not is_dangling("Is the hoodie available in black?", "en")
    assert pause_verdict(0.01, "What's the weather like?", "en") == (0.01, "closed")
    assert pause_verdict(0.5, "Turn on the lamp.", "en") == (0.9, None)  # it ends at once
    assert pause_verdict(0.01, "And so, my fellow Americans,", "en")[1] is None


def test_the_transcript_corrects_the_audio_model():
    from assistant.session.endpointing import pause_verdict

    def p(probability: float, text: str, lang: str) -> float:
        return pause_verdict(probability, text, lang)[0]

    # A dangling last word or a comma is mid-sentence, whatever the audio model says.
    assert p(0.95, "las arenas son blanquecinas de grano medio y", "es") < 0.5
    assert p(0.95, "脳から糸を", "ja") < 0.5
    assert p(0.95, "And so, my fellow Americans,", "en") < 0.5
    # Whisper's full stop or question mark settles an unsure audio model ...
    assert p(0.45, "Can I have a medium double-shot Americano?", "en") >= 0.85
    # ... but not a confident "not yet".
    assert p(0.1, "How much is it.", "en") == 0.1


@pytest.mark.parametrize(("probability", "text", "lang", "verdict"), [
    # Words Whisper left open at a pause settle, however sure the audio model is: the Leopard-es
    # pauses (630 and 870 ms) mid-sentence, the digits read one by one.
    (0.93, "las arenas son blancasinas", "es", (0.45, "open")),
    (0.97, "de grano medio", "es", (0.45, "open")),
    (0.96, "1", "en", (0.45, "open")),
    (0.2, "mache alle Licht aus", "de", (0.2, "open")),
    # Whisper often leaves Japanese and Chinese without a closing mark: the model decides.
    (0.97, "脳から糸を消して", "ja", (0.97, None)),
    (0.9, "这件多少钱", "zh", (0.9, None)),
    (0.7, "", "en", (0.7, None)),  # no words: the audio model alone
])
def test_an_unclosed_sentence_settles_instead_of_ending(probability, text, lang, verdict):
    from assistant.session.endpointing import pause_verdict

    assert pause_verdict(probability, text, lang) == verdict


@pytest.mark.parametrize(("text", "lang", "listening"), [
    ("Mm-hm.", "en", True),
    ("Okay, okay, I see.", "en", True),
    ("Sí, claro.", "es", True),
    ("Vale, vale", "es", True),
    ("はいはい", "ja", True),
    ("네, 알겠어요", "ko", True),
    ("嗯，好的", "zh", True),
    ("okay", "de", True),  # English acknowledgements hold in every language
    ("ok, and the price?", "en", False),
    ("はい、いくらですか", "ja", False),
    ("Stop!", "en", False),  # a stop command is not listening
    ("sí sí sí sí sí sí sí", "es", False),  # that long, it is a turn
    ("", "en", False),
])
def test_backchannels_are_whole_utterances_of_acknowledgements(text, lang, listening):
    assert is_backchannel(text, lang) is listening


@pytest.mark.parametrize(("text", "lang", "maybe"), [
    ("Okay, go", "en", True),  # "okay, got it" cut short
    ("Okay", "en", True),
    ("Okay, how much", "en", False),
    ("How", "en", False),  # no acknowledgement first
    ("はい、い", "ja", False),  # unspaced: no word to wait for
])
def test_an_acknowledgement_cut_short_may_still_be_one(text, lang, maybe):
    assert may_be_backchannel(text, lang) is maybe
