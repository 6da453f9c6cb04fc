"""A week's transfer proposal as GET /api/workflows/{id}/transfers reads it: with what each
donor may give, so an approver's edit can be checked against the donor's limit while it is
typed (the console), not only against what the proposal happened to move."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from planner_gateway.transfers import plan_read
from planner_shared.db.models import TransferPlan
from planner_shared.events import (
    TransferDonor,
    TransferMoveLine,
    TransferProposal,
    TransferReceiver,
)


def test_a_proposal_reads_with_its_donors_limits() -> None:
    move = TransferMoveLine(
        category="KNIT",
        from_location="DC",
        to_store="S041",
        units=50,
        ship_week=4,
        arrival_week=5,
        margin_saved=2675.0,
        why="S041 sells 1.69x its plan; the DC may release 364",
    )
    proposal = TransferProposal(
        week_number=4,
        strategy="hybrid",
        moves=[move],
        donors=[
            TransferDonor(category="KNIT", location="DC", max_units=364, stock=1595.0),
            TransferDonor(category="KNIT", location="S007", max_units=61, stock=204.0),
        ],
        receivers=[
            TransferReceiver(category="KNIT", store="S041", arrival_week=5, projected_lost=52)
        ],
        units=50,
        min_units=50,
        max_units=300,
        transfer_cost_per_unit=1.5,
        lost_sales_before=3405.0,
        lost_sales_after=3400.0,
        margin_saved=2675.0,
        rationale="1 move of 50 units",
    )
    row = TransferPlan(
        workflow_id=uuid.uuid4(),
        week_number=4,
        status="proposed",
        strategy="hybrid",
        proposal=proposal.model_dump(mode="json"),
        moves=None,
        created_at=datetime(2026, 3, 30, tzinfo=UTC),
    )
    read = plan_read(row)
    assert [(d.location, d.max_units) for d in read.donors] == [("DC", 364), ("S007", 61)]
    assert read.moves == [move]
    assert read.model_dump(mode="json")["donors"][0] == {
        "category": "KNIT",
        "location": "DC",
        "max_units": 364,
        "stock": 1595.0,
    }
