#!/usr/bin/env python3
"""How a catch-up's writes should be sized: the app's store (Repository.write) writing 10,000
events in transactions of 100 to 10,000, in Chromium, interleaved and repeated.

Writes bench/results/idb-latest.md and idb-<date>.json. Usage: .venv/bin/python bench/idb_write_bench.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.common import build_bundle, log  # noqa: E402
from tests.e2e.harness import launch_chromium  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ORIGIN = "http://idb.bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--sizes", default="100,250,500,1000,2000,5000,10000")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs: dict[int, list[dict[str, float]]] = {s: [] for s in sizes}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        script = build_bundle(ROOT / "bench" / "idb" / "write_sizes.ts", Path(tmp))
        browser = launch_chromium(playwright)
        page = browser.new_context().new_page()
        page.route(
            f"{ORIGIN}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>idb</title>"),
        )
        page.goto(f"{ORIGIN}/")
        page.add_script_tag(content=script)
        # Interleaved: each repetition goes through every size, so drift in the machine hits all alike.
        for rep in range(args.reps):
            for size in sizes:
                result = page.evaluate(
                    "([s, n, name]) => window.peerwallWriteSizes(s, n, name)", [size, args.events, f"w{size}-{rep}"]
                )
                runs[size].append(result)
                log(f"rep {rep + 1}, {size}: {result['ms']:.0f} ms, longest task {result['longestTaskMs']:.0f} ms")
        version = browser.version
        browser.close()
    rows = []
    for size in sizes:
        ms = [r["ms"] for r in runs[size]]
        longest = [r["longestTaskMs"] for r in runs[size]]
        rows.append(
            {
                "size": size,
                "ms": ms,
                "median_ms": statistics.median(ms),
                "events_per_s": round(args.events / (statistics.median(ms) / 1000)),
                "longest_task_ms": max(longest),
            }
        )
    today = dt.date.today().isoformat()
    data = {"date": today, "chromium": version, "events": args.events, "load": os.getloadavg(), "rows": rows}
    (RESULTS / f"idb-{today}.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        f"# Peerwall store writes by transaction size — {today}",
        "",
        f"Chromium {version}; {args.events:,} events of about 500 B written with the app's Repository.write "
        f"(strict durability, puts a few hundred a task), one transaction after another, {args.reps} interleaved "
        f"repetitions; load average at the end {', '.join(f'{x:.1f}' for x in data['load'])}.",
        "",
        "| events a transaction | runs, ms | median | events/s | longest main-thread task, ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']:,} | {', '.join(f'{m:.0f}' for m in r['ms'])} | {r['median_ms']:.0f} ms | "
            f"{r['events_per_s']:,} | {r['longest_task_ms']:.0f} |"
        )
    (RESULTS / "idb-latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
