"""The buy per category in words: units, the service level they give, the expected margin,
and the safety-stock rule's quantity it replaces."""

from __future__ import annotations

from planner_shared.events import ManufacturingLine


def money(value: float) -> str:
    """$612k, $1.2M, $950: short enough for a sentence."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e6:
        return f"{sign}${value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{sign}${value / 1e3:,.0f}k"
    return f"{sign}${value:,.0f}"


def buy_line_words(line: ManufacturingLine) -> str:
    if line.service_level is None or line.expected_margin is None:
        return (
            f"{line.category_code} {line.quantity:,} (forecast {line.forecast_units:,.0f}, "
            f"safety stock {line.safety_stock_pct:.1f}%, on hand {line.stock_on_hand:,})"
        )
    text = f"{line.category_code} {line.quantity:,} units" + (
        f" (critical ratio {line.critical_ratio or 0:.0%}: service level "
        f"{line.service_level:.0%}, expected margin {money(line.expected_margin)}"
    )
    if line.rule_quantity is not None and line.rule_expected_margin is not None:
        gain = line.expected_margin - line.rule_expected_margin
        text += (
            f"; the safety-stock rule's {line.rule_quantity:,} would earn "
            f"{money(line.rule_expected_margin)}, {money(gain)} less"
        )
    return text + ")"
