"""The global member (`lgbm`): one LightGBM model trained across every series of the panel.

The statistical members are fitted per series; this one learns from the whole panel at once
(every store x category x cluster node, or every series of a `forecast_frame` call), through
mlforecast: each series' target is standardised by its own mean and spread
(`LocalStandardScaler`, so a big store and a small one share the model), and the features are
its lags (1-4, 8, 13, 26, 52 weeks), rolling means and spreads of the last 4, 13 and 52 weeks,
the week's phase in the year (the panel's week number mod 52: the service's panels are on one
calendar) and the series' own scale (the log of its mean level, a static feature). The
horizon is forecast recursively, each week's forecast feeding the next week's lags.

Fitted inside the engine's backtest like every member (`global_forecasts`): for each backtest
origin it is trained on the weeks before that origin only, then on the whole history for the
season, so its backtest errors are out of sample (the statistical members' parameters have
seen the backtest weeks: they are a little optimistic there, which favours them, not it, in
the combination). Deterministic: fixed seed, one thread, LightGBM's deterministic mode. It has
no intervals of its own: the combined spread is the weighted statistical members' (their
weights renormalised), and the calibration scales it.

Its forecasts are cached per process by the training panel and the horizon, so seasons
planned on the same history and horizon (another brief, the backtest origins a re-forecast
shares) do not train it again.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any

import numpy as np
import pandas as pd

from planner_forecast.metrics import FloatArray
from planner_forecast.rolling import _Lru

LAGS = (1, 2, 3, 4, 8, 13, 26, 52)
TREES = 150
SEED = 0
# Series with fewer weeks than this before an origin get no global forecast there (as the
# statistical members' `min_history_weeks`).
MIN_WEEKS = 8
TRAINED: _Lru = _Lru(64)


def _phase(ds: Any) -> Any:
    """The week's phase in a 52-week year (integer weeks of the panel)."""
    return np.asarray(ds, dtype=np.int64) % 52


def _model() -> Any:
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd
    from mlforecast.target_transforms import LocalStandardScaler

    regressor = LGBMRegressor(
        n_estimators=TREES,
        learning_rate=0.05,
        num_leaves=31,
        min_child_samples=20,
        subsample=1.0,
        colsample_bytree=1.0,
        random_state=SEED,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )
    return MLForecast(
        models={"lgbm": regressor},
        freq=1,
        lags=list(LAGS),
        lag_transforms={
            1: [RollingMean(4), RollingMean(13), RollingMean(52), RollingStd(13)],
        },
        date_features=[_phase],
        target_transforms=[LocalStandardScaler()],
        num_threads=1,
    )


def _train_and_predict(train: pd.DataFrame, h: int) -> pd.DataFrame:
    level = train.groupby("unique_id", sort=False)["y"].transform(lambda y: np.abs(y).mean())
    frame = train.assign(scale=np.log1p(level.to_numpy(dtype=float)))
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame, static_features=["scale"], dropna=False)
        out: pd.DataFrame = model.predict(h)
    return out


def _digest(train: pd.DataFrame) -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(pd.util.hash_pandas_object(train, index=False).to_numpy().tobytes())
    return hasher.digest()


def global_forecasts(wide: pd.DataFrame, cuts: tuple[int, ...], h: int) -> FloatArray:
    """(series, origin, week) forecasts of the global model: trained on the rows before each
    cut (the backtest origins, then the whole history `len(wide)`), `h` weeks from there.

    `wide` is the engine's panel (rows: weeks, aligned at their end, leading NaN for late
    starters). A series with fewer than `MIN_WEEKS` weeks before a cut has NaN there.
    """
    ids = [str(c) for c in wide.columns]
    values = wide.to_numpy(dtype=float)
    out = np.full((len(ids), len(cuts), h), np.nan)
    for k, cut in enumerate(cuts):
        part = values[:cut]
        weeks = np.isfinite(part).sum(axis=0)
        rows = weeks >= MIN_WEEKS
        if not rows.any():
            continue
        kept = part[:, rows]
        kept_ids = np.asarray(ids, dtype=str)[rows]
        frame = pd.DataFrame(
            {
                "unique_id": np.tile(kept_ids, cut),
                "ds": np.repeat(np.arange(cut, dtype=np.int64), len(kept_ids)),
                "y": kept.reshape(-1),
            }
        )
        frame = frame[np.isfinite(frame["y"].to_numpy())].reset_index(drop=True)
        key = (_digest(frame), h)
        found = TRAINED.get(key)
        if found is None:
            found = _train_and_predict(frame, h)
            TRAINED.put(key, found)
        order = pd.Categorical(found["unique_id"].astype(str), categories=ids).codes
        sorted_out = found.assign(_id=order).sort_values(["_id", "ds"], kind="stable")
        out[rows, k] = sorted_out["lgbm"].to_numpy(dtype=float).reshape(len(kept_ids), h)
    return out
