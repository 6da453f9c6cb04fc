"""Replay a past season of the sample from the history and print the plan against what
happened (docs/replay.md); the figures of that page come from this script.

    uv run --frozen python scripts/replay_season.py [--weeks 12] [--categories OUTW,KNIT]

It makes a database of its own (seeded with data/sample), starts the five services on free
ports with a stream prefix of their own, plans spring 2025 (inside the history) from the
weeks before it, replays its weeks with automatic decisions, prints the report's replay
section and how long it took, and removes everything it made.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from planner_client import GatewayClient
from planner_tools.testing import database as testdb
from planner_tools.testing.replay import SPRING_2025, ReplayRun, play
from planner_tools.testing.servers import find_or_start_postgres, find_or_start_redis
from planner_tools.testing.stack import Stack, seed_database

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
COLUMNS = (
    ("planned_units", "planned"),
    ("bought_units", "bought"),
    ("history_units", "history"),
    ("sold_units", "sold"),
    ("lost_sales_units", "lost"),
    ("fill_fraction", "fill"),
    ("revenue", "revenue"),
    ("gross_margin", "margin"),
    ("history_revenue_at_full_price", "history rev."),
)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if key.endswith("_fraction") else f"{value:,.0f}"


def print_run(run: ReplayRun) -> None:
    replay = run.report["replay"]
    print(replay["label"])
    print(f"status {replay['status']} ({run.status.get('message')}), by {replay['decided_by']}")
    print("| category | " + " | ".join(label for _, label in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for line in replay["lines"]:
        cells = " | ".join(_cell(key, line[key]) for key, _ in COLUMNS)
        print(f"| {line['category_code']} | {cells} |")
    for d in run.report["decisions"]:
        print(f"decision {d['kind']}: {d['action']} {d['decided_value']} by {d['decided_by']}")
    runs = ", ".join(f"{r['run_number']} ({r['reason']})" for r in run.report["forecast_runs"])
    print(f"forecast runs: {runs}")
    print(f"replayed in {run.seconds:.1f}s: {run.timings()}")


async def replay(url: str, weeks: int, categories: list[str] | None, within: float) -> ReplayRun:
    parameters = SPRING_2025 | {"forecast_horizon_weeks": weeks}
    if parameters["markdown_checkpoint_week"] > weeks:
        parameters["markdown_checkpoint_week"] = max(1, weeks // 2)
    async with GatewayClient(url) as client:
        return await play(
            client, parameters, name="Spring 2025 replay", categories=categories, within=within
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--categories", default="", help="comma-separated; all when omitted")
    parser.add_argument("--within", type=float, default=1800.0, help="seconds to wait at most")
    args = parser.parse_args()
    categories = [c for c in args.categories.split(",") if c] or None
    server = find_or_start_postgres()
    name = f"planner_replay_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(server, name))
    work = Path(tempfile.mkdtemp(prefix="replay-"))
    stack = Stack.create(
        database_url=url,
        redis_url=f"{find_or_start_redis()}/0",
        stream_prefix=f"replay{uuid.uuid4().hex[:8]}",
        log_dir=work / "logs",
        settings={"PLANNER_FORECAST_WORKERS": "1", "PLANNER_OUTBOX_POLL_SECONDS": "0.05"},
        ready_timeout=600.0,
    )
    try:
        testdb.migrate(url)
        seed_database(url, SAMPLE, work)
        started = time.monotonic()
        stack.start()
        print(f"five services ready in {time.monotonic() - started:.1f}s")
        print_run(asyncio.run(replay(stack.gateway_url, args.weeks, categories, args.within)))
    finally:
        stack.stop_all()
        stack.delete_streams()
        asyncio.run(testdb.drop_database(server, name))


if __name__ == "__main__":
    main()
