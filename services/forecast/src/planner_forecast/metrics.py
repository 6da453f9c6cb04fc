"""Forecast error measures shared by the ensemble's backtest and the accuracy benchmark."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def wape(actual: FloatArray, forecast: FloatArray) -> float:
    """Weighted absolute percentage error: sum |a - f| / sum |a| over the weeks with an actual.

    Pooled over weeks rather than averaged per week, so a near-zero week cannot blow it up.
    Returns inf when the actuals are all zero but the forecast is not, 0 when both are.
    """
    mask = np.isfinite(actual)
    error = float(np.abs(actual[mask] - forecast[mask]).sum())
    scale = float(np.abs(actual[mask]).sum())
    if scale == 0.0:
        return 0.0 if error == 0.0 else float("inf")
    return error / scale


def seasonal_naive_scale(history: FloatArray, period: int = 52) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast: the MASE denominator.

    Falls back to the one-step naive error when the history is shorter than a season and a bit.
    """
    lag = period if history.size > period + 1 else 1
    diffs = np.abs(history[lag:] - history[:-lag])
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if diffs.size else 0.0


def mase(actual: FloatArray, forecast: FloatArray, scale: float) -> float:
    """Mean absolute scaled error against a precomputed `seasonal_naive_scale`."""
    mask = np.isfinite(actual)
    mae = float(np.abs(actual[mask] - forecast[mask]).mean()) if mask.any() else 0.0
    if scale == 0.0:
        return 0.0 if mae == 0.0 else float("inf")
    return mae / scale
