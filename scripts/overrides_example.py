"""The worked example of docs/overrides.md, from a real run on the sample data.

    .venv/bin/python scripts/overrides_example.py

Starts a private stack (bench/_stack.py: its own database seeded with data/sample, its own
streams and ports; all stopped and dropped at the end), reads the demo's brief with
"Outerwear up 10 % vs last year, dresses flat." added, then plans the season twice through
the public API: once as proposed, once with the brief's outerwear proposal accepted (sent
with the season request, so run 1 sizes the order on it). Prints the proposals, the orders,
the forecast chart's statistical and final totals and, after both orders are accepted, the
stock ledger's season demand (sales + lost sales) per category.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import _stack  # noqa: E402
from demo import DEFAULT_BRIEF, REFERENCE_DATE  # noqa: E402

from planner_client import GatewayClient, WorkflowFeed, is_event, needs_input  # noqa: E402

BRIEF = DEFAULT_BRIEF + " Outerwear up 10 % vs last year, dresses flat."
TIMEOUT = 600.0


async def _season(client: GatewayClient, parameters: Any, accept: list[Any]) -> str:
    overrides = [
        {
            "code": p["category_code"],
            "weeks": p["weeks"],
            "percent": p["percent"],
            "reason": p["reason"],
            "source": "brief",
        }
        for p in accept
    ]
    body = {"parameters": parameters, "brief": BRIEF, "forecast_overrides": overrides}
    created = await client.request("POST", "/api/workflows/forecast", json=body)
    workflow_id = str(created["workflow_id"])
    listed = await client.get(f"/api/workflows/{workflow_id}/forecast-overrides")
    for made in listed["items"]:
        print(f"  override {made['code']} {made['percent']:+g} % by {made['created_by']}")
    async with WorkflowFeed(client, workflow_id) as feed:
        await feed.first(needs_input("manufacturing"), within=TIMEOUT)
        mark = feed.mark()
        await client.decide("manufacturing", workflow_id, "accept")
        await feed.first(
            is_event("workflow.state_changed", to_state="in_season"), after=mark, within=TIMEOUT
        )
    return workflow_id


async def _report(client: GatewayClient, label: str, workflow_id: str) -> None:
    workflow = await client.get(f"/api/workflows/{workflow_id}/results")
    chart = await client.get(f"/api/workflows/{workflow_id}/charts/forecast")
    stock = await client.get(f"/api/workflows/{workflow_id}/stock")
    print(f"\n{label} ({workflow_id})")
    print(f"  {'category':8} {'statistical':>12} {'final':>10} {'order':>8} {'ledger demand':>14}")
    orders = {o["category_code"]: o for o in workflow["manufacturing_orders"]}
    demand = {
        c["category_code"]: c["season_sales"]["point"] + c["season_lost_sales"]["point"]
        for c in stock["categories"]
    }
    for c in chart["categories"]:
        code = c["category_code"]
        print(
            f"  {code:8} {c['season_total']:>12,.0f} {c['final_season_total']:>10,.0f} "
            f"{orders[code]['approved_quantity']:>8,} {demand[code]:>14,.0f}"
        )


def main() -> None:
    # The machine may be busy: the forecast's model workers may take minutes to warm.
    _stack.READY_TIMEOUT_SECONDS = 900.0
    with _stack.private_stack() as stack:
        asyncio.run(_run(stack.gateway_url))


async def _run(gateway_url: str) -> None:
    async with GatewayClient(gateway_url, timeout=120.0) as client:
        extraction = await client.extract(BRIEF, REFERENCE_DATE)
        print(f"brief: {BRIEF}")
        print(
            f"confidence {extraction['confidence']:.2f} ({extraction['confidence_level']}); "
            f"{extraction['reasoning']}"
        )
        for p in extraction["proposed_overrides"]:
            print(
                f"  proposed: {p['category']} -> {p['category_code']} {p['percent']:+g} % "
                f"({p['evidence']!r}; {p['note']})"
            )
        outerwear = [p for p in extraction["proposed_overrides"] if p["percent"] != 0]
        plain = await _season(client, extraction["parameters"], [])
        adjusted = await _season(client, extraction["parameters"], outerwear)
        await _report(client, "as proposed", plain)
        await _report(client, "with the outerwear override accepted", adjusted)


if __name__ == "__main__":
    main()
