"""The buy as a newsvendor: how many units of a category to have for the season.

An order is placed once, before the season, against uncertain demand D. A unit sold earns
the price p; a unit left at the end fetches the salvage value s; every unit costs c. The
expected margin of holding y units,

    E[margin(y)] = (p - s) x E[min(y, D)] - (c - s) x y,

is concave in y and highest where P(D <= y) = (p - c) / (p - s), the critical ratio: the
newsvendor quantity is the demand's critical-ratio quantile. Units already on hand are
there whatever is ordered, so the order is that quantity less the stock on hand (never
negative), the better of the two whole numbers around it. The implied service level is
P(D <= y): the chance the season ends before the category sells out.

D is the category's season total. The forecast gives its point and calibrated 80 % and 95 %
intervals; the distribution used is the normal centred on the point whose sigma best fits
the four interval ends (least squares on the half-widths: half-width = sigma x z), so both
intervals inform it. Prices, costs and salvage values come from the category reference data.

The split of a single total across categories (a decision on one number, the seed's and
`/api/v1`'s) is by the proposal's shares, largest remainder: units are conserved exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

_STANDARD = NormalDist()
_Z80 = _STANDARD.inv_cdf(0.90)
_Z95 = _STANDARD.inv_cdf(0.975)


class BuyError(ValueError):
    """Figures a buy cannot be computed from (a cost above the price, a negative interval)."""


@dataclass(frozen=True)
class SeasonDemand:
    """A category's season demand: normal, mean the point forecast, sigma from its intervals."""

    mean: float
    sigma: float

    @classmethod
    def from_intervals(
        cls,
        point: float,
        lower_80: float,
        upper_80: float,
        lower_95: float,
        upper_95: float,
    ) -> SeasonDemand:
        half_80 = max(upper_80 - lower_80, 0.0) / 2
        half_95 = max(upper_95 - lower_95, 0.0) / 2
        # Least squares of half-width = sigma x z over the two intervals.
        sigma = (half_80 * _Z80 + half_95 * _Z95) / (_Z80**2 + _Z95**2)
        return cls(mean=max(point, 0.0), sigma=sigma)

    def quantile(self, probability: float) -> float:
        if self.sigma <= 0:
            return self.mean
        return self.mean + self.sigma * _STANDARD.inv_cdf(probability)

    def cdf(self, units: float) -> float:
        if self.sigma <= 0:
            return 1.0 if units >= self.mean else 0.0
        return _STANDARD.cdf((units - self.mean) / self.sigma)

    def expected_sales(self, units: float) -> float:
        """E[min(units, D)]: the mean less the expected shortfall (the normal loss function)."""
        if self.sigma <= 0:
            return min(units, self.mean)
        z = (units - self.mean) / self.sigma
        loss = _STANDARD.pdf(z) - z * (1 - _STANDARD.cdf(z))
        return self.mean - self.sigma * loss


@dataclass(frozen=True)
class Economics:
    """A category's money per unit, from the reference data."""

    price: float
    cost: float
    salvage: float

    def __post_init__(self) -> None:
        if not self.salvage < self.price:
            raise BuyError(f"salvage value {self.salvage} must be below the price {self.price}")
        if not 0 <= self.cost < self.price:
            raise BuyError(f"unit cost {self.cost} must be between 0 and the price {self.price}")

    @property
    def critical_ratio(self) -> float:
        """(p - c) / (p - s): what a unit short loses over what a unit short or over loses."""
        return min(max((self.price - self.cost) / (self.price - self.salvage), 0.0), 1.0)


def expected_margin(demand: SeasonDemand, money: Economics, units: float) -> float:
    """Expected season margin of holding `units`: sales at price, the rest at salvage, less
    what all of them cost."""
    return (money.price - money.salvage) * demand.expected_sales(units) - (
        money.cost - money.salvage
    ) * units


@dataclass(frozen=True)
class Buy:
    """One category's newsvendor buy."""

    target_units: float  # the critical-ratio quantile of season demand
    quantity: int  # the order: target less stock on hand, in whole units, at least 0
    critical_ratio: float
    service_level: float  # P(demand <= what the season holds) with this order
    expected_margin: float  # of the season's units (order plus stock on hand)


def newsvendor(demand: SeasonDemand, money: Economics, stock_on_hand: int) -> Buy:
    ratio = money.critical_ratio
    # The ratio's bounds (0 and 1) have no quantile: clamp to the demand's practical range.
    target = max(demand.quantile(min(max(ratio, 1e-6), 1 - 1e-6)), 0.0)
    # The margin is concave: the best whole order is one of the two around the target.
    below = max(0, math.floor(target - stock_on_hand))
    candidates = [
        evaluate(demand, money, stock_on_hand, q, target=target) for q in (below, below + 1)
    ]
    if target <= stock_on_hand:
        candidates = candidates[:1]
    return max(candidates, key=lambda buy: buy.expected_margin)


def evaluate(
    demand: SeasonDemand,
    money: Economics,
    stock_on_hand: int,
    quantity: int,
    *,
    target: float | None = None,
) -> Buy:
    """Any order's service level and expected margin (the approver's line, the old rule's)."""
    held = quantity + stock_on_hand
    return Buy(
        target_units=float(held) if target is None else target,
        quantity=quantity,
        critical_ratio=money.critical_ratio,
        service_level=demand.cdf(held),
        expected_margin=expected_margin(demand, money, held),
    )


def split_total(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """`total` whole units split by `shares` (largest remainder; equal shares if all are 0).

    The result sums to `total` exactly; ties of remainder go to the larger share, then to the
    first key in sorted order, so the split is reproducible.
    """
    if total < 0:
        raise BuyError(f"cannot split a negative total ({total})")
    if not shares:
        if total:
            raise BuyError(f"{total} units to split but no line to split them to")
        return {}
    exact = {key: Fraction(max(value, 0.0)) for key, value in shares.items()}
    mass = sum(exact.values(), Fraction(0))
    if mass == 0:
        exact = {key: Fraction(1) for key in exact}
        mass = Fraction(len(exact))
    quotas = {key: total * value / mass for key, value in exact.items()}
    units = {key: int(quota) for key, quota in quotas.items()}
    order = sorted(quotas, key=lambda key: (-(quotas[key] - units[key]), -exact[key], key))
    for key in order[: total - sum(units.values())]:
        units[key] += 1
    return units


def line_bounds(
    quantities: Mapping[str, int], min_total: int, max_total: int
) -> dict[str, tuple[int, int]]:
    """Each line's range: it may take the whole of the order's allowed movement, up or down.

    The order as a whole may move from its total to `min_total`-`max_total`; an approver who
    moves all of that into one category (outerwear +6,155 on a 75,845-unit order) must be
    able to, so a line moves by at most the total's own slack each way (never below 0). The
    total of the lines is still checked against the order's range.
    """
    total = sum(quantities.values())
    down, up = max(total - min_total, 0), max(max_total - total, 0)
    return {code: (max(q - down, 0), q + up) for code, q in quantities.items()}
