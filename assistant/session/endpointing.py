"""What the words of a turn say about turn-taking, from the language packs.

Short speech over the co-host is judged by its transcript: a stop command ("stop", "espera",
"ちょっと待って": the pack's `stop_commands`) ends the reply at once; anything else as short
(a cough, "mm-hm") lets it go on.

semantic_vad's second signal is the speculative transcript of the turn so far (speech-to-text
starts at the first pause, see VoiceSession._speculate). A turn whose words end on "and", "de",
"が" (the language pack's `dangling_words`) or a comma is not over, whatever the audio model
hears; one that Whisper closed with a full stop or question mark is, when the audio model is
unsure (short commands: "mache alle Licht aus." scores 0.15-0.85 on Smart Turn alone); one it
left open settles after a shorter silence (pause_verdict)."""

from __future__ import annotations

import re
from functools import cache

from assistant import languages
from assistant.knowledge.matching import normalize
from assistant.session.turns import Settle

_FINAL = re.compile(r"[.?!。？！]\s*$")
_WORD = re.compile(r"[\w'’-]+$")
_UNSURE = 0.3  # below this the audio model is confident the speaker goes on
_OPEN = 0.45  # an unclosed sentence never ends a turn at once (eagerness high ends at 0.5)


@cache
def _dangling(lang: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(words, endings): spaced scripts compare the last word; unspaced ones the text's end."""
    if not languages.has(lang):
        return frozenset(), ()
    pack = languages.pack(lang)
    words = [w.casefold() for w in pack.dangling_words]
    if pack.script.words == "unspaced":
        return frozenset(), tuple(sorted(words, key=len, reverse=True))
    return frozenset(words), ()


def pause_verdict(probability: float, text: str, lang: str) -> tuple[float, Settle]:
    """(end-of-turn probability, settle) at a pause, the audio model's probability corrected by
    what the speaker has said so far. `settle`: not over at once, but after a shorter silence
    than the longest one (TurnTaker.verdict): "closed" sentences sooner than "open" words."""
    text = text.strip()
    if not text:
        return probability, None
    if is_dangling(text, lang):
        return min(probability, 0.1), None  # "... de grano medio y"
    if text.endswith((",", "、", "，")):
        return min(probability, _OPEN), None  # "And so, my fellow Americans,"
    if _is_final(text):
        if probability >= _UNSURE:
            return max(probability, 0.9), None
        # A closed sentence the audio model calls unfinished (it scores some finished
        # questions 0.01: "What's the weather like?", the end of read speech): Whisper also
        # puts full stops at mid-sentence pauses, so it settles rather than ends.
        return probability, "closed"
    if _punctuates(lang):
        # Whisper closes a finished sentence with a mark; words without one at a pause are
        # mostly a sentence the speaker is still in, however sure the audio model is
        # (Leopard-es "las arenas son blanquecinas" 0.93 at a 630 ms pause, "de grano medio"
        # 0.97 at 870 ms; "one, [750 ms] two"): it settles.
        return min(probability, _OPEN), "open"
    return probability, None


def _punctuates(lang: str) -> bool:
    """Whisper punctuates this language's transcripts reliably: the spaced scripts (it often
    leaves Japanese and Chinese commands without 。)."""
    return languages.has(lang) and languages.pack(lang).script.words != "unspaced"


def is_dangling(text: str, lang: str) -> bool:
    """Whether the words so far stop on one no sentence ends on ("and", "to", "de", "が")."""
    words, endings = _dangling(lang)
    bare = text.strip().rstrip(" ,.;:…-–—、，?？")
    last = _WORD.search(bare.casefold())
    return (last is not None and last.group() in words) or bool(endings and bare.endswith(endings))


def _is_final(text: str) -> bool:
    return bool(_FINAL.search(text)) and not text.rstrip().endswith((",", "、", "，"))


_MAX_COMMAND_WORDS = 4  # "stop", "wait a sec", "ちょっと待って": longer speech is a turn


def is_stop_command(text: str, lang: str) -> bool:
    """Whether a short utterance is one of the pack's (or English's) stop commands."""
    said = " ".join(normalize(text).split())
    if not said or len(said.split()) > _MAX_COMMAND_WORDS:
        return False
    for code in dict.fromkeys((lang, "en")):
        if not languages.has(code):
            continue
        for phrase in languages.pack(code).stop_commands:
            want = " ".join(normalize(phrase).split())
            # The whole utterance ("para" alone stops; "¿para Brasil?" asks about Brazil).
            if said == want:
                return True
    return False


_MAX_BACKCHANNEL_WORDS = 6  # "yeah yeah okay", "はいはい": longer speech is a turn


@cache
def _backchannels(lang: str) -> tuple[str, ...]:
    """The pack's (and English's) backchannels, normalized, longest first."""
    phrases: set[str] = set()
    for code in dict.fromkeys((lang, "en")):
        if languages.has(code):
            phrases.update(" ".join(normalize(p).split())
                           for p in languages.pack(code).backchannels)
    return tuple(sorted((p for p in phrases if p), key=len, reverse=True))


def _after_backchannels(said: str, lang: str) -> str:
    """`said` (normalized) without the acknowledgements it starts with."""
    phrases = _backchannels(lang)
    unspaced = languages.has(lang) and languages.pack(lang).script.words == "unspaced"
    rest = said
    while rest:
        for phrase in phrases:
            if rest == phrase or rest.startswith(phrase if unspaced else phrase + " "):
                rest = rest[len(phrase):].lstrip()
                break
        else:
            return rest
    return rest


def is_backchannel(text: str, lang: str) -> bool:
    """Whether an utterance is only acknowledgements ("mm-hm", "ok ok", "sí, claro", "はいはい"):
    said over the co-host it is listening, not a turn. The whole utterance must be made of the
    pack's `backchannels`; "ok, and the price?" is a turn."""
    said = " ".join(normalize(text).split())
    if not said or len(said.split()) > _MAX_BACKCHANNEL_WORDS:
        return False
    return not _after_backchannels(said, lang)


def may_be_backchannel(text: str, lang: str) -> bool:
    """A transcript of speech still going on that may end as acknowledgements: "okay, go" is
    "okay, got it" cut short. Acknowledgements then at most one more word (spaced scripts)."""
    said = " ".join(normalize(text).split())
    if not said or len(said.split()) > _MAX_BACKCHANNEL_WORDS:
        return False
    rest = _after_backchannels(said, lang)
    if rest == said:
        return False  # it does not start with one
    unspaced = languages.has(lang) and languages.pack(lang).script.words == "unspaced"
    return not rest or (not unspaced and len(rest.split()) == 1)
