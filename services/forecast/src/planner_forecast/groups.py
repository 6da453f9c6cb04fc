"""Combination weights per group of series, shrunk toward the panel's.

One set of weights for a whole panel pools thousands of backtest errors, but a panel mixes
series whose best models differ: a category of strongly seasonal store series and one of flat
accessories, trending prices next to seasonal ridership. Each group gets its own weights,
chosen by the same rule on its own series' backtest, and shrunk toward the panel's by
credibility: own share n / (n + prior), n being the group's scored series. A group of a few
series keeps mostly the panel's weights (its own are noise); a large group mostly its own.

Groups are the caller's labels where it has them (the hierarchy's categories), else the kind of
series (`series_kind`): under two seasons of history (`short`), a yearly season worth
modelling (`seasonal`), or none (`plain`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from planner_forecast.metrics import FloatArray
from planner_forecast.seasonal import season_strength

# `weigh(rows, candidates)`: the panel rule's weights (one per member) on those series.
Weigh = Callable[[Any, list[int]], FloatArray]


def series_kind(history: FloatArray, lengths: Any, season_length: int) -> list[str]:
    """`short`, `seasonal` or `plain` for each column of `history` (weeks x series)."""
    kinds = []
    for j, weeks in enumerate(lengths):
        if weeks <= 2 * season_length:
            kinds.append("short")
            continue
        y = history[-int(weeks) :, j]
        kinds.append("seasonal" if season_strength(y, season_length) >= 0.5 else "plain")
    return kinds


def group_weights(
    labels: Sequence[str],
    scored: Any,
    panel: FloatArray,
    candidates: list[int],
    has_backtest: Any,
    weigh: Weigh,
    prior: float,
) -> tuple[FloatArray, dict[str, dict[str, Any]]]:
    """(series, member) weights: each group's own, shrunk toward `panel`, and what was used.

    `scored` marks the series whose backtest chooses weights (smooth ones with a window);
    `has_backtest` is (series, member): which members a series has backtest forecasts of,
    so that a group is weighed only over the members its series have. A group with fewer
    than two scored series takes the panel's weights.
    """
    labels_arr = np.asarray(labels, dtype=object)
    out = np.tile(panel, (len(labels_arr), 1))
    used: dict[str, dict[str, Any]] = {}
    for label in sorted(set(labels_arr.tolist())):
        rows = labels_arr == label
        mine = rows & scored
        count = int(mine.sum())
        own = count / (count + prior) if count >= 2 else 0.0
        weights = panel
        if own > 0:
            present = [j for j in candidates if has_backtest[mine, j].any()]
            weights = own * weigh(mine, present) + (1 - own) * panel
        out[rows] = weights
        used[str(label)] = {"series": count, "own_share": round(own, 3), "weights": weights}
    return out, used
