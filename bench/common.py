"""Helpers every benchmark here shares: the log line, figure formatting, and one guarded section."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ESBUILD = ROOT / "frontend" / "node_modules" / ".bin" / "esbuild"


def build_bundle(entry: Path, directory: Path) -> str:
    """A script of bench/ and the app's own modules, bundled for injection into a page."""
    if not ESBUILD.exists():
        raise RuntimeError(f"{ESBUILD.relative_to(ROOT)} is missing: run `make install` first")
    out = directory / f"{entry.stem}.js"
    subprocess.run(
        [
            str(ESBUILD),
            str(entry),
            "--bundle",
            "--format=iife",
            "--target=chrome110",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        cwd=ROOT / "frontend",
        check=True,
    )
    return out.read_text()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}{unit}"
    return str(value)


def section(
    results: dict[str, Any],
    name: str,
    fn: Callable[[], dict[str, Any]],
    deadline: float | None = None,
    indent: str = "",
) -> dict[str, Any] | None:
    """Runs one part of a bench; a failure is written down as that part's figure, never faked.

    ``deadline`` (time.monotonic()): past it, the part is recorded as skipped, not run.
    """
    if deadline is not None and time.monotonic() > deadline:
        results[name] = {"error": "skipped: the run's time budget (--max-minutes) was spent"}
        log(f"{indent}{name} skipped (out of time)")
        return None
    log(f"{indent}{name} ...")
    started = time.monotonic()
    try:
        value = fn()
    except Exception as error:  # the reason goes into the results
        traceback.print_exc()
        results[name] = {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
        log(f"{indent}{name} FAILED: {results[name]['error']}")
        return None
    value["wall_clock_s"] = round(time.monotonic() - started, 1)
    results[name] = value
    log(f"{indent}{name} done in {value['wall_clock_s']} s")
    return value


def spread(values: list[float]) -> dict[str, Any] | None:
    """How a measure spread over its repetitions: n, median, min, max and the quartiles.

    The quartiles are statistics.quantiles' "inclusive" ones (the median of each half, the middle
    value shared); with one value, all of them are that value.
    """
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    q1, q3 = (known[0], known[0]) if len(known) == 1 else statistics.quantiles(known, n=4, method="inclusive")[::2]
    return {
        "n": len(known),
        "median": statistics.median(known),
        "min": known[0],
        "max": known[-1],
        "q1": q1,
        "q3": q3,
    }


def fmt_spread(s: dict[str, Any] | None, unit: str = "", digits: int = 2) -> str:
    """The median, then the range and the interquartile range (en dashes), and n."""
    if not s:
        return "n/a"
    return (
        f"{fmt(s['median'], unit, digits)} (min–max {fmt(s['min'], '', digits)}–{fmt(s['max'], '', digits)}, "
        f"IQR {fmt(s['q1'], '', digits)}–{fmt(s['q3'], '', digits)}, n={s['n']})"
    )


def verdict_over_spread(values: list[float], goal: float, higher_is_better: bool = True) -> str:
    """The verdict on a goal over every repetition, never over the median alone.

    "met" only when every repetition is at or past the goal, "missed" when none is, and "not settled:
    the spread crosses the goal" otherwise; "not measured" with no value at all.
    """
    known = [v for v in values if v is not None]
    if not known:
        return "not measured"
    ok = [v >= goal if higher_is_better else v <= goal for v in known]
    if all(ok):
        return "met"
    if not any(ok):
        return "missed"
    return "not settled: the spread crosses the goal"
