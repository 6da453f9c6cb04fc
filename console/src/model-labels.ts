// Generated from planner_shared.model_labels by scripts/openapi_types.py
// (`make console-types`); do not edit: change the Python list instead.
export const MODEL_LABELS: Record<string, string> = {
  auto_ets: "exponential smoothing",
  theta_sa: "theta",
  arima_sa: "ARIMA",
  mstl: "seasonal decomposition (MSTL)",
  seasonal_naive: "same week last year",
  naive: "last week repeated",
  auto_theta: "seasonal theta",
  dynamic_theta: "dynamic seasonal theta",
  auto_arima: "seasonal ARIMA",
  arima: "ARIMA",
  croston: "Croston (sparse demand)",
  adida: "ADIDA (sparse demand)",
  imapa: "IMAPA (sparse demand)",
  tsb: "TSB (sparse demand)",
  prophet: "Prophet",
  lgbm: "gradient boosting across all series (LightGBM)",
};
