"""Viewer language detection for short live-chat text.

Owns two things:
- `LanguageDetector`: one chat message -> a `Detection` among the market's languages. Writing
  system first (Thai, Hangul, Kana, Arabic, Cyrillic, Han and Latin letters each narrow the
  candidates for free), then lingua over what is left, with one cached lingua detector per
  candidate set.
- `ViewerLanguages`: the sticky per-viewer language. A confident detection switches it, a weak
  one keeps it; memory is bounded by an LRU of viewers.

Why lingua and not langdetect (the spec's first idea): measured by `bench/langid.py` on lingua's
own test data, lingua is far more accurate on one- and two-word texts, knows Malay (langdetect
has no `ms`), is deterministic, and with models preloaded a call takes ~20 us.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
from lingua import LanguageDetector as _LinguaDetector

from assistant import languages
from assistant.knowledge.matching import normalize

__all__ = ["Detection", "LanguageDetector", "ViewerLanguages"]


@dataclass(frozen=True)
class Detection:
    lang: str
    confidence: float


# The writing system each language is typed in (its pack's script.writing; Latin for others).
# Russian has no pack (the service does not answer in it) but is told apart by its script.
_SCRIPT_OF = {"ru": "Cyrl"} | {code: p.script.writing for code, p in languages.packs().items()
                               if p.script.writing != "Latn"}

# One pass over the text yields runs of letters tagged by script. Kana and Han are kept apart:
# any Kana makes a text Japanese, Han alone may be Chinese or Japanese.
_UNSPACED_SCRIPTS = frozenset({"Thai", "Kana", "Hani"})
# A text with at least this many Latin words, this many times the words in other scripts, is
# in a Latin-script language, whatever a few other letters say.
_LATIN_WORDS_MIN = 4
_LATIN_WORDS_RATIO = 3
_SCRIPT_RUNS = re.compile(
    r"(?P<Thai>[\u0e00-\u0e7f]+)"
    r"|(?P<Hang>[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+)"
    r"|(?P<Kana>[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]+)"
    r"|(?P<Hani>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<Arab>[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+)"
    r"|(?P<Cyrl>[\u0400-\u04ff]+)"
    r"|(?P<Latn>[a-zA-Z\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]+)"
)

# Chat tokens typed the same way in every market ("ok", "lol", "haha", "wkwk", "kkkk", "xd",
# and the greetings "hi" / "hello" that viewers of every country open with). They carry no
# reply language: lingua says "ok" is English with 0.94 against Portuguese, which would flip
# a Brazilian viewer to English on every "ok". They are removed before detection.
_NEUTRAL = re.compile(
    r"\b(?:o+k+(?:a+y+|e+y*|i+e+)?|k+|lo+l+|lmao|omg|wow+|xd+|(?:h+[aeiou]+){2,}h*|(?:w+k+)+"
    r"|(?:rs)+|hm+|hi+|hel+o+|hal+o+)\b",
    re.IGNORECASE,
)

# Latin and Cyrillic letters are weak evidence in small amounts: a two- or three-letter word is
# often a loanword or a name. Confidence grows linearly up to this many letters; with the 0.5
# threshold, detections counted confident on lingua's single-word and word-pair data are ~98%
# right (bench/langid.py, "conf-ok").
_FULL_EVIDENCE_LETTERS = 8

# Detection cost grows with length (~70 us for a 100-character sentence) and a long comment's
# language is clear from its start; the cap bounds the cost of spam and pasted text.
_MAX_CHARS = 200
_ALPHABETIC = frozenset({"Latn", "Cyrl"})
_FULL_EVIDENCE_HAN = 5


def _lingua_language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError) as e:
        raise ValueError(f"unsupported language code {code!r}") from e


class LanguageDetector:
    """Detects the language of one chat message among the market's candidate languages.

    Thread-safe; build one per process and share it. `warm()` at startup so that no request
    pays for loading lingua's models (~0.2 s per language).
    """

    def __init__(self, *, min_confidence: float = 0.5, low_accuracy: bool = False,
                 script_shortcuts: bool = True) -> None:
        # low_accuracy: lingua's trigram-only mode, ~2x faster but worse on one- and two-word
        # texts, which is most of live chat; kept as a switch so the bench can measure it.
        # script_shortcuts: off only for measuring what they buy.
        self.min_confidence = min_confidence
        self._low_accuracy = low_accuracy
        self._script_shortcuts = script_shortcuts
        self._detectors: dict[frozenset[str], _LinguaDetector] = {}
        self._lock = threading.Lock()
        # Live chat repeats itself: a burst is hundreds of viewers typing the same few words.
        # Scores depend only on (text, candidates), so a bounded cache skips lingua for repeats.
        self._cached_scores = functools.lru_cache(maxsize=16_384)(self._scores)

    def warm(self, candidate_sets: Iterable[Sequence[str]]) -> None:
        """Build and preload the lingua detectors that these market language sets will use."""
        for candidates in candidate_sets:
            codes = _normalize(candidates)
            self._lingua(frozenset(codes))
            if self._script_shortcuts:
                # The script step hands lingua only the candidates typed in the text's script.
                for script in {_SCRIPT_OF.get(c, "Latn") for c in codes}:
                    same = frozenset(c for c in codes if _SCRIPT_OF.get(c, "Latn") == script)
                    if len(same) > 1:
                        self._lingua(same)
                if {"zh", "ja"} <= set(codes):
                    self._lingua(frozenset({"zh", "ja"}))

    def detect(self, text: str, candidates: Sequence[str]) -> Detection:
        """The most likely of `candidates` (market languages, first = default) for `text`.

        Confidence is 0..1: the margin between the best and the second-best candidate's score
        (see `scores`). Text with no letters at all (digits, emoji, "??") gives the default at 0.
        """
        scores = self.scores(text, candidates)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        (lang, best), second = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
        if best <= 0.0:
            return Detection(next(iter(scores)), 0.0)
        return Detection(lang, best - second)

    def scores(self, text: str, candidates: Sequence[str]) -> dict[str, float]:
        """Evidence for each candidate (see `_scores`); cached per (text, candidates)."""
        return dict(self._cached_scores(text[:_MAX_CHARS], tuple(candidates)))

    def _scores(self, text: str, candidates: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        """Evidence for each candidate, 0..1, in candidate order; they sum to at most 1.

        1.0 for the one candidate typed in the text's writing system (Thai, Hangul, Kana,
        Arabic letters); otherwise lingua's relative confidence among the candidates sharing
        that script, scaled down for Latin or Cyrillic texts with few letters. All zero when the
        text has no letters, or only letters of a script no candidate uses.
        """
        codes = _normalize(candidates)
        scores = dict.fromkeys(codes, 0.0)
        stripped = _NEUTRAL.sub(" ", text[:_MAX_CHARS])
        letters: Counter[str] = Counter()
        latin_words = other_words = 0
        for m in _SCRIPT_RUNS.finditer(stripped):
            n = m.end() - m.start()
            letters[m.lastgroup or ""] += n
            if m.lastgroup == "Latn":
                latin_words += n >= 2
            else:  # a run of an unspaced script holds about one word per two characters
                other_words += (n + 1) // 2 if m.lastgroup in _UNSPACED_SCRIPTS else 1
        if not letters:
            return tuple(scores.items())
        if not self._script_shortcuts:
            self._by_lingua(stripped, codes, _length_factor(sum(letters.values())), scores)
            return tuple(scores.items())

        script = _dominant_script(letters)
        if latin_words >= _LATIN_WORDS_MIN and latin_words >= _LATIN_WORDS_RATIO * other_words:
            # Mostly words in Latin letters around a name or a word copied from the stream
            # ("can I pay at コンビニ? which stores are ok?"): the reply is in their language.
            script = "Latn"
        if script == "Hani":
            # Han alone is Chinese, or Japanese written in kanji only.
            same = [c for c in codes if c in ("zh", "ja")]
        else:
            same = [c for c in codes if _SCRIPT_OF.get(c, "Latn") == script]
        count = letters[script] + (letters["Hani"] if script == "Jpan" else 0)
        # The writing system settles it for scripts one language owns; a few Latin letters
        # don't (loanwords, names, "top", "wow"), nor do two or three bare Han characters when
        # both Chinese and Japanese are candidates (lingua calls the Japanese "価格" Chinese).
        if script in _ALPHABETIC:
            weight = _length_factor(count)
        elif len(same) > 1 and script == "Hani":
            weight = min(1.0, count / _FULL_EVIDENCE_HAN)
        else:
            weight = 1.0
        if len(same) == 1:
            scores[same[0]] = weight
        elif same:
            self._by_lingua(stripped, same, weight, scores)
            if len(same) > 1:
                _apply_markers(stripped, same, scores)
        if script == "Latn":
            _apply_romanized(stripped, codes, scores)
        return tuple(scores.items())

    def _by_lingua(self, text: str, codes: Sequence[str], weight: float,
                   scores: dict[str, float]) -> None:
        for value in self._lingua(frozenset(codes)).compute_language_confidence_values(text):
            scores[value.language.iso_code_639_1.name.lower()] = value.value * weight

    def _lingua(self, codes: frozenset[str]) -> _LinguaDetector:
        detector = self._detectors.get(codes)
        if detector is None:
            with self._lock:
                detector = self._detectors.get(codes)
                if detector is None:
                    languages = [_lingua_language(c) for c in sorted(codes)]
                    builder = LanguageDetectorBuilder.from_languages(*languages)
                    builder = builder.with_preloaded_language_models()
                    if self._low_accuracy:
                        builder = builder.with_low_accuracy_mode()
                    detector = builder.build()
                    self._detectors[codes] = detector
        return detector


def _normalize(candidates: Sequence[str]) -> list[str]:
    codes = list(dict.fromkeys(c.split("-")[0].split("_")[0].lower() for c in candidates))
    if not codes:
        raise ValueError("candidates must name at least one language")
    return codes


def _dominant_script(letters: Counter[str]) -> str:
    # Any Kana means Japanese: Japanese mixes Kana with Han, Chinese never uses Kana.
    if letters["Kana"]:
        return "Jpan"
    # A non-Latin script wins over Latin letters: Thai, Korean or Arabic viewers type product
    # names, "ok" and English loanwords in Latin letters, while an English or Spanish speaker
    # practically never types Thai. Among non-Latin scripts, the one with most letters wins.
    non_latin = [(n, s) for s, n in letters.items() if s != "Latn" and n]
    if non_latin:
        return max(non_latin)[1]
    return "Latn"


def _length_factor(letters: int) -> float:
    return min(1.0, letters / _FULL_EVIDENCE_LETTERS)


class ViewerLanguages:
    """Each viewer's current language: sticky, switched only by a confident detection.

    Bounded: the least recently seen viewers are forgotten beyond `max_viewers`.
    """

    def __init__(self, detector: LanguageDetector, *, max_viewers: int = 100_000) -> None:
        self._detector = detector
        self._max = max_viewers
        self._known: OrderedDict[str, Detection] = OrderedDict()
        self._lock = threading.Lock()


    @property
    def detector(self) -> LanguageDetector:
        """The shared detector (its per-market lingua models are loaded once)."""
        return self._detector

    def resolve(self, viewer_key: str, text: str, candidates: Sequence[str], *,
                hint: str | None = None) -> Detection:
        """The language to answer this viewer's message in, updating what we remember.

        `hint` is a language the client already knows (speech-to-text's detected language, a
        client locale); within the candidates it wins with confidence 1.0.
        """
        codes = _normalize(candidates)
        if hint is not None and (h := _normalize([hint])[0]) in codes:
            return self._remember(viewer_key, Detection(h, 1.0))
        with self._lock:
            previous = self._known.get(viewer_key)
        # A language from another market (the viewer moved rooms) no longer counts.
        if previous is not None and previous.lang not in codes:
            previous = None
        # Switching is judged against the language the viewer has now, not against the runner-up:
        # "berapa harganya?" is barely Indonesian rather than Malay, but clearly not English, so
        # it moves an English viewer to Indonesian and leaves a Malay viewer on Malay.
        # A first weak message gets the market's default language, not the weak guess: a viewer
        # in a Brazilian stream who writes "top" or "sim" expects Portuguese, the stream's own
        # language is a far stronger prior than a three-letter guess. Nothing is remembered for
        # it, so the viewer's first clear message decides.
        anchor = previous.lang if previous is not None else codes[0]
        scores = self._detector.scores(text, codes)
        best = max(scores, key=scores.__getitem__)
        margin = scores[best] - scores[anchor]
        need = self._detector.min_confidence
        if previous is None and sum(c.isalpha() for c in text) >= _CLEAR_FIRST_LETTERS:
            # A first message that is a whole sentence ("on peut la laver en machine ?") is
            # evidence enough on a smaller margin: the default is only a prior.
            need = min(need, _CLEAR_FIRST_MARGIN)
        if best != anchor and margin >= need:
            return self._remember(viewer_key, Detection(best, margin))
        if previous is not None:
            with self._lock:
                if viewer_key in self._known:
                    self._known.move_to_end(viewer_key)
            return previous
        others = max((v for c, v in scores.items() if c != anchor), default=0.0)
        detection = Detection(anchor, max(0.0, scores[anchor] - others))
        if detection.confidence >= self._detector.min_confidence:
            return self._remember(viewer_key, detection)
        return detection

    def forget(self, viewer_key: str) -> None:
        with self._lock:
            self._known.pop(viewer_key, None)

    def __len__(self) -> int:
        return len(self._known)

    def _remember(self, viewer_key: str, detection: Detection) -> Detection:
        with self._lock:
            self._known[viewer_key] = detection
            self._known.move_to_end(viewer_key)
            while len(self._known) > self._max:
                self._known.popitem(last=False)
        return detection


_MARKER_MAX_WORDS = 16
# A viewer's first message with this many letters leaves the market's default language on
# this margin (instead of min_confidence): bench/answers.py, dev split.
_CLEAR_FIRST_LETTERS = 16
_CLEAR_FIRST_MARGIN = 0.15
_MARKERS_OVER_LINGUA = 3  # marker hits that overrule lingua's pick of a language without any


@functools.cache
def _word_pattern(lang: str, field: str) -> re.Pattern[str] | None:
    """Whole-word regex of a pack's word list (`markers`, `romanized_markers`); None if empty."""
    words = getattr(languages.pack(lang), field) if languages.has(lang) else []
    if not words:
        return None
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alt})(?![\w])")


def _marker_pattern(lang: str) -> re.Pattern[str] | None:
    return _word_pattern(lang, "markers")


def _apply_markers(text: str, codes: Sequence[str], scores: dict[str, float]) -> None:
    """Close languages (Malay and Indonesian; Vietnamese typed without its accents) share most
    words, and lingua then guesses; a word only one of them uses settles it. Each language
    pack lists such words (`markers`); each hit moves evidence from the others to it."""
    # Only between languages that list markers, and only when lingua's pick is one of them:
    # French "je" or "tu" is not evidence for Malay. Many markers of one language outweigh
    # lingua's pick of an unmarked one: "ao nay bao nhieu tien vay" is Vietnamese without its
    # accents, not English.
    if len(text.split()) > _MARKER_MAX_WORDS:
        return  # a full sentence gives lingua enough to go on; markers would only add noise
    marked = [c for c in codes if _marker_pattern(c) is not None]
    if len(marked) < 2:
        return
    folded = normalize(text)
    hits = {c: len(rx.findall(folded)) for c in marked if (rx := _marker_pattern(c))}
    if not any(hits.values()):
        return
    best = max(hits, key=lambda c: hits[c])
    rivals = max([0, *(v for c, v in hits.items() if c != best)])
    if hits[best] == rivals:
        return  # as many markers of two languages: no verdict
    top = max(codes, key=lambda c: scores[c])
    if top not in marked:
        if hits[best] < _MARKERS_OVER_LINGUA:
            return
        marked.append(top)
        hits[top] = 0
    codes = marked
    total = sum(scores[c] for c in codes) or 0.5
    margin = min(0.9, 0.6 * (hits[best] - rivals))
    want = total * (1 + margin) / 2  # at least this share goes to the marked language
    if scores[best] >= want:
        return
    rest = sum(scores[c] for c in codes if c != best)
    for c in codes:
        if c != best:
            scores[c] = (total - want) * (scores[c] / rest if rest else 1 / (len(codes) - 1))
    scores[best] = want


def _romanized_pattern(lang: str) -> re.Pattern[str] | None:
    return _word_pattern(lang, "romanized_markers")


# Arabizi writes the letters Latin lacks as digits inside words ("si3r", "ta7t", "3ndkom",
# "6aqm", "ma9as").
_DIGIT_LETTER = re.compile(r"[a-z][235679]|[235679][a-z]")
# A word that is Arabizi by its shape alone: a digit-letter between letters ("yin7asboon") or
# leading two or more letters ("3azamt"), but not an ordinal, a time or a unit ("3rd", "5pm").
_DIGIT_WORD = re.compile(r"(?<![\w])(?:[a-z]+[235679][a-z]+|[235679][a-z]{2,})(?![\w])")
_NOT_DIGIT_WORD = re.compile(r"^\d+(?:st|nd|rd|th|am|pm|pcs?|kg|cm|mm|ml|gb|mb|days?|hrs?)$")


def _apply_romanized(text: str, codes: Sequence[str], scores: dict[str, float]) -> None:
    """A language of another script typed in Latin letters (Arabizi: "kam el si3r?"): its
    pack's `romanized_markers` claim the text when two of them, or one with Arabizi digits,
    appear, or two words shaped like Arabizi ("3azamt", "yin7asboon"); the reply is then in
    the language itself."""
    folded = normalize(text)
    for c in codes:
        rx = _romanized_pattern(c)
        if rx is None:
            continue
        hits = len(rx.findall(folded))
        shaped = [w for w in _DIGIT_WORD.findall(folded) if not _NOT_DIGIT_WORD.match(w)]
        if hits >= 2 or (hits == 1 and _DIGIT_LETTER.search(folded)) or (
                len(shaped) >= 2 and languages.pack(c).script.writing == "Arab"):
            total = max(0.5, sum(scores.values()))
            for other in codes:
                scores[other] = 0.1 * total / max(1, len(codes) - 1) if other != c else 0.9 * total
            return
