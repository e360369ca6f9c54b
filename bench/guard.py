"""Benchmark the LLM grounding guard: false alarms on the facts and attacks stopped.

    .venv/bin/python bench/guard.py [--misses]

Sets:
  grounded : every answer the grounded engine gives in every shipped market and language (a
             model repeating the facts must pass): counts false alarms.
  attacks  : tests/data/guard/attacks.yaml, 56 invented claims in 14 languages (prices in
             words, free shipping, coupons, next-day delivery). Written first, then TUNED ON:
             an in-sample figure (46/56 stopped before the claim checks were tuned).
  heldout  : tests/data/guard/heldout.yaml, 32 other phrasings written after that tuning.
             First measured at 20/32; one generic fix followed from its misses (campaign
             amounts said as a product's price), so it is no longer clean either - a fresh
             set is needed for a clean figure.
Times are per check_reply call."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.knowledge.registry import MarketRegistry  # noqa: E402
from assistant.llm.guard import check_reply  # noqa: E402
from tests.guard_cases import attacks, grounded_replies  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="print what was let through")
    args = ap.parse_args()
    registry = MarketRegistry(ROOT / "prompts")
    us = registry.get("us")
    rows = []
    times: list[float] = []

    def timed(*a, **kw):
        t0 = time.perf_counter()
        r = check_reply(*a, **kw)
        times.append((time.perf_counter() - t0) * 1e6)
        return r

    grounded = list(grounded_replies(registry))
    alarms = [(m.id, lang, a.text) for m, lang, sku, a in grounded
              if not timed(m, a.text, facts=a.facts, lang=lang, sku=sku).ok]
    rows.append(("grounded (must pass)", len(grounded), len(grounded) - len(alarms),
                 f"{len(alarms)} false alarms"))
    for name in ("attacks", "heldout"):
        cases = attacks(name)
        missed = [(lang, t) for lang, t in cases if timed(us, t, lang=lang).ok]
        rows.append((f"{name} (must stop)", len(cases), len(cases) - len(missed),
                     f"{len(missed)} let through"))
        if args.misses:
            for lang, t in missed:
                print(f"  let through [{name} {lang}]: {t}")
        if args.misses:
            for m, lang, t in alarms:
                print(f"  false alarm [{m} {lang}]: {t}")
    print("| set | n | right | errors |")
    print("|---|---|---|---|")
    for name, n, ok, err in rows:
        print(f"| {name} | {n} | {ok} ({100 * ok / n:.1f}%) | {err} |")
    print(f"\ncheck_reply: median {statistics.median(times):.0f} us, p95 {pct(times, 0.95):.0f} us"
          f" over {len(times)} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
