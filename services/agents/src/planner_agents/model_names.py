"""The forecast engine's model names in a planner's words, for the agents' sentences.

The forecast service names its members as code does (`arima_sa`, `seasonal_naive`); a planner
reads "ARIMA" and "same week last year". The console keeps the same list (console/src/format.ts,
`modelLabel`); a name not listed here is shown with its underscores as spaces.
"""

from __future__ import annotations

MODEL_LABELS: dict[str, str] = {
    "auto_ets": "exponential smoothing",
    "theta_sa": "theta",
    "arima_sa": "ARIMA",
    "mstl": "seasonal decomposition (MSTL)",
    "seasonal_naive": "same week last year",
    "naive": "last week repeated",
    "auto_theta": "seasonal theta",
    "dynamic_theta": "dynamic seasonal theta",
    "auto_arima": "seasonal ARIMA",
    "arima": "ARIMA",
    "croston": "Croston (sparse demand)",
    "adida": "ADIDA (sparse demand)",
    "imapa": "IMAPA (sparse demand)",
    "tsb": "TSB (sparse demand)",
    "prophet": "Prophet",
    "lgbm": "gradient boosting across all series (LightGBM)",
}


def model_label(name: str) -> str:
    return MODEL_LABELS.get(name, name.replace("_", " "))
