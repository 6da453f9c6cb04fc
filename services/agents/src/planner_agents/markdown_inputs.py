"""What the markdown decision prices with: each category's elasticity, and where it came from.

In order of precedence (the rule is in planner_shared.markdown):

1. an elasticity uploaded for the workflow (contract v1 `elasticity`), per category;
2. the workflow's uploaded markdown history (contract v1 `markdown_history`): its demand lift
   per markdown point, turned into an elasticity at the category's sell-through at the
   checkpoint (`elasticity_from_lift`); only once the sell-through is known;
3. the catalogue's `price_elasticity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.frontend_v1 import UploadedElasticity, UploadedMarkdownHistory
from planner_shared.db.models import Category
from planner_shared.events import SellThroughComputedPayload
from planner_shared.markdown import elasticity_from_lift, lift_per_markdown_point

UPLOADED = "uploaded elasticity"
HISTORY = "markdown history"
CATALOGUE = "catalogue"


@dataclass(frozen=True)
class Elasticities:
    values: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    # From the uploaded markdown history; None without one (or without a markdown in it).
    lift_per_point: float | None = None
    history_rows: int = 0


@dataclass(frozen=True)
class CategoryPricing:
    code: str
    catalogue_elasticity: float
    uploaded_elasticity: float | None = None


@dataclass(frozen=True)
class PricingInputs:
    """What the elasticities are derived from, loaded once; the derivation needs no database,
    so the season can price on the sell-through it has just learnt."""

    categories: tuple[CategoryPricing, ...] = ()
    lift_per_point: float | None = None
    history_rows: int = 0

    def elasticities(self, sell_through: SellThroughComputedPayload | None) -> Elasticities:
        by_category = sell_through.by_category if sell_through is not None else {}
        lift = self.lift_per_point
        values: dict[str, float] = {}
        sources: dict[str, str] = {}
        for c in self.categories:
            if c.uploaded_elasticity is not None:
                values[c.code], sources[c.code] = c.uploaded_elasticity, UPLOADED
            elif lift is not None and c.code in by_category:
                values[c.code] = elasticity_from_lift(lift, by_category[c.code])
                sources[c.code] = HISTORY
            else:
                values[c.code], sources[c.code] = c.catalogue_elasticity, CATALOGUE
        return Elasticities(values, sources, lift, self.history_rows)


async def load_pricing_inputs(
    session: AsyncSession, workflow_id: UUID, categories: Sequence[Category]
) -> PricingInputs:
    uploaded = dict(
        (
            await session.execute(
                select(UploadedElasticity.category_id, UploadedElasticity.elasticity).where(
                    UploadedElasticity.workflow_id == workflow_id
                )
            )
        ).all()
    )
    history = (
        await session.execute(
            select(UploadedMarkdownHistory.markdown_pct, UploadedMarkdownHistory.demand_lift_pct)
            .where(UploadedMarkdownHistory.workflow_id == workflow_id)
            .order_by(UploadedMarkdownHistory.row_number)
        )
    ).all()
    return PricingInputs(
        categories=tuple(
            CategoryPricing(
                code=c.code,
                catalogue_elasticity=float(c.price_elasticity),
                uploaded_elasticity=float(uploaded[c.id]) if c.id in uploaded else None,
            )
            for c in categories
        ),
        lift_per_point=lift_per_markdown_point((float(m), float(d)) for m, d in history),
        history_rows=len(history),
    )


async def season_elasticities(
    session: AsyncSession,
    workflow_id: UUID,
    categories: Sequence[Category],
    sell_through: SellThroughComputedPayload | None,
) -> Elasticities:
    inputs = await load_pricing_inputs(session, workflow_id, categories)
    return inputs.elasticities(sell_through)
