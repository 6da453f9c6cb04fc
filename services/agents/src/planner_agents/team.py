"""The four agents: an orchestrator that routes each task and three specialists that do it.

Instructions are rendered per run from the context: each agent sees this season's parameters
and the facts gathered so far, so it reasons about this season rather than a generic one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from agents import Agent, RunContextWrapper
from agents.extensions.handoff_prompt import RECOMMENDED_PROMPT_PREFIX

from planner_agents import tools
from planner_agents.bounds import quantity_bounds
from planner_agents.context import RunContext
from planner_shared.events import AgentName
from planner_shared.parameters import SeasonParameters
from planner_shared.wording import variance_summary

AgentTask = Literal[
    "review_forecast", "propose_manufacturing", "summarise_allocation", "propose_markdown"
]
TASKS: tuple[AgentTask, ...] = get_args(AgentTask)
SpecialistName = Literal["demand", "inventory", "pricing"]

SPECIALIST_FOR_TASK: dict[AgentTask, SpecialistName] = {
    "review_forecast": "demand",
    "propose_manufacturing": "inventory",
    "summarise_allocation": "inventory",
    "propose_markdown": "pricing",
}

TASK_BRIEFS: dict[AgentTask, str] = {
    "review_forecast": (
        "Review this season's demand forecast: explain what drives it and flag its risks."
    ),
    "propose_manufacturing": (
        "Propose the manufacturing order for this season for human approval."
    ),
    "summarise_allocation": (
        "Summarise the initial allocation to stores and the DC holdback for the planner."
    ),
    "propose_markdown": (
        "Check sell-through at the markdown checkpoint and propose the markdown, if any."
    ),
}

_TASK_LINE = re.compile(r"^Task: (\w+)$", re.MULTILINE)


def task_message(task: AgentTask) -> str:
    """The user message that starts a run; its first line names the task."""
    return f"Task: {task}\n{TASK_BRIEFS[task]}"


def parse_task(text: str) -> AgentTask | None:
    match = _TASK_LINE.search(text)
    if match is None:
        return None
    name = match.group(1)
    return next((task for task in TASKS if task == name), None)


# ---------------------------------------------------------------- the facts, rendered
def _season_line(p: SeasonParameters) -> str:
    return (
        f"Season: {p.forecast_horizon_weeks} weeks from {p.season_start_date.isoformat()} to "
        f"{p.season_end_date.isoformat()}; replenishment {p.replenishment_strategy.value}; "
        f"{p.dc_holdback_percentage:g}% of the order held at the DC; "
        + (
            f"markdown checkpoint in week {p.markdown_checkpoint_week} "
            f"(starting {p.week_start(p.markdown_checkpoint_week).isoformat()}) "
            f"with a target sell-through of {p.markdown_threshold:.0%}."
            if p.markdown_checkpoint_week is not None
            else "no markdown checkpoint this season."
        )
    )


def _plan_lines(ctx: RunContext) -> list[str]:
    """The forecast in force and the order it recommends."""
    lines = []
    if ctx.forecast is not None:
        f = ctx.forecast
        categories = "; ".join(
            f"{c.category_code} {c.season_total:,.0f} (80% {c.lower_80:,.0f}-{c.upper_80:,.0f},"
            f" {c.method})"
            for c in f.categories
        )
        lines.append(
            f"Forecast run {f.run_number} ({f.reason}): {f.season_total:,.0f} units in total; "
            f"{categories}; {f.cluster_count} store clusters."
        )
        if f.previous_season_total is not None:
            lines.append(f"Previous run's season total: {f.previous_season_total:,.0f} units.")
    if ctx.manufacturing is not None:
        low, high = quantity_bounds(
            ctx.manufacturing.total_quantity, ctx.policy.manufacturing_tolerance_percentage
        )
        lines.append(
            f"Manufacturing recommendation: {ctx.manufacturing.total_quantity:,} units; "
            f"an order may be proposed between {low:,} and {high:,}."
        )
    return lines


def render_facts(ctx: RunContext) -> str:
    """This season's parameters and whatever results exist so far, as plain lines."""
    lines = [f"Workflow {ctx.workflow_id}.", _season_line(ctx.parameters), *_plan_lines(ctx)]
    if ctx.allocation is not None:
        a = ctx.allocation
        lines.append(
            f"Allocation: {a.store_units:,} units to {a.store_count} stores, "
            f"{a.dc_holdback_units:,} held at the DC."
        )
    if ctx.variance_by_week:
        weeks = ", ".join(
            f"week {week} {value:.0%}" for week, value in sorted(ctx.variance_by_week.items())
        )
        lines.append(f"Variance against the forecast so far (either side): {weeks}.")
    if ctx.latest_variance is not None:
        lines.append(
            f"Latest check, week {ctx.latest_variance.week_number}: "
            f"{variance_summary(ctx.latest_variance)}."
        )
    if ctx.sell_through is not None:
        s = ctx.sell_through
        lines.append(
            f"Sell-through in week {s.week_number}: {s.sell_through:.1%} against the "
            f"{s.target:.0%} target."
        )
    if ctx.elasticities:
        lines.append(
            "Price elasticities (markdown points per point of sell-through gap): "
            + ", ".join(f"{code} {value:g}" for code, value in sorted(ctx.elasticities.items()))
            + "."
        )
    return "\n".join(lines)


_GROUND_RULES = (
    "Use only figures the tools return or the facts above; never invent numbers. Write for a "
    "merchandise planner: short, factual, with the figures that matter."
)


def _orchestrator_instructions(
    wrapper: RunContextWrapper[RunContext], agent: Agent[RunContext]
) -> str:
    routes = "\n".join(
        f"- {task}: hand off to the {SPECIALIST_FOR_TASK[task]} agent ({brief})"
        for task, brief in TASK_BRIEFS.items()
    )
    return (
        f"{RECOMMENDED_PROMPT_PREFIX}\n"
        "You are the orchestrator of a fashion retailer's season planning workflow. The "
        "workflow's state machine is yours; the reasoning belongs to the specialists. Read the "
        "task on the first line of the user's message and hand it to its specialist at once:\n"
        f"{routes}\n"
        "Do not do a specialist's work yourself.\n\n"
        f"{render_facts(wrapper.context)}"
    )


def _demand_instructions(wrapper: RunContextWrapper[RunContext], agent: Agent[RunContext]) -> str:
    ctx = wrapper.context
    policy = ctx.policy
    return (
        "You are the demand planning agent. Review the demand forecast for this season: call "
        "get_forecast_summary, then flag_forecast_risks. Then explain in a short paragraph the "
        "season total, which categories drive it, how uncertain it is (the 80% intervals) and "
        "each risk flagged with what the planner should check. Risk rules: 80% interval wider "
        f"than {policy.wide_interval_ratio:.0%} of the forecast; a change of more than "
        f"{policy.history_change_ratio:.0%} against the same weeks last season; a re-forecast "
        f"moving the total more than {policy.revision_ratio:.0%}; a backtest WAPE above "
        f"{policy.weak_backtest_wape:.0%}; any fallback method. {_GROUND_RULES}\n\n"
        f"{render_facts(ctx)}"
    )


def _inventory_instructions(
    wrapper: RunContextWrapper[RunContext], agent: Agent[RunContext]
) -> str:
    ctx = wrapper.context
    p = ctx.parameters
    return (
        "You are the inventory agent: manufacturing order, allocation and replenishment.\n"
        "For propose_manufacturing: call get_manufacturing_recommendation, then "
        "propose_manufacturing_order once with the quantity and a rationale. Start from the "
        "recommendation (forecast x (1 + safety stock) minus stock on hand) and stay within "
        f"+/-{ctx.policy.manufacturing_tolerance_percentage:g}% of it; move away from it only "
        "for a reason the data shows, and say which. If the tool refuses the quantity, correct "
        "it and call it again.\n"
        "For summarise_allocation: call get_allocation_summary and explain where the units "
        f"went, and how the {p.dc_holdback_percentage:g}% DC holdback serves "
        f"{p.replenishment_strategy.value} replenishment over the {p.forecast_horizon_weeks} "
        f"weeks. {_GROUND_RULES}\n\n"
        f"{render_facts(ctx)}"
    )


def _pricing_instructions(wrapper: RunContextWrapper[RunContext], agent: Agent[RunContext]) -> str:
    ctx = wrapper.context
    p = ctx.parameters
    return (
        "You are the pricing agent. At the markdown checkpoint (week "
        f"{p.markdown_checkpoint_week}) compare sell-through with the "
        f"{p.markdown_threshold:.0%} target: call get_sell_through, then propose_markdown with "
        "a rationale. The markdown rule sets the percentage: (target - actual sell-through) x "
        f"price elasticity, capped at {ctx.policy.max_markdown_percentage:g}% and rounded to "
        "5%; a human approves it. Explain the gap, the categories furthest behind and the "
        f"percentage the rule gave. {_GROUND_RULES}\n\n"
        f"{render_facts(ctx)}"
    )


@dataclass(frozen=True)
class Team:
    orchestrator: Agent[RunContext]
    demand: Agent[RunContext]
    inventory: Agent[RunContext]
    pricing: Agent[RunContext]


AGENT_NAMES: dict[str, AgentName] = {
    "orchestrator": "orchestrator",
    "demand": "demand",
    "inventory": "inventory",
    "pricing": "pricing",
}


def build_team() -> Team:
    """A fresh set of agents; cheap, and nothing in them is shared between runs."""
    demand = Agent[RunContext](
        name="demand",
        handoff_description="Reviews the demand forecast, explains it and flags its risks.",
        instructions=_demand_instructions,
        tools=list(tools.DEMAND_TOOLS),
    )
    inventory = Agent[RunContext](
        name="inventory",
        handoff_description=(
            "Proposes the manufacturing order and explains the allocation and replenishment."
        ),
        instructions=_inventory_instructions,
        tools=list(tools.INVENTORY_TOOLS),
    )
    pricing = Agent[RunContext](
        name="pricing",
        handoff_description="Checks sell-through at the checkpoint and proposes markdowns.",
        instructions=_pricing_instructions,
        tools=list(tools.PRICING_TOOLS),
    )
    orchestrator = Agent[RunContext](
        name="orchestrator",
        instructions=_orchestrator_instructions,
        tools=list(tools.ORCHESTRATOR_TOOLS),
        handoffs=[demand, inventory, pricing],
    )
    return Team(orchestrator=orchestrator, demand=demand, inventory=inventory, pricing=pricing)
