"""What an operator sees of the lanes' caches: Prometheus gauges and a log line per panel.

The fit and forward caches (rolling.py) live in the worker processes, where /metrics cannot
read them; after each panel the service asks every lane for its figures (`cache_counts`, a
dictionary of integers: microseconds) and publishes them here. A hit rate that stays near
zero while seasons share a history, or fallbacks that climb, are the things to look at.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge

from planner_forecast.parallel import Lanes, cache_counts

log = logging.getLogger(__name__)
# Reports in flight (the event loop keeps only weak references to tasks).
_REPORTS: set[asyncio.Task[list[dict[str, int]]]] = set()

LANE_CACHE = Gauge(
    "planner_forecast_lane_cache",
    "Fit and forward cache figures of each forecast lane (entries, hits, misses: cumulative "
    "since the lane started), and its fits that fell back to the last value.",
    ["lane", "figure"],
)


async def report_lanes(lanes: Lanes) -> list[dict[str, int]]:
    """Read every lane's cache figures into the gauges; one log line; the figures."""
    figures = list(await asyncio.gather(*map(asyncio.wrap_future, lanes.on_each(cache_counts))))
    for lane, counts in enumerate(figures):
        for name, value in counts.items():
            LANE_CACHE.labels(lane=str(lane), figure=name).set(value)
    total = {name: sum(c[name] for c in figures) for name in figures[0]} if figures else {}
    asked = total.get("fit_hits", 0) + total.get("fit_misses", 0)
    log.info(
        "lane caches: %d fits (hit rate %.0f%%), %d forwards, %d fallbacks to the last value",
        total.get("fits", 0),
        100 * total.get("fit_hits", 0) / asked if asked else 0.0,
        total.get("forwards", 0),
        total.get("fallbacks", 0),
        extra={"lanes": figures},
    )
    return figures


def report_lanes_soon(lanes: Lanes) -> None:
    """`report_lanes` in the background: its jobs queue behind the seasons' fits on the
    lanes, and a season's forecast must not wait for them."""
    task = asyncio.ensure_future(report_lanes(lanes))
    _REPORTS.add(task)
    task.add_done_callback(_reported)


def _reported(task: asyncio.Task[list[dict[str, int]]]) -> None:
    _REPORTS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("lane cache figures not read: %r", task.exception())
