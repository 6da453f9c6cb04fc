"""The markdown rule (docs/markdown.md). Two services apply it (the pricing agent's proposal and
the gateway's v1 §20 recalculation) and must give the same answer, so it is the one domain rule
in shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_MAX_MARKDOWN_PERCENTAGE = 40.0
MARKDOWN_STEP_PERCENTAGE = 5.0
# Float noise (0.6 - 0.475 = 0.12499999999999997) must not decide a half-way case.
_NOISE_DECIMALS = 9


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
            f"({self.target:.1%} target - {self.actual:.1%} actual) x elasticity "
            f"{self.elasticity:g} = {self.raw_percentage:.2f}%, rounded to "
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
