"""The worked examples of docs/scenarios.md (transfer strategies) and docs/overrides.md (an
override while the order awaits its decision), from one real run on the sample data.

    uv run --frozen python scripts/whatif_example.py

Starts a private stack (bench/_stack.py: its own database seeded with data/sample, its own
streams and ports; all stopped and dropped at the end) and plans the README's spring season
(transfer strategy 'hybrid', the default). While the order awaits its decision: scenarios
with each transfer strategy, timed; then an outerwear override, which supersedes the pending
proposal with a new one; a decision sent for the old one (refused), then the new one
accepted. In season, the sample's weeks 1 to 4 uploaded, and the scenarios again.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import _stack  # noqa: E402

from planner_client import ApiError, GatewayClient  # noqa: E402

PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2026-03-02",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
    "transfer_strategy": "hybrid",
}
TIMEOUT = 1200.0
SHOWN = ("sell_through_fraction", "lost_sales", "leftover_units", "season_margin", "dc_empty_week")


async def _until(what: str, check: Any, within: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(2)
    raise SystemExit(f"{what}: not within {within:.0f} s")


def _band(value: dict[str, Any], name: str) -> str:
    p, lo, hi = value["point"], value["lower_80"], value["upper_80"]
    if name == "sell_through_fraction":
        return f"{p:.1%} ({lo:.1%}-{hi:.1%})"
    if name == "dc_empty_week":
        low = "-" if lo is None else f"{lo:.0f}"
        return "never" if p is None else f"{p:.0f} ({low}-{'never' if hi is None else f'{hi:.0f}'})"
    return f"{p:,.0f} ({lo:,.0f}-{hi:,.0f})"


async def _scenarios(client: GatewayClient, workflow_id: str) -> None:
    rows = []
    for strategy in ("none", "dc_only", "hybrid"):
        started = time.perf_counter()
        answer = await client.request(
            "POST",
            f"/api/workflows/{workflow_id}/scenarios",
            json={"name": f"transfers {strategy}", "levers": {"transfer_strategy": strategy}},
        )
        seconds = time.perf_counter() - started
        moved = sum(c["units_transferred"] for c in answer["scenario"]["categories"])
        print(
            f"POST scenarios transfer_strategy={strategy}: 201 in {seconds:.2f} s, "
            f"{moved:,} units moved on the point forecast"
        )
        rows.append((f"transfers {strategy}", answer["scenario"]["total"]))
    live = answer["live"]
    rows.insert(0, (f"live plan ({live['transfer_strategy']})", live["total"]))
    print("\n| plan | " + " | ".join(SHOWN) + " |")
    print("|---" * (len(SHOWN) + 1) + "|")
    for label, total in rows:
        print(f"| {label} | " + " | ".join(_band(total[n], n) for n in SHOWN) + " |")
    print()


async def _approvals(client: GatewayClient, workflow_id: str) -> list[dict[str, Any]]:
    body = await client.get(f"/api/workflows/{workflow_id}/approvals")
    return [a for a in body["approvals"] if a["kind"] == "manufacturing"]


def _lines(approval: dict[str, Any]) -> str:
    return ", ".join(f"{c} {u:,.0f}" for c, u in sorted(approval["proposed_lines"].items()))


async def _override(client: GatewayClient, workflow_id: str) -> None:
    [first] = await _approvals(client, workflow_id)
    print(f"pending: {first['proposed_value']:,.0f} units ({_lines(first)})")
    made = await client.request(
        "POST",
        f"/api/workflows/{workflow_id}/forecast-overrides",
        json={"code": "OUTW", "percent": 10, "reason": "outerwear up 10 % vs last year"},
    )
    print(f"override {made['code']} {made['percent']:+g} % by {made['created_by']}")
    print(f"  takes effect: {made['takes_effect']}")

    async def replaced() -> list[dict[str, Any]] | None:
        found = await _approvals(client, workflow_id)
        return found if len(found) == 2 else None

    old, new = await _until("the new proposal", replaced, 300)
    print(f"old: {old['status']}, {old['proposed_value']:,.0f} units; reason: {old['reason']}")
    print(f"new: {new['status']}, {new['proposed_value']:,.0f} units ({_lines(new)})")
    events = await client.events(workflow_id)
    wanted = (
        "forecast.overridden",
        "manufacturing.replan_requested",
        "manufacturing.replanned",
        "approval.superseded",
        "approval.pending",
    )
    print("feed:")
    for e in events:
        if e["type"] in wanted and e["occurred_at"] >= made["created_at"]:
            print(f"  {e['type']}")
    body = {"workflow_id": workflow_id, "action": "accept", "approval_id": old["approval_id"]}
    try:
        await client.request(
            "POST", "/api/approvals/manufacturing", key=client.approver_key, json=body
        )
    except ApiError as refused:
        print(f"decision for the old proposal: {refused.status} {refused.code}: {refused.message}")
    body["approval_id"] = new["approval_id"]
    decided = await client.request(
        "POST", "/api/approvals/manufacturing", key=client.approver_key, json=body
    )
    print(f"decision for the new proposal: accepted, {decided['decided_value']:,.0f} units")


async def _state(client: GatewayClient, workflow_id: str, *states: str) -> bool:
    return str((await client.workflow(workflow_id))["state"]) in states


async def _in_season(client: GatewayClient, workflow_id: str, weeks: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="whatif-"))
    for week in range(1, weeks + 1):
        await _until("in season", lambda: _state(client, workflow_id, "in_season"))
        path = folder / f"week{week}.csv"
        path.write_text(await client.sample_week(workflow_id, week))
        await client.upload_week(workflow_id, path, week)

        async def checked(week: int = week) -> bool:
            events = await client.events(workflow_id)
            return any(
                e["type"] == "variance.checked" and e["envelope"]["payload"]["week_number"] == week
                for e in events
            )

        await _until(f"week {week} checked", checked)
        print(f"week {week} uploaded and checked")
    await _until("in season", lambda: _state(client, workflow_id, "in_season"))


async def _run(gateway_url: str) -> None:
    async with GatewayClient(gateway_url, timeout=120.0) as client:
        created = await client.start(parameters=PARAMETERS, name="Spring 2026 what-if")
        workflow_id = str(created["workflow_id"])
        await _until(
            "the order's proposal",
            lambda: _state(client, workflow_id, "awaiting_manufacturing_approval"),
        )
        print(f"season {workflow_id} waits for its manufacturing decision\n")
        print("## before the buy")
        await _scenarios(client, workflow_id)
        print("## an override while the order awaits its decision")
        await _override(client, workflow_id)
        print("\n## in season")
        await _in_season(client, workflow_id, 4)
        await _scenarios(client, workflow_id)


def main() -> None:
    # The machine may be busy: the forecast's model workers may take minutes to warm.
    _stack.READY_TIMEOUT_SECONDS = 900.0
    # One forecast worker, as the other examples: the shared machine has two cores.
    with _stack.private_stack(settings={"PLANNER_FORECAST_WORKERS": "1"}) as stack:
        asyncio.run(_run(stack.gateway_url))


if __name__ == "__main__":
    main()
