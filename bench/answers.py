"""Are the answers right? Scores the real service on the answer evaluation set
(bench/answers/: questions with the facts each answer must hold; README there).

    .venv/bin/python bench/answers.py                 # held-out split, table per market x language
    .venv/bin/python bench/answers.py --split dev --failures   # the tuning split, with its misses

`assistant serve` runs in its own process on a copy of prompts/ plus the evaluation-only markets;
every question is a new viewer in its own room (unless it names a `room`), sent over HTTP like a
platform would, with its `stage` product and `history` first. A reply is fully right when its
language, every required fact, no forbidden figure, no figure absent from the market data, and
the handoff kind are all right. Failures are printed for the dev split only: the held-out split
stays out of the tuning loop.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import ROOT, free_port, start_server  # noqa: E402

DATA = Path(__file__).resolve().parent / "answers"
HOST_TOKEN = "dev-host-token"
CHECKS = ("language", "facts", "no_invented", "handoff")

# Grouping separators between digit groups: "89,000", "1.299,00", "12 800", "1'299".
_GROUPED = re.compile(r"(?<=\d)[,.\u00a0\u202f' ](?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}(?!\d))")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def fold(text: str) -> str:
    """Compare facts loosely on form, strictly on content: NFKC, casefold, grouping separators
    dropped, decimal commas as points, ".00" dropped."""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    for _ in range(3):  # "1.234.567" needs one pass per group
        s = _GROUPED.sub("", s)
    s = _DECIMAL_COMMA.sub(".", s)
    return re.sub(r"(?<=\d)\.0+(?!\d)", "", s)


def numbers(text: str) -> set[Decimal]:
    out = set()
    for m in _NUMBER.findall(fold(text)):
        try:
            out.add(Decimal(m).normalize())
        except InvalidOperation:
            pass
    return out


def holds(folded_text: str, item: object) -> bool:
    """Whether a folded reply holds a fact. A figure is a whole number: "4,000" is not in
    "40,000", nor "3" in "30"."""
    want = fold(item)
    pattern = re.escape(want)
    if want[:1].isdigit():
        pattern = r"(?<![\d.])" + pattern
    if want[-1:].isdigit():
        pattern += r"(?!\.?\d)"
    return re.search(pattern, folded_text) is not None


@dataclass
class Question:
    id: str
    market: str
    split: str
    text: str
    lang: str
    handoff: str = "none"
    stage: str | None = None
    history: list[str] = field(default_factory=list)
    must: list = field(default_factory=list)
    must_not: list = field(default_factory=list)
    room: str | None = None
    why: str = ""


def load_questions(split: str, market: str | None) -> list[Question]:
    out = []
    for path in sorted((DATA / "questions").glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            q = Question(**{k: v for k, v in raw.items() if k in Question.__dataclass_fields__})
            q.history = [str(h) for h in (q.history or [])]
            if (split == "all" or q.split == split) and (market is None or q.market == market):
                out.append(q)
    return out


def market_numbers(folder: Path) -> set[Decimal]:
    """Every figure the market's data holds, plus what follows from it (discount percents, sale
    savings), which an answer may state without inventing anything."""
    found: set[Decimal] = set()
    for f in folder.iterdir():
        if f.suffix in {".yaml", ".md"}:
            found |= numbers(f.read_text(encoding="utf-8"))
    products = yaml.safe_load((folder / "products.yaml").read_text(encoding="utf-8")) or []
    for p in products:
        price, sale = p.get("price"), p.get("sale_price")
        if price and sale:
            price, sale = Decimal(str(price)), Decimal(str(sale))
            found.add((price - sale).normalize())
            found.add(((1 - sale / price) * 100).quantize(Decimal(1)).normalize())
    return found


class Scorer:
    def __init__(self, base: str, prompts: Path):
        self.http = httpx.Client(base_url=base, timeout=30)
        self.known: dict[str, set[Decimal]] = {}
        self.prompts = prompts
        self.languages: dict[str, list[str]] = {}
        from lingua import LanguageDetectorBuilder  # the service's own detector

        self.detector = LanguageDetectorBuilder.from_all_languages().build()

    def figures_of(self, market: str) -> set[Decimal]:
        if market not in self.known:
            self.known[market] = market_numbers(self.prompts / market)
        return self.known[market]

    def ask(self, q: Question) -> dict:
        room = q.room or f"eval-{q.id}"
        viewer = f"v-{q.id}"
        if q.stage:
            self.http.post(f"/v1/rooms/{room}/stage",
                           json={"market": q.market, "sku": q.stage}).raise_for_status()
        for h in q.history:
            self.http.post(f"/v1/rooms/{room}/messages",
                           json={"market": q.market, "viewer_id": viewer, "text": h})
        r = self.http.post(f"/v1/rooms/{room}/messages",
                           json={"market": q.market, "viewer_id": viewer, "text": q.text})
        reply = r.json() if r.headers.get("content-type", "").startswith("application/json") \
            else {"error": r.text}
        reply["status"] = r.status_code
        reply["handoff_kind"] = "none"
        if r.status_code == 200 and reply.get("handoff"):
            h = self.http.get(f"/v1/handoffs/{reply['handoff']['id']}",
                              headers={"authorization": f"Bearer {HOST_TOKEN}"})
            reply["handoff_kind"] = h.json().get("kind", "purchase") if h.status_code == 200 \
                else "unknown"
        return reply

    def language_right(self, q: Question, reply: dict) -> bool:
        if reply.get("lang") != q.lang:
            return False
        # The label must also be true of the text: strip figures and Latin product names that
        # any language carries, then ask lingua among all languages; only a confident other
        # language counts against the reply.
        text = re.sub(r"[\d.,:%$€¥₩₺]+", " ", reply.get("text", ""))
        best = self.detector.compute_language_confidence_values(text)[:1]
        if not best:
            return True
        iso = best[0].language.iso_code_639_1.name.lower()
        return iso == q.lang or best[0].value < 0.9

    def score(self, q: Question, reply: dict) -> dict[str, bool]:
        text = fold(reply.get("text", ""))
        facts = all(
            any(holds(text, alt) for alt in (item if isinstance(item, list) else [item]))
            for item in q.must
        )
        forbidden = any(holds(text, x) for x in q.must_not)
        allowed = self.figures_of(q.market) | numbers(q.text) | {
            n for h in q.history for n in numbers(h)}
        invented = numbers(reply.get("text", "")) - allowed
        got = reply.get("handoff_kind", "none")
        return {
            "language": reply.get("status") == 200 and self.language_right(q, reply),
            "facts": facts and not forbidden,
            "no_invented": not invented,
            "handoff": got == q.handoff,
        }


def _pct(ok: int, n: int) -> str:
    return f"{100 * ok / n:5.1f}" if n else "    -"


def print_table(title: str, rows: dict[tuple[str, str], list[dict[str, bool]]]) -> None:
    print(f"\n{title}\n")
    print("| market | lang | n | language % | facts % | no invented % | handoff % | all right % |")
    print("|---|---|---|---|---|---|---|---|")
    total: list[dict[str, bool]] = []
    for (market, lang), results in sorted(rows.items()):
        total += results
        cells = [_pct(sum(r[c] for r in results), len(results)) for c in CHECKS]
        right = sum(all(r.values()) for r in results)
        print(f"| {market} | {lang} | {len(results)} | " + " | ".join(cells)
              + f" | {_pct(right, len(results))} |")
    by_lang: dict[str, list] = defaultdict(list)
    for (_, lang), results in rows.items():
        by_lang[lang] += results
    for lang, results in sorted(by_lang.items()):
        cells = [_pct(sum(r[c] for r in results), len(results)) for c in CHECKS]
        print(f"| (all) | {lang} | {len(results)} | " + " | ".join(cells)
              + f" | {_pct(sum(all(r.values()) for r in results), len(results))} |")
    cells = [_pct(sum(r[c] for r in total), len(total)) for c in CHECKS]
    print(f"| **all** | | {len(total)} | " + " | ".join(cells)
          + f" | **{_pct(sum(all(r.values()) for r in total), len(total))}** |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["heldout", "dev", "all"], default="heldout")
    ap.add_argument("--market")
    ap.add_argument("--failures", action="store_true", help="print misses (dev split only)")
    args = ap.parse_args()
    if args.failures and args.split != "dev":
        raise SystemExit("--failures is for the dev split: the held-out split stays unread")
    questions = load_questions(args.split, args.market)
    if not questions:
        raise SystemExit("no questions")

    with tempfile.TemporaryDirectory() as tmp:
        prompts = Path(tmp) / "prompts"
        shutil.copytree(ROOT / "prompts", prompts)
        for folder in (DATA / "markets").iterdir():
            if folder.is_dir() and not (prompts / folder.name).exists():
                shutil.copytree(folder, prompts / folder.name)
        port = free_port()
        proc = start_server(port, Path(tmp) / "answers.sqlite3",
                            ASSISTANT_PROMPTS_DIR=str(prompts), ASSISTANT_VOICE_PRELOAD="false",
                            ASSISTANT_WATCH_PROMPTS="false", ASSISTANT_RATE_LIMIT_BURST="1000",
                            ASSISTANT_RATE_LIMIT_PER_MIN="100000")
        try:
            scorer = Scorer(f"http://127.0.0.1:{port}", prompts)
            rows: dict[tuple[str, str], list[dict[str, bool]]] = defaultdict(list)
            misses = []
            for q in questions:
                reply = scorer.ask(q)
                result = scorer.score(q, reply)
                rows[(q.market, q.lang)].append(result)
                if not all(result.values()):
                    misses.append((q, reply, result))
        finally:
            proc.terminate()
            proc.wait(10)

    print_table(f"Answers, {args.split} split ({len(questions)} questions; "
                "fully right = language, facts, no invented figure and handoff all right)", rows)
    if args.failures:
        print(f"\n{len(misses)} misses:")
        for q, reply, result in misses:
            bad = ",".join(c for c in CHECKS if not result[c])
            print(f"- {q.id} [{bad}] ({q.lang}, want handoff {q.handoff}) {q.text!r}"
                  f"{' stage=' + q.stage if q.stage else ''}\n    -> [{reply.get('lang')}, "
                  f"{reply.get('handoff_kind')}] {reply.get('text', reply.get('error'))!r}\n"
                  f"    must={q.must} must_not={q.must_not}  ({q.why})")


if __name__ == "__main__":
    main()
