"""What the in-process benchmarks share: the machine line their tables open with, the timing
of a call repeated, and the verdict against a target.

Not a benchmark itself: run_benchmarks.py skips files starting with `_`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def print_machine() -> None:
    """The cores and the load at the start: on a shared machine the figures are upper bounds."""
    print(
        f"machine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start",
        flush=True,
    )


def timed_ms(call: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds of each of `repeats` calls, fastest first."""
    ms = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        ms.append(1000 * (time.perf_counter() - started))
    return sorted(ms)


def median_p95(ms: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile of sorted timings."""
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))]


def verdict(figure: float, target: float | None) -> tuple[str, bool]:
    """The mark printed beside a figure judged against its target (none: printed only), and
    whether it failed."""
    if target is None:
        return "", False
    return (" ok", False) if figure < target else (f" OVER {target:g} ms", True)
