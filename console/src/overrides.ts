// Forecast overrides (docs/overrides.md): how the console words them, draws the final forecast
// beside the statistical one, and checks the form before it asks the gateway.

import type { CategoryForecastChart, ForecastOverride, OverrideCreate, ProposedOverride } from "./types";

/** "weeks 2-4", "week 3", "weeks 1, 3, 5". */
export function weeksLabel(weeks: number[]): string {
  const sorted = [...weeks].sort((a, b) => a - b);
  if (sorted.length === 1) return `week ${sorted[0]}`;
  const consecutive = sorted.every((w, i) => i === 0 || w === sorted[i - 1] + 1);
  return consecutive ? `weeks ${sorted[0]}-${sorted[sorted.length - 1]}` : `weeks ${sorted.join(", ")}`;
}

/** "+10 %" or "-40 units a week". */
export function amountLabel(o: { percent: number | null; units: number | null }): string {
  if (o.percent !== null) return `${o.percent > 0 ? "+" : ""}${o.percent} %`;
  const u = o.units ?? 0;
  return `${u > 0 ? "+" : ""}${u} units a week`;
}

/** "Outerwear (OUTW) +10 % · weeks 1-12", with the category for a cluster or a store. */
export function overrideLabel(o: ForecastOverride): string {
  const what = o.scope === "category" ? `${o.name} (${o.code})` : `${o.scope} ${o.name}${o.category_code ? ` · ${o.category_code}` : " · every category"}`;
  return `${what} ${amountLabel(o)} · ${weeksLabel(o.weeks)}`;
}

/** The chart's rows: history, the statistical forecast with its bands, and the final forecast. */
export function forecastRows(chart: CategoryForecastChart) {
  return [
    ...chart.history.map((h) => ({ date: h.week_start, history: h.units })),
    ...chart.forecast.map((f) => ({
      date: f.week_start,
      forecast: f.forecast_units,
      final: f.final_units,
      band80: [f.lower_80, f.upper_80],
      band95: [f.lower_95, f.upper_95],
    })),
  ];
}

/** Whether any week's final forecast differs from the statistical one. */
export function isOverridden(chart: CategoryForecastChart): boolean {
  return chart.forecast.some((f) => Math.abs(f.final_units - f.forecast_units) > 0.05);
}

export interface OverrideForm {
  scope: "category" | "cluster" | "store";
  code: string;
  category_code: string;
  weeks: string; // "2-4", "3", "1, 3, 5" or "" for every week to come
  kind: "percent" | "units";
  amount: string;
  reason: string;
}

/** "2-4, 7" -> [2, 3, 4, 7]; "" -> null (every week to come); an unreadable part -> an error. */
export function parseWeeks(text: string): number[] | null | string {
  if (!text.trim()) return null;
  const weeks: number[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d{1,2})\s*-\s*(\d{1,2})$/.exec(part);
    if (range) {
      const [first, last] = [Number(range[1]), Number(range[2])];
      if (first > last) return `"${part}" runs backwards`;
      for (let w = first; w <= last; w++) weeks.push(w);
    } else if (/^\d{1,2}$/.test(part)) weeks.push(Number(part));
    else return `"${part}" is not a week or a range of weeks (e.g. 2-4)`;
  }
  return [...new Set(weeks)].sort((a, b) => a - b);
}

/** The request body, or what is wrong with the form (the gateway checks again). */
export function overrideBody(form: OverrideForm): OverrideCreate | string {
  if (!form.code.trim()) return "Choose what to adjust.";
  const amount = Number(form.amount);
  if (!form.amount.trim() || !Number.isFinite(amount)) return `The ${form.kind === "percent" ? "percentage" : "units"} must be a number.`;
  if (!form.reason.trim()) return "Say why: the reason is shown with the override.";
  const weeks = parseWeeks(form.weeks);
  if (typeof weeks === "string") return weeks;
  return {
    scope: form.scope,
    code: form.code.trim(),
    category_code: form.scope === "category" || !form.category_code ? null : form.category_code,
    weeks,
    percent: form.kind === "percent" ? amount : null,
    units: form.kind === "units" ? amount : null,
    reason: form.reason.trim(),
    source: "planner",
  };
}

/** A brief's proposed override as the request that accepts it (its category's code known). */
export function acceptBody(p: ProposedOverride): OverrideCreate {
  return {
    scope: "category",
    code: p.category_code ?? p.category,
    category_code: null,
    weeks: p.weeks,
    percent: p.percent,
    units: null,
    reason: p.reason,
    source: "brief",
  };
}
