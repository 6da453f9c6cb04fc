"""The markdown rule (docs/markdown.md). Two services apply it (the pricing agent's proposal and
the gateway's v1 §20 recalculation) and must give the same answer, so it is the one domain rule
in shared.
It also holds the elasticity a markdown history implies (docs/markdown.md, "Elasticity from
markdown history"), which the pricing agent and the v1 answers both read.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_MAX_MARKDOWN_PERCENTAGE = 40.0
# The largest elasticity the history may give (a sell-through near 0 would give any figure);
# the same bound as an uploaded elasticity's.
MAX_ELASTICITY = 10.0
MARKDOWN_STEP_PERCENTAGE = 5.0
# Float noise (0.6 - 0.475 = 0.12499999999999997) must not decide a half-way case.
_NOISE_DECIMALS = 9
# Half a point behind at least: a category at 59.98 % of a 60 % target is not "behind".
BEHIND_MIN_GAP = 0.005


def categories_behind(by_category: Mapping[str, float], target: float) -> list[tuple[str, float]]:
    """The categories at least half a point below the target at the checkpoint, furthest
    behind first: each fires the checkpoint on its own, whatever the season's total (the
    orchestrator decides it, the report says it)."""
    behind = [
        (code, value) for code, value in by_category.items() if target - value >= BEHIND_MIN_GAP
    ]
    return sorted(behind, key=lambda item: (item[1], item[0]))


@dataclass(frozen=True)
class MarkdownComputation:
    """Every stage of the rule, so a proposal can show its working."""

    target: float
    actual: float
    elasticity: float
    gap: float
    raw_percentage: float
    rounded_percentage: float
    percentage: float
    max_percentage: float

    @property
    def capped(self) -> bool:
        return self.rounded_percentage > self.max_percentage

    def explain(self) -> str:
        if self.gap <= 0:
            return (
                f"sell-through {self.actual:.1%} is at or above the {self.target:.1%} target: "
                "no markdown"
            )
        text = (
            f"({self.target:.1%} target - {self.actual:.1%} actual) x markdown points per "
            f"point of gap {self.elasticity:g} = {self.raw_percentage:.2f}%, rounded to "
            f"{self.rounded_percentage:g}%"
        )
        if self.capped:
            text += f", capped at {self.max_percentage:g}%"
        return text


def _check_share(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")


def round_to_step(value: float, step: float = MARKDOWN_STEP_PERCENTAGE) -> float:
    """`value` rounded to the nearest multiple of `step`, half-way cases up."""
    if step <= 0:
        raise ValueError(f"step must be positive, got {step!r}")
    steps = Decimal(str(round(value / step, _NOISE_DECIMALS))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return float(steps) * step


def compute_markdown(
    target_sell_through: float,
    actual_sell_through: float,
    elasticity: float,
    *,
    max_percentage: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE,
    step: float = MARKDOWN_STEP_PERCENTAGE,
) -> MarkdownComputation:
    """The markdown rule with its working; see the module docstring."""
    _check_share("target_sell_through", target_sell_through)
    _check_share("actual_sell_through", actual_sell_through)
    if not (math.isfinite(elasticity) and elasticity >= 0):
        raise ValueError(f"elasticity must be zero or positive, got {elasticity!r}")
    if not (math.isfinite(max_percentage) and 0.0 <= max_percentage <= 100.0):
        raise ValueError(f"max_percentage must be between 0 and 100, got {max_percentage!r}")
    gap = round(target_sell_through - actual_sell_through, _NOISE_DECIMALS)
    raw = round(max(gap, 0.0) * elasticity * 100.0, _NOISE_DECIMALS)
    rounded = round_to_step(raw, step)
    return MarkdownComputation(
        target=target_sell_through,
        actual=actual_sell_through,
        elasticity=elasticity,
        gap=gap,
        raw_percentage=raw,
        rounded_percentage=rounded,
        percentage=min(max(rounded, 0.0), max_percentage),
        max_percentage=max_percentage,
    )


def markdown_percentage(
    target_sell_through: float,
    actual_sell_through: float,
    elasticity: float,
    *,
    max_percentage: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE,
    step: float = MARKDOWN_STEP_PERCENTAGE,
) -> float:
    """The markdown to propose, in percent (0-100)."""
    return compute_markdown(
        target_sell_through,
        actual_sell_through,
        elasticity,
        max_percentage=max_percentage,
        step=step,
    ).percentage


def lift_per_markdown_point(history: Iterable[tuple[float, float]]) -> float | None:
    """Demand lift per markdown point from (markdown, demand lift) pairs, both fractions:
    the median of lift / markdown over the pairs with a markdown; None without any."""
    ratios = [lift / markdown for markdown, lift in history if markdown > 0 and lift >= 0]
    return statistics.median(ratios) if ratios else None


def elasticity_from_lift(lift_per_point: float, sell_through: float) -> float:
    """The rule's elasticity (markdown points per point of gap) that a demand lift per
    markdown point implies at this sell-through; see the module docstring."""
    _check_share("sell_through", sell_through)
    if not (math.isfinite(lift_per_point) and lift_per_point >= 0):
        raise ValueError(f"lift per point must be zero or positive, got {lift_per_point!r}")
    product = lift_per_point * sell_through
    return MAX_ELASTICITY if product <= 1 / MAX_ELASTICITY else round(1 / product, 4)


def sell_through_after_markdown(
    sell_through: float, lift_per_point: float, markdown: float
) -> float:
    """Expected sell-through after a markdown (a fraction): a x (1 + lift x m), at most 1."""
    return min(1.0, sell_through * (1 + lift_per_point * markdown))
