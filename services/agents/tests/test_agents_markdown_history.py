"""The uploaded markdown history (contract v1 `markdown_history`) prices the markdown itself,
on real PostgreSQL: its demand lift per markdown point gives the elasticity when no elasticity
was uploaded; an uploaded elasticity still wins; the catalogue's is the last resort."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_agents import analysis
from planner_agents.markdown_inputs import season_elasticities
from planner_shared.db.engine import transaction
from planner_shared.db.frontend_v1 import UploadedElasticity, UploadedMarkdownHistory
from planner_shared.db.models import Category
from planner_shared.markdown import (
    MAX_ELASTICITY,
    elasticity_from_lift,
    lift_per_markdown_point,
    sell_through_after_markdown,
)

Sessions = async_sessionmaker[AsyncSession]
ContextFactory = Callable[..., Any]


def test_lift_and_elasticity_rules() -> None:
    # Median of lift / markdown: one odd row does not set it.
    assert lift_per_markdown_point([(0.2, 0.6), (0.3, 0.9), (0.1, 2.0)]) == pytest.approx(3.0)
    assert lift_per_markdown_point([(0.0, 0.1)]) is None
    assert lift_per_markdown_point([]) is None
    assert elasticity_from_lift(1.5, 0.45) == pytest.approx(1.4815, abs=1e-4)
    assert elasticity_from_lift(1.5, 0.0) == MAX_ELASTICITY
    # The elasticity's markdown closes the gap exactly under the lift model.
    e = elasticity_from_lift(1.5, 0.45)
    assert sell_through_after_markdown(0.45, 1.5, 0.15 * e) == pytest.approx(0.60, abs=1e-4)


async def _categories(session: AsyncSession) -> list[Category]:
    rows = [
        Category(code=code, name=code, unit_price=50.0, price_elasticity=e, stock_on_hand=0)
        for code, e in (("DRESS", 2.0), ("TOPS", 1.5), ("KNIT", 1.0))
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def test_history_prices_the_markdown_and_an_uploaded_elasticity_wins(
    sessionmaker: Sessions, make_context: ContextFactory, known: Any
) -> None:
    SELL_THROUGH = known.sell_through  # noqa: N806
    workflow_id = uuid4()
    async with transaction(sessionmaker) as session:
        categories = await _categories(session)
    async with sessionmaker() as session:
        catalogue = await season_elasticities(session, workflow_id, categories, SELL_THROUGH)
    assert catalogue.values == {"DRESS": 2.0, "TOPS": 1.5, "KNIT": 1.0}
    assert set(catalogue.sources.values()) == {"catalogue"}
    assert catalogue.lift_per_point is None

    plain = make_context(
        elasticities=catalogue.values,
        elasticity_sources=catalogue.sources,
        demand_lift_per_point=catalogue.lift_per_point,
    )
    without = analysis.propose_markdown(plain, "")
    assert without.percentage == 25.0  # 0.15 x 1.6667
    assert without.proposal is not None
    assert without.proposal.elasticity_source == "catalogue"
    assert without.proposal.demand_lift_per_point is None

    # Past markdowns lifted demand 3 points per markdown point (one odd row aside).
    async with transaction(sessionmaker) as session:
        session.add_all(
            UploadedMarkdownHistory(
                workflow_id=workflow_id,
                row_number=i,
                week=6 + i,
                markdown_pct=m,
                sell_through_pct=0.5,
                demand_lift_pct=lift,
            )
            for i, (m, lift) in enumerate([(0.2, 0.6), (0.3, 0.9), (0.1, 2.0)], start=1)
        )
    async with sessionmaker() as session:
        history = await season_elasticities(session, workflow_id, categories, SELL_THROUGH)
    assert history.lift_per_point == pytest.approx(3.0)
    assert history.history_rows == 3
    assert set(history.sources.values()) == {"markdown history"}
    # 1 / (3 x sell-through): DRESS at 40%, TOPS at 52%, KNIT at 45%.
    assert history.values["DRESS"] == pytest.approx(1 / 1.2, abs=1e-4)
    assert history.values["TOPS"] == pytest.approx(1 / 1.56, abs=1e-4)
    assert history.values["KNIT"] == pytest.approx(1 / 1.35, abs=1e-4)
    priced = make_context(
        elasticities=history.values,
        elasticity_sources=history.sources,
        demand_lift_per_point=history.lift_per_point,
    )
    result = analysis.propose_markdown(priced, "")
    # Season elasticity 0.754 (demand-weighted): 0.15 x 0.754 = 11.3%, rounded to 10%.
    assert result.percentage == 10.0
    proposal = result.proposal
    assert proposal is not None
    assert proposal.elasticity == pytest.approx(0.7538, abs=1e-3)
    assert proposal.elasticity_source == "markdown history"
    assert proposal.demand_lift_per_point == pytest.approx(3.0)
    assert "from the uploaded markdown history (demand lift 3.00" in proposal.rationale

    # Before the checkpoint the sell-through is unknown: the history cannot price yet.
    async with sessionmaker() as session:
        early = await season_elasticities(session, workflow_id, categories, None)
    assert set(early.sources.values()) == {"catalogue"}

    # An uploaded elasticity wins for the category it names; the history prices the rest.
    async with transaction(sessionmaker) as session:
        session.add(
            UploadedElasticity(
                workflow_id=workflow_id, category_id=categories[0].id, elasticity=2.2
            )
        )
    async with sessionmaker() as session:
        mixed = await season_elasticities(session, workflow_id, categories, SELL_THROUGH)
    assert mixed.values["DRESS"] == 2.2
    assert mixed.sources == {
        "DRESS": "uploaded elasticity",
        "TOPS": "markdown history",
        "KNIT": "markdown history",
    }
    both = make_context(
        elasticities=mixed.values,
        elasticity_sources=mixed.sources,
        demand_lift_per_point=mixed.lift_per_point,
    )
    mixed_result = analysis.propose_markdown(both, "")
    assert mixed_result.proposal is not None
    assert mixed_result.proposal.elasticity_source == "markdown history, uploaded elasticity"
    assert "DRESS 2.2 (uploaded elasticity)" in mixed_result.proposal.rationale
