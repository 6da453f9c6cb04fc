"""Labels the client shows that Season Planner derives: size tiers and fashion tiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

SizeTier = Literal["Large", "Medium", "Small"]
FashionTier = Literal["PREMIUM", "MAINSTREAM", "VALUE"]


def size_tiers(sizes: Mapping[str, int]) -> dict[str, SizeTier]:
    """Thirds of the stores by floor space: the largest third Large, the smallest Small."""
    ordered = sorted(sizes, key=lambda code: (-sizes[code], code))
    n = len(ordered)
    tiers: dict[str, SizeTier] = {}
    for i, code in enumerate(ordered):
        tiers[code] = "Large" if i < n / 3 else "Medium" if i < 2 * n / 3 else "Small"
    return tiers


def fashion_tiers(labels_by_demand: Sequence[int]) -> dict[int, FashionTier]:
    """Cluster labels ordered by demand (label 0 sells the most): the top cluster PREMIUM,
    the bottom one VALUE, the others MAINSTREAM (one cluster: MAINSTREAM)."""
    if len(labels_by_demand) == 1:
        return {labels_by_demand[0]: "MAINSTREAM"}
    tiers: dict[int, FashionTier] = {}
    last = len(labels_by_demand) - 1
    for i, label in enumerate(labels_by_demand):
        tiers[label] = "PREMIUM" if i == 0 else "VALUE" if i == last else "MAINSTREAM"
    return tiers
