"""Speech-to-text bench: faster-whisper's windowed transcribe() vs the short-utterance fast path
of assistant.stt.whisper, on real human recordings with human references.

Data: ../shared/eval-data/audio relative to the repo root (or --data DIR): picovoice-leopard
test*.wav, LibriSpeech / AISHELL utterances (wenet), Harvard sentences (speechbrain), JFK,
a few short English commands, and some of Azure's Custom Speech per-language samples (longer).

For each file it prints, per path: WER (CER for ja/zh/ko: they are written without word
spaces), seconds of wall time for one transcription, and the detected language.
- plain: `WhisperSTT(fast_path=False)`: language detection over the first 30 s window, then
  `WhisperModel.transcribe` with that language (greedy, no VAD, no previous-text conditioning);
  the language is chosen among all of Whisper's languages, as faster-whisper does by default;
- fast: `WhisperSTT()` with `languages=` a realistic market set containing the true language
  (audio over 28 s goes through the windowed path too; marked "win"; "retry" marks a second
  decode from the full 30 s window after a repetitive first decode).
Text is normalized before scoring: NFKC, casefold, punctuation and symbols removed.
The summary gives mean WER/CER and median / p95 seconds per path, for all files and for the
short ones (<= 15 s, the live-chat case). One warm-up call per path is not counted.

Run: .venv/bin/python bench/stt.py [--data DIR] [--model base] [--threads 2]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from faster_whisper import decode_audio  # noqa: E402

from assistant.stt.whisper import WhisperSTT  # noqa: E402

CHAR_LANGS = frozenset({"ja", "zh", "ko"})  # scored by CER
MARKETS = {  # the candidates the service would pass for a viewer of this language
    "en": ("en", "es"), "es": ("en", "es"), "pt": ("pt", "en"), "de": ("de", "fr", "en"),
    "fr": ("de", "fr", "en"), "it": ("de", "fr", "it", "en"), "ja": ("ja", "en"),
    "ko": ("ko", "en"), "zh": ("zh", "en"),
}
FILES = (  # path under the data folder; references come from manifest.tsv or *.trans.txt
    "picovoice-leopard/test.wav",
    "picovoice-leopard/test_es.wav",
    "picovoice-leopard/test_de.wav",
    "picovoice-leopard/test_fr.wav",
    "picovoice-leopard/test_it.wav",
    "picovoice-leopard/test_ja.wav",
    "picovoice-leopard/test_ko.wav",
    "picovoice-leopard/test_pt.wav",
    "wenet/librispeech-1995-1837-0001.wav",
    "wenet/aishell-BAC009S0724W0121.wav",
    "faster-whisper/jfk.flac",
    "speechbrain/ASR/spk1_snt1.wav",
    "speechbrain/ASR/spk1_snt3.wav",
    "speechbrain/ASR/spk2_snt1.wav",
    "speechbrain/ASR/spk2_snt4.wav",
    "deepspeech/new-home-in-the-stars-16k.wav",
    "google-python-docs-samples/audio.wav",
    "azure-speech-sdk/whatstheweatherlike.wav",
    "azure-speech-sdk-js/TurnOnTheLamp.wav",
    "azure-speech-sdk/customspeech_testing/fr-FR.wav",
    "azure-speech-sdk/customspeech_testing/ja-JP.wav",
    "azure-speech-sdk/customspeech_testing/zh-CN.wav",
)


@dataclass
class Item:
    path: str
    lang: str
    reference: str
    audio: np.ndarray

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / 16_000


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(c)[0] in "PSZC" else c for c in text]
    return " ".join("".join(kept).split())


def edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def error_rate(reference: str, hypothesis: str, lang: str) -> float:
    """WER, or CER for languages written without spaces (Korean: CER too, its word spacing
    varies between transcribers)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    if lang in CHAR_LANGS:
        r, h = list(ref.replace(" ", "")), list(hyp.replace(" ", ""))
    else:
        r, h = ref.split(), hyp.split()
    return edit_distance(r, h) / max(1, len(r))


def load(data: Path) -> list[Item]:
    with (data / "manifest.tsv").open(encoding="utf-8") as f:
        manifest = {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}
    items = []
    for path in FILES:
        row = manifest[path]
        reference = row["reference_text"]
        trans = (data / path).with_suffix(".trans.txt")
        if trans.is_file():  # the manifest may shorten long references
            reference = trans.read_text(encoding="utf-8").split("\t", 1)[1]
        audio = decode_audio(str(data / path), sampling_rate=16_000)
        items.append(Item(path, row["lang"], reference.strip(), audio))
    return items


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/eval-data/audio")
    parser.add_argument("--model", default="base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print the transcripts too")
    args = parser.parse_args()

    items = load(args.data)
    plain = WhisperSTT(args.model, fast_path=False, cpu_threads=args.threads)
    fast = WhisperSTT(args.model, fast_path=True, cpu_threads=args.threads)
    for stt in (plain, fast):  # warm-up: first calls allocate
        stt.transcribe(items[0].audio, languages=MARKETS[items[0].lang])

    rows = []
    header = (f"{'file':44} {'lang':4} {'sec':>5} | {'plain':>6} {'s':>5} {'lang':4} | "
              f"{'fast':>6} {'s':>5} {'lang':4} {'how':5} {'x':>5}")
    print(header)
    print("-" * len(header))
    for item in items:
        start = time.perf_counter()
        p = plain.transcribe(item.audio)
        p_s = time.perf_counter() - start
        start = time.perf_counter()
        f = fast.transcribe(item.audio, languages=MARKETS[item.lang])
        f_s = time.perf_counter() - start
        how = ("win" if item.seconds > fast.max_fast_s
               else "retry" if "retried" in f.timings_ms else "fast")
        p_err = error_rate(item.reference, p.text, item.lang)
        f_err = error_rate(item.reference, f.text, item.lang)
        rows.append((item, p_err, p_s, f_err, f_s, p.lang, f.lang))
        metric = "cer" if item.lang in CHAR_LANGS else "wer"
        print(f"{item.path[-44:]:44} {item.lang:4} {item.seconds:5.1f} | "
              f"{p_err:6.3f} {p_s:5.2f} {p.lang:4} | {f_err:6.3f} {f_s:5.2f} {f.lang:4} "
              f"{how:5} {p_s / f_s:5.1f}  {metric}")
        if args.show:
            print(f"    ref:   {item.reference[:150]}")
            print(f"    plain: {p.text[:150]}")
            print(f"    fast:  {f.text[:150]}")

    print("-" * len(header))
    for label, subset in (("all", rows), ("<=15 s", [r for r in rows if r[0].seconds <= 15])):
        p_times, f_times = [r[2] for r in subset], [r[4] for r in subset]
        p_err = statistics.fmean(r[1] for r in subset)
        print(
            f"{label:>8} n={len(subset):2}  plain: mean err {p_err:.3f}"
            f"  median {statistics.median(p_times):.2f} s  p95 {p95(p_times):.2f} s"
            f"  |  fast: mean err {statistics.fmean(r[3] for r in subset):.3f}"
            f"  median {statistics.median(f_times):.2f} s  p95 {p95(f_times):.2f} s"
        )
    p_ok = sum(r[5] == r[0].lang for r in rows)
    f_ok = sum(r[6] == r[0].lang for r in rows)
    print(f"language right: plain {p_ok}/{len(rows)} (any language), "
          f"fast {f_ok}/{len(rows)} (market candidates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
