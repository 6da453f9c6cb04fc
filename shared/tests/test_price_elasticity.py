"""The demand's price elasticity from the history's prices: a log-log fit net of store and week
effects, and a stated prior where the prices never moved."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from planner_shared.price_elasticity import (
    CATALOGUE,
    HISTORY,
    NONE,
    POOLED,
    SaleAtPrice,
    estimate_elasticities,
    fit_log_log,
)


def _panel(code: str, elasticity: float, *, moved: bool, seed: int = 3) -> list[SaleAtPrice]:
    """40 stores x 60 weeks: a store size, a seasonal week, a promotion in a third of the
    store-weeks (when `moved`), Poisson-like noise."""
    rng = random.Random(seed)
    size = [math.exp(rng.gauss(3.0, 0.4)) for _ in range(40)]
    season = [math.exp(0.5 * math.sin(w / 9)) for w in range(60)]
    rows = []
    for s in range(40):
        for w in range(60):
            cut = rng.choice((0.1, 0.2, 0.3)) if moved and rng.random() < 0.33 else 0.0
            price = 50.0 * (1 - cut)
            mean = size[s] * season[w] * (price / 50.0) ** elasticity
            units = max(round(mean * math.exp(rng.gauss(0, 0.1))), 0)
            rows.append(SaleAtPrice(code, f"S{s}", w, float(units), price))
    return rows


def test_the_fit_recovers_an_exact_elasticity_net_of_store_and_week_effects() -> None:
    rng = np.random.default_rng(1)
    stores, weeks = np.repeat(np.arange(30), 20), np.tile(np.arange(20), 30)
    prices = 40 * rng.choice([1.0, 0.9, 0.75], size=600)
    units = np.exp(2 + 0.1 * stores - 0.05 * weeks) * (prices / 40) ** -1.7
    fit = fit_log_log(units, prices, [stores, weeks], stores)
    assert fit is not None
    assert fit.slope == pytest.approx(-1.7, abs=1e-6)
    assert fit.standard_error == pytest.approx(0.0, abs=1e-6)
    # An unbalanced panel (a store-week missing) gives the same answer.
    keep = np.ones(600, dtype=bool)
    keep[[3, 77, 400]] = False
    fit = fit_log_log(units[keep], prices[keep], [stores[keep], weeks[keep]], stores[keep])
    assert fit is not None
    assert fit.slope == pytest.approx(-1.7, abs=1e-6)


def test_prices_that_never_move_say_nothing_and_the_fit_says_so() -> None:
    stores, weeks = np.repeat(np.arange(5), 4), np.tile(np.arange(4), 5)
    assert fit_log_log(np.full(20, 9.0), np.full(20, 30.0), [stores, weeks], stores) is None


def test_each_category_is_estimated_with_an_interval_holding_the_truth() -> None:
    sales = _panel("DRES", -2.2, moved=True) + _panel("KNIT", -1.4, moved=True, seed=4)
    found = estimate_elasticities(sales, {"DRES": None, "KNIT": -9.0})
    for code, truth in (("DRES", -2.2), ("KNIT", -1.4)):
        e = found[code]
        # The history wins over the catalogue's figure where the prices moved.
        assert e.source == HISTORY
        assert e.lower is not None
        assert e.upper is not None
        assert e.elasticity is not None
        assert e.lower <= truth <= e.upper
        assert abs(e.elasticity - truth) < 0.1
        assert e.price_changes > 700
        assert "95 % CI" in e.describe()


def test_a_category_whose_prices_never_moved_takes_a_stated_prior() -> None:
    sales = (
        _panel("DRES", -2.0, moved=True)
        + _panel("OUTW", -1.0, moved=True, seed=5)
        + _panel("ACCS", -1.3, moved=False, seed=6)
        + _panel("KNIT", -1.3, moved=False, seed=7)
    )
    found = estimate_elasticities(
        sales, {"DRES": None, "OUTW": None, "ACCS": -1.1, "KNIT": None, "SHOE": None}
    )
    assert (found["ACCS"].elasticity, found["ACCS"].source) == (-1.1, CATALOGUE)
    pooled = found["KNIT"]
    assert pooled.source == POOLED
    assert pooled.elasticity is not None
    assert -2.0 < pooled.elasticity < -1.0  # between the categories it pools
    assert "prices never moved" in pooled.describe()
    # No history at all for SHOE: the pooled estimate still stands in.
    assert found["SHOE"].source == POOLED
    nothing = estimate_elasticities(_panel("ACCS", -1.3, moved=False), {"ACCS": None})
    assert (nothing["ACCS"].elasticity, nothing["ACCS"].source) == (None, NONE)
