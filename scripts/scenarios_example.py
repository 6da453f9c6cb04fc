"""The worked example of docs/scenarios.md, from a real run on the sample data.

    uv run --frozen python scripts/scenarios_example.py

Starts the five services on a fresh database seeded with data/sample (as the browser tests
do), plans the README's spring season, waits for its manufacturing proposal, builds the
scenarios of the page over the API, times each request, adopts the first, prints the
figures as markdown tables, and removes its database and streams.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from planner_tools.testing import database as testdb
from planner_tools.testing.servers import find_or_start_postgres, find_or_start_redis
from planner_tools.testing.stack import Stack, seed_database

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2026-03-02",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
}
FIGURES = ("units_available", "sell_through_fraction", "lost_sales", "leftover_units")
MONEY = ("revenue", "season_margin", "dc_empty_week")


def scenarios(buy: dict[str, int]) -> list[dict[str, Any]]:
    """The issue's example (outerwear +6,155, holdback 30 %, bi-weekly), and two more."""
    outw = buy["OUTW"] + 6155
    return [
        {
            "name": f"{sum(buy.values()) + 6155:,} with outerwear +6,155",
            "levers": {
                "buy": {"OUTW": outw},
                "dc_holdback_percentage": 30,
                "replenishment_strategy": "bi_weekly",
            },
        },
        {"name": "holdback 30 %", "levers": {"dc_holdback_percentage": 30}},
        {
            "name": "dresses 20 % off from week 7, demand -10 %",
            "levers": {
                "markdown": {"DRES": {"markdown_percentage": 20}},
                "demand_adjustment": {"DRES": {"change_percentage": -10}},
            },
        },
    ]


def band(value: dict[str, Any] | float, name: str) -> str:
    if not isinstance(value, dict):
        return f"{value:,.0f}"
    p, lo, hi = value["point"], value["lower_80"], value["upper_80"]
    if name == "sell_through_fraction":
        return f"{p:.1%} ({lo:.1%}-{hi:.1%})"
    if name == "dc_empty_week":
        low = "-" if lo is None else f"{lo:.0f}"
        high = "never" if hi is None else f"{hi:.0f}"
        return "never" if p is None else f"{p:.0f} ({low}-{high})"
    return f"{p:,.0f} ({lo:,.0f}-{hi:,.0f})"


def table(rows: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> str:
    names = FIGURES + MONEY
    lines = ["| plan | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, figures, diff in rows:
        cells = [band(figures[n], n) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if diff:
            shown = [("" if diff[n] is None else f"{diff[n]:+,.4g}") for n in names]
            lines.append("| vs live | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def run(stack: Stack) -> None:
    headers = {"Authorization": "Bearer dev-planner-key"}
    with httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=60) as api:
        created = api.post("/api/workflows/forecast", json={"parameters": PARAMETERS})
        workflow_id = created.json()["workflow_id"]
        deadline = time.monotonic() + 900
        while api.get(f"/api/workflows/{workflow_id}").json()["state"] != (
            "awaiting_manufacturing_approval"
        ):
            if time.monotonic() > deadline:
                raise SystemExit("no manufacturing proposal within 15 minutes")
            time.sleep(2)
        print(f"season {workflow_id} waits for its manufacturing decision")
        answers = []
        first = api.post(
            f"/api/workflows/{workflow_id}/scenarios", json={"name": "probe", "levers": {}}
        ).json()
        buy = {c["category_code"]: c["buy"] for c in first["live"]["categories"]}
        print(f"proposal: {json.dumps(buy)} = {sum(buy.values()):,}")
        for body in scenarios(buy):
            started = time.perf_counter()
            response = api.post(f"/api/workflows/{workflow_id}/scenarios", json=body)
            seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            answers.append(response.json())
            print(f"POST scenarios {body['name']!r}: {response.status_code} in {seconds:.2f} s")
        rows = [("live plan", answers[0]["live"]["total"], {})]
        rows += [(a["name"], a["scenario"]["total"], a["differences"]["total"]) for a in answers]
        print("\n" + table(rows) + "\n")
        outw = [
            (a["name"], c, a["differences"]["categories"]["OUTW"])
            for a in answers[:1]
            for c in a["scenario"]["categories"]
            if c["category_code"] == "OUTW"
        ]
        live_outw = next(
            c for c in answers[0]["live"]["categories"] if c["category_code"] == "OUTW"
        )
        print(table([("live plan, outerwear", live_outw, {}), *outw]) + "\n")
        adopted = api.post(f"/api/workflows/{workflow_id}/scenarios/{answers[0]['id']}/adopt")
        print("adopt:", json.dumps(adopted.json(), indent=2))


def main() -> int:
    postgres, redis = find_or_start_postgres(), find_or_start_redis()
    name = f"planner_scenarios_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(postgres, name))
    logs = Path(tempfile.mkdtemp(prefix="scenarios-"))
    stack = Stack.create(
        database_url=url,
        redis_url=f"{redis}/0",
        stream_prefix=f"sc{uuid.uuid4().hex[:10]}",
        log_dir=logs,
        settings={"PLANNER_FORECAST_WORKERS": "1", "PLANNER_LOG_JSON": "false"},
        ready_timeout=300,
    )
    try:
        testdb.migrate(url)
        seed_database(url, ROOT / "data" / "sample", logs)
        stack.start()
        run(stack)
    finally:
        try:
            stack.stop_all()
        finally:
            stack.delete_streams()
            asyncio.run(testdb.drop_database(postgres, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
