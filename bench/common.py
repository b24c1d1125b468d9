"""Helpers every benchmark here shares: the log line, figure formatting, and one guarded section."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


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
