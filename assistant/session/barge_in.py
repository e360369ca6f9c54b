"""What speech over a playing reply means, judged by its words (the language packs' stop
commands and backchannels, via session/endpointing.py). The turn-taker decides by duration
alone; these judgements are where duration is ambiguous:

- speech too short to be a barge-in (the turn-taker dismissed it): "stop!", "espera" ends the
  reply at once; other words ("the hoodie?") are a turn; "mm-hm", a cough or nothing heard
  lets the reply go on;
- speech long enough to be one (500 ms): an interruption once two hearings in a row find words,
  unless they are an acknowledgement ("ok ok", "はいはい") or there are none for `UNHEARD_MS`
  (music, singing Whisper cannot make out, a crowd). A failed transcription counts as an
  interruption: the viewer is heard rather than talked over.

The session owns the reply and applies the verdicts; these only listen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from assistant.session.endpointing import is_backchannel, is_stop_command, may_be_backchannel
from assistant.session.voice_options import Heard
from assistant.session.voice_output import Sleep

Hear = Callable[[], Awaitable[Heard | None]]  # the words since the reply paused

# Speech over the reply that Whisper finds no word in for this long is background sound.
UNHEARD_MS = 3000
# How much more speech to hear before asking again when there are no words yet.
_REHEAR_MS = 500
# Words must be heard this many times in a row (500 ms apart) to cancel the reply: Whisper
# makes out a sung line in one hearing of a song and none in the next (bench/voice.py, "Let's
# Go Fishin'" at 105 s). The reply is already paused, so the wait is silence either way.
_CONFIRMING_HEARINGS = 2


async def judge_short_speech(hear: Hear) -> tuple[Literal["stop", "turn", "go_on"],
                                                  Heard | None]:
    heard = await hear()
    if heard is None:
        return "go_on", None  # no transcript: it was short, so the reply goes on
    if is_stop_command(*heard):
        return "stop", heard
    if heard[0].strip() and not is_backchannel(*heard):
        return "turn", heard
    return "go_on", heard


async def judge_barge_in(hear: Hear, *, onset_ms: int, audio_ms: Callable[[], int],
                         speaking: Callable[[], bool], current: Callable[[], bool],
                         sleep: Sleep) -> Literal["interrupt", "listening"] | None:
    """An interruption, or listening (an acknowledgement, background sound, or a turn that
    ended before its words were in: its own transcript decides then). None: the reply ended
    meanwhile. `speaking()`: the speech is still the turn in progress; `current()`: the
    reply judged is still the one playing."""
    worded = 0  # hearings in a row with words that are no acknowledgement
    while True:
        heard_until = audio_ms()
        heard = await hear()
        if not current():
            return None
        if heard is None:
            return "interrupt"
        if is_backchannel(*heard) or not speaking():
            return "listening"
        words = bool(heard[0].strip())
        worded = worded + 1 if words and not may_be_backchannel(*heard) else 0
        if worded >= _CONFIRMING_HEARINGS:
            return "interrupt"
        if heard_until - onset_ms >= UNHEARD_MS:
            return "interrupt" if words else "listening"
        # No words yet, words heard once, or the start of an acknowledgement ("okay, go..."):
        # hear more.
        while speaking() and audio_ms() < heard_until + _REHEAR_MS:
            await sleep(0.05)
