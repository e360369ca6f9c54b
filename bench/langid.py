"""Language identification bench: langdetect vs lingua vs assistant.language on short text.

Data: lingua's test data (word pairs, single words, sentences; 15 languages), read from
../shared/eval-data/langid relative to the repo root, or --data DIR.

For each detector and dataset it prints:
- acc15: accuracy when choosing among the 15 languages of the data;
- market: accuracy when each row's candidates are a realistic market's languages containing the
  true language ({en,es}, {pt,en}, {de,fr,en}, {id,ms,th,vi,en}, {ja,en}, ...), which is how the
  service calls it;
- ~id=ms: the same, counting Indonesian <-> Malay mix-ups as right: the two are mutually
  intelligible standards of one language and cause most of the remaining errors;
- conf / conf-ok (assistant.language only): share of market-mode rows detected with confidence
  >= 0.5 (what switches a viewer's language) and how many of those are right;
- med / p95: microseconds per call in market mode (lingua models preloaded, warm-up excluded).

Run: .venv/bin/python bench/langid.py [--data DIR] [--sample N]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.language import LanguageDetector, ViewerLanguages  # noqa: E402

LANGS = ("ar", "de", "en", "es", "fr", "id", "ja", "ko", "ms", "pt", "ru", "th", "tr", "vi", "zh")
DATASETS = ("langid_word_pairs.tsv", "langid_single_words.tsv", "langid_sentences.tsv")

# A realistic market for each true language; the first language is the market's default.
MARKET_OF = {
    "en": ("en", "es"),  # United States
    "es": ("es", "en"),  # Mexico
    "pt": ("pt", "en"),  # Brazil
    "de": ("de", "fr", "en"),  # Switzerland / EU
    "fr": ("de", "fr", "en"),
    "id": ("id", "ms", "th", "vi", "en"),  # Southeast Asia, one stream for the region
    "ms": ("id", "ms", "th", "vi", "en"),
    "th": ("id", "ms", "th", "vi", "en"),
    "vi": ("id", "ms", "th", "vi", "en"),
    "ja": ("ja", "en"),
    "ko": ("ko", "en"),
    "zh": ("zh", "en"),  # Taiwan / Hong Kong
    "ar": ("ar", "en"),  # Gulf
    "tr": ("tr", "en"),
    "ru": ("ru", "en"),
}

# detect(text, candidates) -> (lang, confidence or None)
Detect = Callable[[str, Sequence[str]], tuple[str, float | None]]


@dataclass
class Row:
    lang: str
    text: str


def load(path: Path, sample: int, rng: random.Random) -> list[Row]:
    by_lang: dict[str, list[Row]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if rec["lang"] in LANGS:
                by_lang.setdefault(rec["lang"], []).append(Row(rec["lang"], rec["text"]))
    rows: list[Row] = []
    for lang in LANGS:
        got = by_lang.get(lang, [])
        rows += rng.sample(got, sample) if 0 < sample < len(got) else got
    return rows


def langdetect_detector() -> Detect:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect is random by default; fix it for repeatable figures

    def detect(text: str, candidates: Sequence[str]) -> tuple[str, float | None]:
        try:
            found = detect_langs(text)
        except LangDetectException:  # no features (digits, emoji)
            return candidates[0], None
        for guess in found:  # most probable first
            code = guess.lang.split("-")[0]  # zh-cn, zh-tw
            if code in candidates:
                return code, None
        return candidates[0], None

    return detect


def lingua_detector(*, low_accuracy: bool) -> Detect:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    cache = {}

    def detect(text: str, candidates: Sequence[str]) -> tuple[str, float | None]:
        key = frozenset(candidates)
        det = cache.get(key)
        if det is None:
            langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in key]
            builder = LanguageDetectorBuilder.from_languages(*langs)
            builder = builder.with_preloaded_language_models()
            if low_accuracy:
                builder = builder.with_low_accuracy_mode()
            det = cache[key] = builder.build()
        found = det.detect_language_of(text)
        return (found.iso_code_639_1.name.lower() if found else candidates[0]), None

    return detect


def assistant_detector(**options: bool) -> Detect:
    det = LanguageDetector(**options)
    det.warm([LANGS, *set(MARKET_OF.values())])

    def detect(text: str, candidates: Sequence[str]) -> tuple[str, float | None]:
        d = det.detect(text, candidates)
        return d.lang, d.confidence

    return detect


DETECTORS: dict[str, Callable[[], Detect]] = {
    "langdetect": langdetect_detector,
    "lingua": lambda: lingua_detector(low_accuracy=False),
    "lingua low-acc": lambda: lingua_detector(low_accuracy=True),
    "assistant": lambda: assistant_detector(),
    "assistant no-script": lambda: assistant_detector(script_shortcuts=False),
    "assistant low-acc": lambda: assistant_detector(low_accuracy=True),
}


def run(detect: Detect, rows: list[Row]) -> dict[str, float | None]:
    detect(rows[0].text, LANGS)  # warm-up: langdetect loads its profiles on first use
    acc15 = sum(detect(r.text, LANGS)[0] == r.lang for r in rows) / len(rows)
    right = near = confident = confident_right = 0
    times: list[int] = []
    for r in rows:
        start = time.perf_counter_ns()
        lang, conf = detect(r.text, MARKET_OF[r.lang])
        times.append(time.perf_counter_ns() - start)
        right += lang == r.lang
        near += lang == r.lang or {lang, r.lang} == {"id", "ms"}
        if conf is not None and conf >= 0.5:
            confident += 1
            confident_right += lang == r.lang
    times.sort()
    has_conf = detect(rows[0].text, MARKET_OF[rows[0].lang])[1] is not None
    return {
        "acc15": acc15,
        "market": right / len(rows),
        "near": near / len(rows),
        "conf": confident / len(rows) if has_conf else None,
        "conf_ok": (confident_right / confident if confident else 0.0) if has_conf else None,
        "med": statistics.median(times) / 1000,
        "p95": times[int(len(times) * 0.95)] / 1000,
    }


def resolve_throughput(rows: list[Row]) -> float:
    """Comments per second through ViewerLanguages.resolve on one core, 5,000 viewers."""
    viewers = ViewerLanguages(LanguageDetector())
    viewers._detector.warm(set(MARKET_OF.values()))
    stream = [(f"viewer-{i % 5000}", r.text, MARKET_OF[r.lang]) for i, r in enumerate(rows)]
    start = time.perf_counter()
    for key, text, candidates in stream:
        viewers.resolve(key, text, candidates)
    return len(stream) / (time.perf_counter() - start)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/eval-data/langid")
    parser.add_argument("--sample", type=int, default=0,
                        help="rows per language per dataset (seeded random sample); default 0 = "
                             "all rows, ~1 minute on 2 cores")
    parser.add_argument("--only", nargs="*", choices=list(DETECTORS), help="detectors to run")
    args = parser.parse_args()
    missing = [name for name in DATASETS if not (args.data / name).is_file()]
    if missing:
        print(f"langid data not found: {args.data} lacks {', '.join(missing)}.\n"
              "Point --data at the folder holding lingua's test data "
              "(langid_word_pairs.tsv, langid_single_words.tsv, langid_sentences.tsv).",
              file=sys.stderr)
        return 2

    rng = random.Random(0)
    data = {name.removeprefix("langid_").removesuffix(".tsv"): load(args.data / name, args.sample,
                                                                    rng)
            for name in DATASETS}
    sampled = "all rows" if args.sample <= 0 else f"<= {args.sample} per language, seeded sample"
    print("rows: " + ", ".join(f"{k} {len(v)}" for k, v in data.items()) + f" ({sampled})")
    header = ("detector", "dataset", "acc15", "market", "~id=ms", "conf", "conf-ok", "med us",
              "p95 us")
    widths = (20, 13, 6, 7, 7, 6, 7, 7, 7)
    print(" ".join(f"{h:<{w}}" if i < 2 else f"{h:>{w}}"
                   for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    t0 = time.perf_counter()
    for name in args.only or DETECTORS:
        detect = DETECTORS[name]()
        for dataset, rows in data.items():
            res = run(detect, rows)
            cells = (name, dataset, _pct(res["acc15"]), _pct(res["market"]), _pct(res["near"]),
                     _pct(res["conf"]), _pct(res["conf_ok"]), f"{res['med']:.1f}",
                     f"{res['p95']:.1f}")
            print(" ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}"
                           for i, (c, w) in enumerate(zip(cells, widths, strict=True))),
                  flush=True)
    short = data["word_pairs"] + data["single_words"]
    print(f"ViewerLanguages.resolve on word pairs + single words, 5,000 viewers: "
          f"{resolve_throughput(short):,.0f} comments/s on one core")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
