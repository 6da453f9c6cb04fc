"""The range an approver may move the manufacturing order within."""

from __future__ import annotations

import math
from decimal import Decimal


def quantity_bounds(recommended: int, tolerance_percentage: float) -> tuple[int, int]:
    """The range an order may move within around `recommended`: +/- `tolerance_percentage`.

    The low end rounds up and the high end down, so neither bound ever lies outside the
    tolerance; the recommendation itself is always inside.
    """
    if recommended < 0:
        raise ValueError(f"recommended must not be negative, got {recommended}")
    if not (math.isfinite(tolerance_percentage) and 0.0 <= tolerance_percentage <= 100.0):
        raise ValueError(
            f"tolerance_percentage must be between 0 and 100, got {tolerance_percentage!r}"
        )
    share = Decimal(str(tolerance_percentage)) / 100
    low = (Decimal(recommended) * (1 - share)).to_integral_value(rounding="ROUND_CEILING")
    high = (Decimal(recommended) * (1 + share)).to_integral_value(rounding="ROUND_FLOOR")
    return int(low), int(high)
