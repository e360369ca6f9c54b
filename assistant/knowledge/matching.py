"""Phrase matching that respects words, in every script: what the grounded engine uses to find
topics, products, colours, FAQ phrasings and campaign keywords in a viewer message.

- normalize(): NFKC, casefold, accents stripped for Latin and Arabic script, punctuation to
  spaces; phrases and messages alike, so language packs are written naturally.
- words(): the normalized text with a space at every word edge: between scripts ("xl吗" ->
  "xl 吗") and, for scripts written without spaces, where a maintained segmenter puts one
  (Thai: pythainlp, Japanese: fugashi + UniDic, Chinese: jieba-rs).
- Matcher: one trie-shaped regex per (phrase set, language), so a message is scanned once, in
  C. Every phrase matches whole words only; a language's affix rules (its pack's `script`)
  let word forms meet a phrase: Arabic clitics before it, plural or possessive endings after
  it, any ending for long Turkish and Korean words. A phrase in an unspaced script matches
  however the segmenter split its inside, but its edges must be word edges.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from assistant import languages
from assistant.knowledge.replies import to_simplified

_Tag = tuple[str, object]


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):  # Latin with accents, Vietnamese
        for cp in range(lo, hi + 1):
            base = "".join(
                c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c)
            )
            if base and base != chr(cp):
                table[cp] = base
    for cp in range(0x0300, 0x0370):  # combining accents (e.g. the dot casefold adds to İ)
        table[cp] = None
    for cp in [*range(0x064B, 0x0660), 0x0670, 0x0640]:  # Arabic harakat, tatweel
        table[cp] = None
    # Lone Korean letters are chat's emoticons ("ㅠㅠ", "ㅋㅋ"; NFKC makes them conjoining
    # jamo, and composes every real syllable): spaces, or they glue onto the word before.
    for cp in [*range(0x1100, 0x1200), *range(0x3131, 0x318F)]:
        table[cp] = " "
    for src, dst in {
        "ı": "i", "đ": "d", "ø": "o", "æ": "ae", "ł": "l", "œ": "oe",
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    }.items():
        table[ord(src)] = dst
    punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»“”‘’„…–—·•、。，！？：；（）「」『』【】〜～・"
    for ch in punct + "\u060c\u061f\u066a\u200b":  # Arabic comma, question mark, percent; ZWSP
        table[ord(ch)] = " "
    return table


FOLD = _fold_table()


def nfkc(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    if "\u0e4d\u0e32" in s:  # NFKC splits Thai SARA AM; the segmenter's dictionary has it whole
        s = s.replace("\u0e4d\u0e32", "\u0e33")
    return s


# Chat stretches words ("hiii", "sooo", "pleeease"): three or more of one Latin letter are one
# (no word of the packs' languages has three in a row; "x" is left alone for sizes: XXXL).
_STRETCHED = re.compile(r"([a-wyz])\1{2,}")


def squeezed(name: str) -> str:
    """A name normalized with its spaces taken out: "Kakao Pay", "KakaoPay" and "kakao-pay"
    meet as "kakaopay"."""
    return "".join(normalize(name).split())


def normalize(text: str) -> str:
    """NFKC, casefold, accents stripped from Latin and Arabic script, punctuation to spaces,
    stretched letters squeezed."""
    return _STRETCHED.sub(r"\1", " ".join(nfkc(text).casefold().translate(FOLD).split()))


# --- scripts and word edges

_THAI = "\u0e00-\u0e7f"
_HAN_KANA = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_UNSPACED_CH = re.compile(f"[{_THAI}{_HAN_KANA}]")
_UNSPACED_RUN = re.compile(f"[{_THAI}]+|[{_HAN_KANA}]+")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# A change of script is a word edge: Latin/digits, Thai, Han+Kana, Hangul, Arabic.
_SCRIPT_EDGE = re.compile(
    f"(?<=[a-z0-9])(?=[^\\sa-z0-9\\W])|(?<=[^\\sa-z0-9\\W])(?=[a-z0-9])"
    f"|(?<=[{_THAI}])(?=[{_HAN_KANA}\uac00-\ud7af\u0600-\u06ff])"
    f"|(?<=[{_HAN_KANA}])(?=[{_THAI}\uac00-\ud7af\u0600-\u06ff])"
    f"|(?<=[\uac00-\ud7af])(?=[{_THAI}{_HAN_KANA}\u0600-\u06ff])"
    f"|(?<=[\u0600-\u06ff])(?=[{_THAI}{_HAN_KANA}\uac00-\ud7af])"
)
# Marks that continue a word without being "alphanumeric" to Python (Thai vowels and tones).
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_UNSPACE = re.compile(f"(?<=[{_THAI}{_HAN_KANA}]) (?=[{_THAI}{_HAN_KANA}])")
NOT_WORD_BEFORE = f"(?<![^\\W_]|[{_MARKS}])"
NOT_WORD_AFTER = f"(?![^\\W_]|[{_MARKS}])"


def is_unspaced(text: str) -> bool:
    return bool(_UNSPACED_CH.search(text))


@cache
def _segmenter(kind: str) -> Callable[[str], list[str]]:
    # Imported on first use: each loads a dictionary, and a market without the language never
    # pays for it.
    if kind == "thai":
        from pythainlp.tokenize import word_tokenize

        return lambda s: word_tokenize(s, engine="newmm", keep_whitespace=False)
    if kind == "japanese":
        import fugashi

        tagger = fugashi.Tagger()
        return lambda s: [w.surface for w in tagger(s)]
    if kind == "chinese":
        import rjieba

        return rjieba.cut
    raise ValueError(f"unknown segmenter {kind!r}")


def warm(lang: str) -> None:
    """Load `lang`'s segmenter now (its dictionary takes 0.1-0.4 s), not on the event loop
    when the first viewer writes in it."""
    seg = languages.pack(lang).script.segmenter if languages.has(lang) else None
    if seg is not None:
        _segmenter(seg)("a")


def _segment_run(run: str, lang: str) -> str:
    if run[0] <= "\u0e7f":
        kind = "thai"
    else:
        seg = languages.pack(lang).script.segmenter if languages.has(lang) else None
        kind = seg if seg in ("japanese", "chinese") else (
            "japanese" if _KANA.search(run) else "chinese")
    if kind == "chinese":
        # jieba's dictionary is Simplified: Traditional text ("可選順豐貨到付款") is cut
        # where its Simplified twin would be, character for character.
        simple = to_simplified(run)
        if simple != run and len(simple) == len(run):
            out, i = [], 0
            for t in _segmenter(kind)(simple):
                out.append(run[i:i + len(t)])
                i += len(t)
            return " ".join(t for t in out if t.strip())
    return " ".join(t for t in _segmenter(kind)(run) if t.strip())


def words(norm: str, lang: str) -> str:
    """A normalized text with a space at every word edge (see the module docstring)."""
    text = _SCRIPT_EDGE.sub(" ", norm)
    if _UNSPACED_CH.search(text):
        text = _UNSPACED_RUN.sub(lambda m: _segment_run(m.group(), lang), text)
    return text


# --- matchers


def phrases(specs: Iterable[str]) -> Iterable[tuple[str, bool, bool]]:
    """'~b', 'c*', 'a' -> (phrase, weak, prefix) triples (pack phrase syntax)."""
    for raw in specs:
        p = raw.strip()
        if not p:
            continue
        weak = p.startswith("~")
        prefix = p.endswith("*")
        yield p.strip("~*").strip(), weak, prefix


# "where … made": the words before the gap, up to this many words, then the words after it.
_GAP = re.compile(r"\s*(?:…|\.\.\.)\s*")
_GAP_WORDS = 4


@dataclass(slots=True)
class Matcher:
    regex: re.Pattern[str]
    tags: dict[str, tuple[_Tag, ...]]
    gaps: tuple[tuple[re.Pattern[str], tuple[_Tag, ...]], ...] = ()

    def find(self, text: str) -> Iterable[tuple[int, int, tuple[_Tag, ...]]]:
        for m in self.regex.finditer(text):
            group = "p" if m.group("p") is not None else "q"
            g = m.group(group)
            tags = self.tags.get(g) or self.tags.get(_UNSPACE.sub("", g))
            if tags:
                yield m.start(group), m.end(group), tags
        for rx, tags in self.gaps:
            # Only the words after the gap count as the match: what is inside the gap ("the
            # charging stand" in "where is the charging stand made") keeps its own meaning.
            for m in rx.finditer(text):
                yield m.start("tail"), m.end("tail"), tags


class MatcherBuilder:
    """Collects phrases once; compiles a matcher per language (its affix rules)."""

    def __init__(self) -> None:
        self.tags: dict[str, list[_Tag]] = {}
        self.prefix: dict[str, bool] = {}
        self.gaps: list[tuple[str, str, _Tag]] = []  # (words before, words after, tag)
        self._compiled: dict[str, Matcher] = {}

    def add(self, phrase: str, tag: _Tag, is_prefix: bool = False) -> None:
        if _GAP.search(phrase):
            head, tail = (" ".join(_SCRIPT_EDGE.sub(" ", normalize(x)).split())
                          for x in _GAP.split(phrase, maxsplit=1))
            if head and tail and (head, tail, tag) not in self.gaps:
                self.gaps.append((head, tail, tag))
                self._compiled.clear()
            return
        norm = " ".join(_SCRIPT_EDGE.sub(" ", normalize(phrase)).split())
        # Inside an unspaced phrase the segmenter's split does not matter (see _trie).
        norm = _UNSPACE.sub("", norm)
        if len(norm) < 2 and not re.search("[^\\x00-\\x7f]", norm):
            return
        bucket = self.tags.setdefault(norm, [])
        if tag not in bucket:
            bucket.append(tag)
        self.prefix[norm] = self.prefix.get(norm, False) or is_prefix
        self._compiled.clear()

    def matcher(self, lang: str) -> Matcher:
        hit = self._compiled.get(lang)
        if hit is None:
            hit = self._compiled[lang] = self._build(lang)
        return hit

    def _build(self, lang: str) -> Matcher:
        script = languages.pack(lang).script if languages.has(lang) else None
        suffix = f"(?:{script.suffixes})?" if script and script.suffixes else ""
        open_min = script.open_ending_min if script else None
        own = _SCRIPT_CLASS.get(script.writing if script else "Latn", "a-z")
        end_plain = suffix + NOT_WORD_AFTER

        def ending(word: str, prefix: bool) -> str:
            if prefix:
                return ""
            last = word.split()[-1] if word.split() else word
            if open_min is not None and len(last) >= open_min and re.fullmatch(f"[{own}]+", last):
                return f"[{own}]*" + NOT_WORD_AFTER
            return end_plain

        tags = {k: list(v) for k, v in self.tags.items()}
        affixed: dict[str, str] = {}  # long enough for the affix rules
        plain: dict[str, str] = {}
        min_affixed = script.affix_min if script else 0
        for w, pre in self.prefix.items():
            target = affixed if len(w) >= min_affixed else plain
            target[w] = ending(w, pre) if target is affixed else (
                "" if pre else NOT_WORD_AFTER)
            # "السعودية": the article is one of the clitics the prefix rule already allows, so
            # the bare word is the phrase ("للسعودية" = "to Saudi Arabia").
            for article in (script.articles if script else ()):
                rest = w[len(article):]
                if w.startswith(article) and len(rest) >= max(2, min_affixed):
                    affixed.setdefault(rest, ending(rest, pre))
                    tags.setdefault(rest, [])
                    tags[rest] += [t for t in tags[w] if t not in tags[rest]]
        clitics = f"(?:{script.prefixes})?" if script and script.prefixes else ""
        pattern = f"{NOT_WORD_BEFORE}{clitics}(?P<p>{_trie(affixed)})"
        pattern += f"|{NOT_WORD_BEFORE}(?P<q>{_trie(plain)})" if plain else "|(?P<q>(?!))"
        gaps: dict[tuple[str, str], list[_Tag]] = {}
        for head, tail, tag in self.gaps:
            gaps.setdefault((head, tail), []).append(tag)
        compiled = tuple(
            (re.compile(f"{NOT_WORD_BEFORE}{re.escape(head)}(?: \\S+){{0,{_GAP_WORDS}}}? "
                        f"(?P<tail>{re.escape(tail)}){NOT_WORD_AFTER}"), tuple(t))
            for (head, tail), t in gaps.items())
        return Matcher(re.compile(pattern), {k: tuple(v) for k, v in tags.items()}, compiled)


_SCRIPT_CLASS = {"Latn": "a-z", "Hang": "\uac00-\ud7af", "Arab": "\u0600-\u06ff",
                 "Thai": _THAI, "Jpan": _HAN_KANA, "Hani": _HAN_KANA}


def _trie(words_: dict[str, str]) -> str:
    """One regex alternation for many phrases, factored as a trie so a scan costs about the
    length of the text, not the number of phrases. `words_` maps phrase -> the regex that must
    follow it (its ending). Between two characters of an unspaced script an optional space
    lets the phrase match across the segmenter's splits. Endings are matched outside the named
    group's phrase text (see Matcher.find), so they stay lookaheads or suffixes."""
    trie: dict = {}
    for word, end in words_.items():
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node.setdefault("", set()).add(end)

    def build(node: dict, prev_unspaced: bool) -> str:
        alts = []
        for ch, child in sorted((k, v) for k, v in node.items() if k):
            un = bool(_UNSPACED_CH.match(ch))
            gap = " ?" if prev_unspaced and un else ""
            alts.append(gap + re.escape(ch) + build(child, un))
        if "" in node:
            ends = sorted(node[""], key=len)
            # The ending is checked but not captured: (?=...) keeps the group the phrase.
            end = ends[0] if len(ends) == 1 else "(?:" + "|".join(ends) + ")"
            alts.append(f"(?={end})" if end else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(trie, False) if trie else "(?!)"
