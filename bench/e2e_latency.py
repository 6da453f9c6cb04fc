"""End-to-end latency of a season, as a client of the gateway sees it.

    .venv/bin/python bench/e2e_latency.py [--runs N] [--weeks W] [--base-url URL]

By default the benchmark starts a stack of its own (bench/_stack.py): the five services as
child processes on free ports, a fresh PostgreSQL database migrated and seeded with
data/sample, a unique stream prefix; all of it is stopped and dropped at the end, so the stack
of `make run` is never touched. `--base-url` measures an already running stack instead (its
database then keeps the benchmark's workflows).

Each run plays the start of a season through the public API only (planner_client):
the brief goes to POST /api/parameters/extract, the parameters to POST /api/workflows/forecast,
and the clock stops when `human_input_required` for the manufacturing order arrives on the
workflow's WebSocket (four categories, Prophet + ARIMA each, dominate this). The order is
accepted, and weeks 1..W of data/sample/weekly_actuals_by_week are uploaded one after
another; each upload's clock stops when that week's `variance.checked` arrives on the
WebSocket. W defaults to 3: week 4's cold snap starts a re-forecast, whose model fits would
compete for the cores with the next run's forecast. The brief is the demo's
(scripts/demo.py). Medians over the runs; the per-run forecast times are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator

from _stack import ROOT, private_stack

from planner_client import GatewayClient, WorkflowFeed, is_event, needs_input

# The brief is the demo's (scripts/ is not a package).
sys.path.insert(0, str(ROOT / "scripts"))
from demo import DEFAULT_BRIEF as BRIEF
from demo import REFERENCE_DATE

WEEKS_DIR = ROOT / "data" / "sample" / "weekly_actuals_by_week"
STEP_TIMEOUT = 240.0

Samples = dict[str, list[float]]


async def one_run(client: GatewayClient, weeks: int, samples: Samples) -> None:
    def add(name: str, seconds: float) -> None:
        samples.setdefault(name, []).append(seconds)

    started = time.monotonic()
    extraction = await client.extract(BRIEF, REFERENCE_DATE)
    extracted = time.monotonic()
    created = await client.start(parameters=extraction["parameters"], brief=BRIEF)
    posted = time.monotonic()
    add("POST /api/parameters/extract", extracted - started)
    add("POST /api/workflows/forecast", posted - extracted)
    workflow_id = str(created["workflow_id"])
    async with WorkflowFeed(client, workflow_id) as feed:
        forecast = await feed.first(
            is_event("forecast.completed", run_number=1), within=STEP_TIMEOUT
        )
        add("brief -> forecast.completed (WS)", forecast["_received"] - started)
        proposal = await feed.first(needs_input("manufacturing"), within=STEP_TIMEOUT)
        add("brief -> manufacturing human_input_required", proposal["_received"] - started)

        mark = feed.mark()
        decided_at = time.monotonic()
        await client.decide("manufacturing", workflow_id, "accept")
        season = await feed.first(
            is_event("workflow.state_changed", to_state="in_season"),
            after=mark,
            within=STEP_TIMEOUT,
        )
        add("approval -> in_season (allocation done)", season["_received"] - decided_at)

        for week, csv_file in enumerate(sorted(WEEKS_DIR.glob("week_*.csv"))[:weeks], start=1):
            mark = feed.mark()
            uploaded_at = time.monotonic()
            await client.upload_week(workflow_id, csv_file)
            add("POST /api/data/weekly-actuals (202)", time.monotonic() - uploaded_at)
            checked = await feed.first(
                is_event("variance.checked", week_number=week), after=mark, within=STEP_TIMEOUT
            )
            add("weekly upload -> variance.checked (WS)", checked["_received"] - uploaded_at)
        # The variance is also readable over REST by now (same transaction as the event).
        await client.get(f"/api/workflows/{workflow_id}/variance", week=weeks)


def print_table(samples: Samples, runs: int) -> None:
    print(f"\nEnd-to-end latency, {runs} run(s); seconds")
    print(f"{'step':<46}{'n':>4}{'median':>9}{'min':>9}{'max':>9}")
    for name, values in samples.items():
        print(
            f"{name:<46}{len(values):>4}{statistics.median(values):>9.3f}"
            f"{min(values):>9.3f}{max(values):>9.3f}"
        )


def print_runs(samples: Samples) -> None:
    values = samples.get("brief -> manufacturing human_input_required", [])
    print(f"\nbrief -> manufacturing proposal per run (s): {', '.join(f'{v:.1f}' for v in values)}")
    if len(values) > 1:
        # A fresh stack's first forecast also starts the forecast service's worker processes.
        print(
            f"first run {values[0]:.1f}s; median of runs 2-{len(values)}: "
            f"{statistics.median(values[1:]):.1f}s"
        )


@contextlib.contextmanager
def target(base_url: str | None) -> Iterator[str]:
    if base_url:
        yield base_url
        return
    started = time.monotonic()
    with private_stack() as stack:
        print(
            f"private stack up in {time.monotonic() - started:.1f}s: {stack.gateway_url}, "
            f"stream prefix {stack.stream_prefix}",
            flush=True,
        )
        yield stack.gateway_url


async def measure(base_url: str, runs: int, weeks: int) -> Samples:
    samples: Samples = {}
    async with GatewayClient(base_url) as client:
        if not await client.answers():
            raise SystemExit(f"nothing answers at {base_url}/api/health")
        for run in range(1, runs + 1):
            started = time.monotonic()
            await one_run(client, weeks, samples)
            print(f"  run {run}/{runs} done in {time.monotonic() - started:.1f}s", flush=True)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=3, choices=range(1, 13))
    parser.add_argument("--base-url", default=None, help="measure this running stack instead")
    args = parser.parse_args(argv)
    print(
        f"machine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start",
        flush=True,
    )
    with target(args.base_url) as base_url:
        samples = asyncio.run(measure(base_url, args.runs, args.weeks))
    print_table(samples, args.runs)
    print_runs(samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
