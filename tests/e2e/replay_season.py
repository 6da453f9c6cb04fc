"""A past season replayed: the sample's spring 2025 lies inside the history. It is planned
from the weeks before it, and its weeks are fed from the history by the gateway through the
normal upload, with automatic decisions, while the gateway is killed and restarted once in
the middle (the replay resumes, feeding no week twice). The report sets the plan against
what happened.

Kept short for the suite's time: two categories, three weeks. Its test is in
test_e2e_season.py, so it shares that module's five services (`e2e_stack` is per module).
"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from datetime import date, timedelta

import pytest

from planner_client import GatewayClient
from planner_shared.workflow import ApprovalKind
from planner_tools.testing.replay import SPRING_2025, play
from planner_tools.testing.stack import Stack

from . import season as s

WEEKS = 3
CATEGORIES = ["KNIT", "OUTW"]
DECIDER = "automatic replay (for dev-planner)"


def history_units(weeks: int) -> Counter[str]:
    """What the sample's stores sold in spring 2025's first `weeks` weeks, by category."""
    start = date.fromisoformat(SPRING_2025["season_start_date"])
    mondays = {(start + timedelta(weeks=w)).isoformat() for w in range(weeks)}
    sold: Counter[str] = Counter()
    with (s.SAMPLE_DIR / "historical_sales.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["week_start"] in mondays and row["category_code"] in CATEGORIES:
                sold[row["category_code"]] += int(row["units"])
    return sold


async def replay_spring_2025(stack: Stack) -> None:
    async def restart_gateway() -> None:
        stack["gateway"].kill()
        await asyncio.to_thread(stack.start, ["gateway"])

    parameters = SPRING_2025 | {"forecast_horizon_weeks": WEEKS, "markdown_checkpoint_week": 2}
    async with GatewayClient(stack.gateway_url) as client:
        run = await play(
            client,
            parameters,
            name="Spring 2025 replay",
            categories=CATEGORIES,
            within=s.FORECAST_SECONDS + 450,
            on_week=(1, restart_gateway),
        )
        print(f"replay timings ({run.seconds:.1f}s): {run.timings()}")
        events = Counter(e["type"] for e in await client.events(run.workflow_id))
        workflow = await client.workflow(run.workflow_id)
    assert run.status["status"] == "finished", run.status
    assert run.status["weeks_done"] == WEEKS
    assert workflow["state"] == "completed", workflow
    # Every week uploaded once, through the normal path, although the gateway restarted.
    assert events["actuals.uploaded"] == events["variance.checked"] == WEEKS, events
    assert events["replay.progressed"] >= WEEKS + 2, events
    check_report(run.report)


def check_report(report: dict[str, object]) -> None:
    assert report["name"] == "Spring 2025 replay"
    replay = report["replay"]
    assert isinstance(replay, dict), report
    assert replay["label"].startswith("Replay of the history's weeks from 2025-03-03 (3 of 3")
    assert (replay["status"], replay["decided_by"]) == ("finished", DECIDER)
    decisions = report["decisions"]
    assert isinstance(decisions, list)
    # The order, and the markdown if the checkpoint proposed one: each accepted by the replay.
    assert "manufacturing" in {d["kind"] for d in decisions}, decisions
    # The gates (the order, the markdown) are the replay's to accept; a week's transfer
    # proposal does not stop the season and stays the planner's (docs/replay.md).
    gates = [d for d in decisions if ApprovalKind(d["kind"]).gate]
    assert {(d["action"], d["decided_by"]) for d in gates} == {("accept", DECIDER)}
    total, *lines = replay["lines"]
    assert total["category_code"] == "TOTAL"
    assert [line["category_code"] for line in lines] == CATEGORIES
    sold_then = history_units(WEEKS)
    for line in lines:
        assert line["history_units"] == sold_then[line["category_code"]], line
        assert min(line["sold_units"], line["revenue"], line["bought_units"]) > 0, line
        unserved = max(line["history_units"] - line["sold_units"], 0)
        assert line["lost_sales_units"] == pytest.approx(unserved, abs=0.1), line
    assert total["history_units"] == sum(sold_then.values())
    assert total["bought_units"] == sum(line["bought_units"] for line in lines)
