"""The markdown rule as the gateway applies it: with the cap the pricing agent applies.

`planner_shared.markdown` promises the same answer wherever the rule runs, so a
recalculation here (v1 §20) takes the cap of the season's newest proposal, the one the
pricing agent applied; before any proposal, the configured cap (`max_markdown_percentage`,
read from the pricing agent's own PLANNER_AGENTS_MAX_MARKDOWN when set).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import repository
from planner_gateway.schemas.resources import MarkdownRead
from planner_shared.markdown import MarkdownComputation, compute_markdown


async def recalculate(
    session: AsyncSession,
    workflow_id: UUID,
    *,
    target: float,
    actual: float,
    elasticity: float,
    configured_cap: float,
) -> tuple[MarkdownComputation, list[MarkdownRead]]:
    """The rule's answer for these inputs, and the season's proposals it took the cap from."""
    proposals = await repository.markdowns(session, workflow_id)
    cap = proposals[-1].max_markdown_pct if proposals else configured_cap
    return compute_markdown(target, actual, elasticity, max_percentage=cap), proposals
