"""The forecast engine's model names in a planner's words: the one list.

The forecast service names its members as code does (`arima_sa`, `seasonal_naive`); a planner
reads "ARIMA" and "same week last year". The agents' sentences use these words as they are;
the console's come from the same list, generated into console/src/model-labels.ts
(scripts/openapi_types.py, checked for drift by tests/test_console_api_types.py), and start
them with a capital in a table cell. A name not listed is shown with its underscores as spaces.
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
