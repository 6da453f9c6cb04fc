"""The weekly replenishment line a planner reads on the WebSocket."""

from __future__ import annotations

from planner_forecast.handlers import replenishment_message
from planner_forecast.plan import Replenished


def test_shipments_name_what_the_dc_keeps() -> None:
    message = replenishment_message(
        3, {"OUTW": Replenished(shipped=1_250, left_at_dc=4_000), "KNIT": Replenished(0, 900)}
    )
    assert message == "Week 3 replenishment from the DC: OUTW 1,250 (4,000 left), KNIT 0 (900 left)"


def test_nothing_shipped_says_why() -> None:
    empty = {"OUTW": Replenished(0, 0), "KNIT": Replenished(0, 0)}
    assert replenishment_message(9, empty) == (
        "Week 9: nothing replenished from the DC (the DC holds no more OUTW, KNIT)"
    )
    mixed = {"OUTW": Replenished(0, 0), "KNIT": Replenished(0, 120)}
    assert replenishment_message(9, mixed) == (
        "Week 9: nothing replenished from the DC (no store needed more; the DC holds no more OUTW)"
    )
    stocked = {"KNIT": Replenished(0, 120)}
    assert replenishment_message(9, stocked) == (
        "Week 9: nothing replenished from the DC (no store needed more)"
    )
