"""An override made while the order awaits its decision re-proposes the order
(docs/overrides.md), end to end on real PostgreSQL and Redis: the gateway, the orchestrator
(deterministic agents), the forecast service (run 1 fitted for real) and the approvals
service, all on the bus.

The planner's override changes the final forecast; the orchestrator asks for the order
again; the forecast service sizes it on the final forecast; the new proposal supersedes the
pending approval (kept, with the reason), the live feed carries every step, and a decision
sent for the old approval is refused in the approver's words while the new one is decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select

from planner_forecast.parallel import numba_cache
from planner_gateway.relay.messages import to_message
from planner_shared.db.engine import transaction
from planner_shared.db.models import Approval, ManufacturingOrder, WorkflowEvent
from planner_shared.events import event_from_dict
from planner_shared.runtime import open_runtime
from planner_shared.settings import OpenAISettings
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.gateway import APPROVER, PLANNER, READER, Gateway, Sessions
from planner_tools.testing.world import seed_world

numba_cache()  # before anything imports statsforecast (the forecast service's models)

# The cheap members (as the forecast service's own tests): this test checks what an override
# does to the order, not how good the forecast is.
FAST_MEMBERS = "auto_ets,theta_sa,seasonal_naive,naive"


@asynccontextmanager
async def _services(service_settings: Callable[..., Any]) -> AsyncIterator[None]:
    """The orchestrator, the forecast service and the approvals service, in this process."""
    from planner_agents.app import SERVICE_NAME as AGENTS
    from planner_agents.app import agents_setup
    from planner_agents.settings import AgentsSettings
    from planner_approvals.app import SERVICE_NAME as APPROVALS
    from planner_approvals.app import setup as approvals_setup
    from planner_approvals.settings import ApprovalsSettings
    from planner_forecast.app import SERVICE_NAME as FORECAST
    from planner_forecast.app import forecast_setup
    from planner_forecast.settings import ForecastSettings

    agents: AgentsSettings = service_settings(AgentsSettings)
    forecast: ForecastSettings = service_settings(ForecastSettings, workers=1, members=FAST_MEMBERS)
    approvals: ApprovalsSettings = service_settings(ApprovalsSettings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            open_runtime(AGENTS, agents, agents_setup(agents, OpenAISettings(api_key=None)))
        )
        await stack.enter_async_context(open_runtime(FORECAST, forecast, forecast_setup(forecast)))
        await stack.enter_async_context(open_runtime(APPROVALS, approvals, approvals_setup))
        yield


async def _approvals(sessionmaker: Sessions, workflow_id: UUID) -> list[Approval]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(Approval)
                .where(Approval.workflow_id == workflow_id, Approval.kind == "manufacturing")
                .order_by(Approval.created_at)
            )
        )


async def _feed(sessionmaker: Sessions, workflow_id: UUID) -> list[WorkflowEvent]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(WorkflowEvent)
                .where(WorkflowEvent.workflow_id == workflow_id)
                .order_by(WorkflowEvent.seq)
            )
        )


async def _orders(sessionmaker: Sessions, workflow_id: UUID) -> dict[UUID, int]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ManufacturingOrder.category_id, ManufacturingOrder.recommended_quantity).where(
                ManufacturingOrder.workflow_id == workflow_id
            )
        )
        return {cid: int(q) for cid, q in rows.all()}


async def test_an_override_while_the_order_awaits_its_decision_re_proposes_it(
    gateway: Gateway, sessionmaker: Sessions, service_settings: Callable[..., Any]
) -> None:
    async with transaction(sessionmaker) as session:
        world = await seed_world(session)
    parameters = {
        "forecast_horizon_weeks": 8,
        "season_start_date": (world.last_week + timedelta(weeks=1)).isoformat(),
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 30,
        "markdown_checkpoint_week": 4,
        "markdown_threshold": 0.6,
    }
    async with _services(service_settings):
        started = await gateway.client.post(
            "/api/workflows/forecast",
            json={"parameters": parameters, "category_codes": ["KNIT", "DRESS"]},
            headers=PLANNER,
        )
        assert started.status_code == 201, started.text
        workflow_id = UUID(started.json()["workflow_id"])

        async def pending() -> bool:
            return any(a.status == "pending" for a in await _approvals(sessionmaker, workflow_id))

        await wait_for(pending, within=600)  # run 1 fits on a loaded 2-core machine
        [first] = await _approvals(sessionmaker, workflow_id)
        before = await _orders(sessionmaker, workflow_id)
        knit_before = {line["category_code"]: line["quantity"] for line in first.proposal["lines"]}[
            "KNIT"
        ]

        made = await gateway.client.post(
            f"/api/workflows/{workflow_id}/forecast-overrides",
            headers=PLANNER,
            json={"code": "KNIT", "percent": 25, "reason": "cold spring"},
        )
        assert made.status_code == 201, made.text
        assert "new proposal replaces" in made.json()["takes_effect"]

        async def superseded() -> bool:
            found = await _approvals(sessionmaker, workflow_id)
            return len(found) == 2 and found[0].status == "superseded"

        await wait_for(superseded, within=120)
        old, new = await _approvals(sessionmaker, workflow_id)
        # The old proposal is kept, marked superseded with the override's who and why.
        assert old.id == first.id
        assert old.reason == "forecast override by pat: cold spring"
        assert old.superseded_by == new.id
        assert old.superseded_at is not None
        assert old.decided_by is None
        # The new one: the same gate, pending, with the knitwear buy sized on +25 %.
        assert new.status == "pending"
        lines = {line["category_code"]: line["quantity"] for line in new.proposal["lines"]}
        assert lines["KNIT"] > knit_before
        assert new.proposed_value == sum(lines.values()) > old.proposed_value
        # The forecast service's proposal rows follow (knitwear up, dresses as they were).
        after = await _orders(sessionmaker, workflow_id)
        assert sum(after.values()) == new.proposed_value
        assert sum(before.values()) == old.proposed_value
        assert (await gateway.client.get(f"/api/workflows/{workflow_id}", headers=READER)).json()[
            "state"
        ] == "awaiting_manufacturing_approval"

        # The live feed has every step, in order.
        async def announced() -> bool:
            types = [e.type for e in await _feed(sessionmaker, workflow_id)]
            return "approval.superseded" in types and types.count("approval.pending") >= 2

        await wait_for(announced, within=30)
        types = [e.type for e in await _feed(sessionmaker, workflow_id)]
        chain = [
            "forecast.overridden",
            "manufacturing.replan_requested",
            "manufacturing.replanned",
            "approval.superseded",
        ]
        assert [t for t in types if t in chain] == chain
        assert types.index("approval.superseded") < len(types) - types[::-1].index(
            "approval.pending"
        )
        # The socket's message for it, in the planner's words.
        [stored] = [e for e in await _feed(sessionmaker, workflow_id) if e.type == chain[-1]]
        said = to_message(event_from_dict(stored.envelope))["message"]
        assert said == (
            f"manufacturing proposal of {old.proposed_value:,.0f} units superseded by a new one "
            f"of {new.proposed_value:,.0f} units (forecast override by pat: cold spring)"
        )

        # A decision for the old proposal is refused, saying why and what to do.
        stale = await gateway.client.post(
            "/api/approvals/manufacturing",
            json={"workflow_id": str(workflow_id), "action": "accept", "approval_id": str(old.id)},
            headers=APPROVER,
        )
        assert stale.status_code == 409, stale.text
        error = stale.json()["error"]
        assert error["code"] == "approval_superseded"
        assert "superseded" in error["message"]
        assert "forecast override by pat: cold spring" in error["message"]
        assert f"{int(new.proposed_value):,}" in error["message"]
        listed = await gateway.client.get(f"/api/workflows/{workflow_id}/approvals", headers=READER)
        statuses = [(a["approval_id"], a["status"]) for a in listed.json()["approvals"]]
        assert (str(old.id), "superseded") in statuses
        assert (str(new.id), "pending") in statuses

        # The new one is decided as usual.
        decided = await gateway.client.post(
            "/api/approvals/manufacturing",
            json={"workflow_id": str(workflow_id), "action": "accept", "approval_id": str(new.id)},
            headers=APPROVER,
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["decided_value"] == new.proposed_value
