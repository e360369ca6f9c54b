"""Comment-stream throughput and latency on the embedded engine, over the real WebSocket.

Starts `assistant serve` as its own process (so the client does not share its event loop),
then replays a burst of comments from many viewers in several languages into one room:
  1. paced at --rate comments/s: per-comment answer latency (median, p95, p99);
  2. unpaced (as fast as the socket takes them): sustained comments/s.
Latency = time from sending a comment to receiving the first frame addressed to its viewer
(an "answer", an "answer.addressed" for a de-duplicated burst, or an error).

    .venv/bin/python bench/comment_stream.py [--comments 10000 --viewers 2000 --rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import websockets
from _server import free_port, start_server

ROOT = Path(__file__).resolve().parent.parent

# Questions viewers of the "sea" market (id, th, vi, en) type; several refer to products by
# their local names, some are chit-chat or buying signals.
QUESTIONS = {
    "en": ["how much is the hoodie?", "do you ship to Vietnam?", "is size M in stock?",
           "how long is delivery to Thailand?", "what is the return policy?",
           "can I pay cash on delivery?", "hi from Manila!", "I want to buy 2 now",
           "what colors does the hoodie come in?", "how do I join the campaign?"],
    "id": ["berapa harga hoodie ini?", "bisa kirim ke Indonesia?", "ukuran M ada stok?",
           "berapa lama pengiriman?", "bisa bayar COD?", "mau beli 2 ya kak",
           "bahannya apa?", "cara ikut promo gimana?"],
    "th": ["เสื้อฮู้ดราคาเท่าไหร่", "ส่งไทยไหมคะ", "ไซส์ M มีของไหม", "กี่วันถึง",
           "เก็บเงินปลายทางได้ไหม", "สวัสดีค่ะ", "เอา 2 ตัวค่ะ"],
    "vi": ["áo hoodie giá bao nhiêu?", "có ship về Việt Nam không?", "size M còn hàng không?",
           "bao lâu thì nhận được hàng?", "có trả tiền khi nhận hàng không?",
           "chốt đơn 2 cái nhé", "chất liệu là gì vậy?"],
}

DECORATIONS = {
    "en": [" 😍", " pls", " !!", " ??", " 🙏", " please", " 🔥🔥", " thx"],
    "id": [" kak", " ya", " 🙏", " dong", " kak 😍", " min", " ??", " gan"],
    "th": [" ค่ะ", " ครับ", " 🙏", " นะคะ", " 😍", " จ้า", " ??", " คับ"],
    "vi": [" ạ", " shop ơi", " 🙏", " nha", " 😍", " ad ơi", " ??", " vậy"],
}


def make_comments(n: int, viewers: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    langs = list(QUESTIONS)
    viewer_lang = {f"v{i}": langs[i % len(langs)] for i in range(viewers)}
    ids = list(viewer_lang)
    # Every viewer speaks at most n/viewers times, spread over the burst, as in a live room.
    order = (ids * (n // viewers + 1))[:n]
    rng.shuffle(order)
    # Viewers decorate the same question differently ("price?? 😍", "berapa kak 🙏"): half the
    # comments get a decoration, so the engine sees hundreds of distinct texts, not 32.
    def text(lang: str) -> str:
        q = rng.choice(QUESTIONS[lang])
        if rng.random() < 0.5:
            q += rng.choice(DECORATIONS[lang])
        return q

    return [{"viewer_id": v, "text": text(viewer_lang[v])} for v in order]


async def run_phase(url: str, comments: list[dict], rate: float | None) -> dict:
    sent: dict[float, float] = {}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    frames = 0
    done = asyncio.Event()
    async with websockets.connect(url, max_size=1 << 22, compression=None) as ws:
        await ws.recv()  # ready

        async def reader() -> None:
            nonlocal frames
            async for raw in ws:
                now = time.perf_counter()
                ev = json.loads(raw)
                frames += 1
                tss = ev.get("in_reply_to_ts")
                if tss is None:
                    continue
                if ev["type"] == "error":
                    errors[ev["code"]] = errors.get(ev["code"], 0) + 1
                for ts in tss if isinstance(tss, list) else [tss]:
                    t0 = sent.pop(ts, None)
                    if t0 is not None:
                        latencies.append(now - t0)
                if not sent and len(latencies) + 0 >= len(comments):
                    done.set()
                    return

        task = asyncio.create_task(reader())
        start = time.perf_counter()
        for i, c in enumerate(comments):
            if rate:
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            ts = float(i)
            sent[ts] = time.perf_counter()
            await ws.send(json.dumps({**c, "ts": ts}))
        send_end = time.perf_counter()
        try:
            await asyncio.wait_for(done.wait(), 120)
        finally:
            task.cancel()
        end = time.perf_counter()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "comments": len(comments), "answered": len(latencies), "frames": frames,
        "msgs_per_s": len(latencies) / (end - start), "send_s": send_end - start,
        "median_ms": statistics.median(latencies) * 1000, "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000, "max_ms": latencies[-1] * 1000, "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=10_000)
    ap.add_argument("--viewers", type=int, default=2_000)
    ap.add_argument("--rate", type=float, default=2_000.0, help="paced phase, comments/s")
    ap.add_argument("--market", default="sea")
    ap.add_argument("--port", type=int, default=None,
                    help="use a server already running on this port (e.g. under a profiler)")
    args = ap.parse_args()

    port = args.port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = None if args.port else start_server(port, Path(tmp) / "bench.sqlite3")
        try:
            rows = []
            for name, rate, room in (("paced", args.rate, "bench-paced"),
                                     ("unpaced", None, "bench-burst")):
                url = f"ws://127.0.0.1:{port}/v1/rooms/{room}/stream?market={args.market}"
                comments = make_comments(args.comments, args.viewers,
                                         seed=1 if rate else 2)
                rows.append((name, rate, asyncio.run(run_phase(url, comments, rate))))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)

    print(f"\nComment stream, market {args.market}: {args.comments} comments from "
          f"{args.viewers} viewers in {len(QUESTIONS)} languages ({', '.join(QUESTIONS)}), "
          f"{os.cpu_count()} cores\n")
    print("| phase | offered rate | answered | frames out | msgs/s | median ms | p95 ms | "
          "p99 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, rate, r in rows:
        print(f"| {name} | {f'{rate:.0f}/s' if rate else 'as fast as possible'} | "
              f"{r['answered']}/{r['comments']} | {r['frames']} | {r['msgs_per_s']:.0f} | "
              f"{r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['max_ms']:.1f} | {r['errors'] or '-'} |")


if __name__ == "__main__":
    main()
