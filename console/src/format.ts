// The console's own logic, free of React: number and unit formatting, the brief's editable
// parameters (percent on screen where the API says percent, fractions converted), CSV previews
// with the gateway's validation errors placed on their cells, and chart rows.

import type { ErrorDetail } from "./api";
import { LOCALE, formatNumber, parseNumber } from "./locale";
import type { SeasonParameters, Series, WeekPoint } from "./types";
import { MODEL_LABELS } from "./model-labels";

// Every figure in the browser's locale (locale.ts), the same in tables, charts and tooltips.
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "USD", maximumFractionDigits: 0 });

function percentFormat(digits: number, signed = false): Intl.NumberFormat {
  return new Intl.NumberFormat(LOCALE, {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: signed ? "exceptZero" : "auto",
  });
}

export function units(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : integer.format(value);
}

export function currency(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : money.format(value);
}

/** A fraction (0-1) as a percent: 0.468 -> "46.8%". */
export function fractionAsPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return "–";
  return percentFormat(digits).format(value);
}

/** A value already in percent: 15 -> "15%". */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return percentFormat(Number.isInteger(value) ? 0 : 1).format(value / 100);
}

/** A signed fraction as a percent with its side: -0.099 -> "-9.9%". */
export function signedFraction(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return percentFormat(1, true).format(value);
}

// The forecast engine's member names in a planner's words, generated from the one list the
// agents' sentences use too (planner_shared.model_labels); the engine's name stays in the
// cell's title for whoever reads docs/forecasting.md.
export function modelLabel(name: string): string {
  const label = MODEL_LABELS[name];
  return label === undefined ? name.replace(/_/g, " ") : label.charAt(0).toUpperCase() + label.slice(1);
}

export function stateLabel(state: string): string {
  return state.replace(/_/g, " ");
}

/** A replenishment strategy as a planner says it. */
export function strategyLabel(strategy: string): string {
  return { none: "no replenishment", weekly: "weekly", bi_weekly: "every two weeks" }[strategy] ?? strategy.replace(/_/g, " ");
}

// ------------------------------------------------------------------ the brief's parameters
/** The parameters as the planner edits them: every share in percent. */
export interface EditableParameters {
  forecast_horizon_weeks: string;
  season_start_date: string;
  replenishment_strategy: string;
  dc_holdback_percentage: string;
  markdown_checkpoint_week: string;
  markdown_threshold_percent: string;
  transfer_strategy: string;
}

export function toEditable(p: SeasonParameters): EditableParameters {
  return {
    forecast_horizon_weeks: String(p.forecast_horizon_weeks),
    season_start_date: p.season_start_date,
    replenishment_strategy: p.replenishment_strategy,
    dc_holdback_percentage: String(p.dc_holdback_percentage),
    // No checkpoint (null): the field stays empty, and an empty field sends null.
    markdown_checkpoint_week: p.markdown_checkpoint_week === null ? "" : String(p.markdown_checkpoint_week),
    markdown_threshold_percent: String(Math.round(p.markdown_threshold * 1000) / 10),
    transfer_strategy: p.transfer_strategy ?? "hybrid",
  };
}

export type ParameterProblems = Partial<Record<keyof EditableParameters, string>>;

function wholeNumber(text: string, low: number, high: number): number | string {
  const value = parseNumber(text).value;
  if (value === null || !Number.isInteger(value)) return "a whole number";
  if (value < low || value > high) return `between ${low} and ${high}`;
  return value;
}

function percentValue(text: string): number | string {
  const value = parseNumber(text).value;
  if (value === null) return "a number of percent";
  if (value < 0 || value > 100) return "between 0 and 100 (percent)";
  if (value > 0 && value < 1) {
    const meant = formatNumber(value * 100, LOCALE, 1);
    return `in percent: ${text.trim()} looks like a fraction, type ${meant} for ${meant}%`;
  }
  return value;
}

/** The parameters to send, or what is wrong with each field. */
export function fromEditable(
  e: EditableParameters,
): { parameters: SeasonParameters; problems: null } | { parameters: null; problems: ParameterProblems } {
  const problems: ParameterProblems = {};
  const horizon = wholeNumber(e.forecast_horizon_weeks, 1, 52);
  if (typeof horizon === "string") problems.forecast_horizon_weeks = `Season length must be ${horizon}.`;
  // An empty checkpoint is a season without markdown (no checkpoint, no pricing step).
  const noMarkdown = e.markdown_checkpoint_week.trim() === "";
  const checkpoint = noMarkdown ? null : wholeNumber(e.markdown_checkpoint_week, 1, 52);
  if (typeof checkpoint === "string")
    problems.markdown_checkpoint_week = `Checkpoint week must be ${checkpoint}, or empty for no markdown this season.`;
  else if (checkpoint !== null && typeof horizon === "number" && checkpoint > horizon)
    problems.markdown_checkpoint_week = `Checkpoint week ${checkpoint} is after the season's ${horizon} weeks.`;
  const holdback = percentValue(e.dc_holdback_percentage);
  if (typeof holdback === "string") problems.dc_holdback_percentage = `DC holdback must be ${holdback}.`;
  const threshold = percentValue(e.markdown_threshold_percent);
  if (typeof threshold === "string") problems.markdown_threshold_percent = `Target sell-through must be ${threshold}.`;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(e.season_start_date) || Number.isNaN(Date.parse(e.season_start_date)))
    problems.season_start_date = "Season start must be a date (YYYY-MM-DD).";
  if (!["none", "weekly", "bi_weekly"].includes(e.replenishment_strategy))
    problems.replenishment_strategy = "Replenishment must be none, weekly or every two weeks.";
  if (!["none", "dc_only", "hybrid"].includes(e.transfer_strategy))
    problems.transfer_strategy = "Transfers must be none, DC releases only, or DC and store-to-store.";
  if (Object.keys(problems).length > 0) return { parameters: null, problems };
  return {
    parameters: {
      forecast_horizon_weeks: horizon as number,
      season_start_date: e.season_start_date,
      replenishment_strategy: e.replenishment_strategy as SeasonParameters["replenishment_strategy"],
      dc_holdback_percentage: holdback as number,
      markdown_checkpoint_week: checkpoint as number | null,
      // The API takes the target as a fraction (0-1).
      markdown_threshold: Math.round((threshold as number) * 10) / 1000,
      transfer_strategy: e.transfer_strategy as SeasonParameters["transfer_strategy"],
    },
    problems: null,
  };
}

// ------------------------------------------------------------------ uploads
export interface CsvPreview {
  header: string[];
  rows: string[][];
}

/** The file as the gateway reads it: comma, semicolon or tab, whichever the header uses. */
export function previewCsv(text: string, maxRows = 500): CsvPreview {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return { header: [], rows: [] };
  const first = lines[0];
  const delimiter = [",", ";", "\t"].reduce((best, d) =>
    first.split(d).length > first.split(best).length ? d : best,
  );
  const split = (line: string) => line.split(delimiter).map((c) => c.trim());
  return { header: split(first), rows: lines.slice(1, maxRows + 1).map(split) };
}

export interface CellError {
  row: number; // as a spreadsheet counts: the header is row 1
  column: string | null;
  message: string;
  value: string | null;
}

/** The gateway's error details, by spreadsheet row (details without a row go under 0). */
export function errorsByRow(details: ErrorDetail[]): Map<number, CellError[]> {
  const rows = new Map<number, CellError[]>();
  for (const d of details) {
    const row = d.row ?? 0;
    const list = rows.get(row) ?? [];
    list.push({ row, column: d.column ?? null, message: d.message, value: d.value ?? null });
    rows.set(row, list);
  }
  return new Map([...rows.entries()].sort((a, b) => a[0] - b[0]));
}

/** Whether the preview's cell (data row index, column name) is one the gateway refused. */
export function cellHasError(errors: Map<number, CellError[]>, dataRowIndex: number, column: string): boolean {
  return (errors.get(dataRowIndex + 2) ?? []).some((e) => e.column === column);
}

// ------------------------------------------------------------------ charts
export interface ChartRow {
  week: number;
  forecast: number | null;
  planned: number | null;
  actual: number | null;
  band80: [number, number] | null;
  band95: [number, number] | null;
  run: number | null;
  sellThrough: number | null;
}

export function chartRows(points: WeekPoint[]): ChartRow[] {
  return points.map((p) => ({
    week: p.week_number,
    forecast: p.forecast_units,
    planned: p.planned_units,
    actual: p.actual_units,
    band80: p.lower_80 !== null && p.upper_80 !== null ? [p.lower_80, p.upper_80] : null,
    band95: p.lower_95 !== null && p.upper_95 !== null ? [p.lower_95, p.upper_95] : null,
    run: p.forecast_run_number,
    sellThrough: p.sell_through_fraction === null ? null : Math.round(p.sell_through_fraction * 1000) / 10,
  }));
}

/** Weeks where a new forecast run takes over: where the run in force changes. */
export function runChanges(points: WeekPoint[]): { week: number; run: number }[] {
  const changes: { week: number; run: number }[] = [];
  let previous: number | null = null;
  for (const p of points) {
    if (p.forecast_run_number !== null && previous !== null && p.forecast_run_number !== previous)
      changes.push({ week: p.week_number, run: p.forecast_run_number });
    if (p.forecast_run_number !== null) previous = p.forecast_run_number;
  }
  return changes;
}

export function seriesByKey(series: Series[], key: string): Series | undefined {
  return series.find((s) => s.key === key);
}

// ------------------------------------------------------------------ the markdown checkpoint
/** The forecast service's sell-through at the checkpoint (event `sell_through.computed`). */
export interface Checkpoint {
  week_number: number;
  sell_through: number;
  target: number;
  below_target: boolean;
}

/** What the checkpoint decided, as the Markdown tab and the report say it. */
export function checkpointLine(c: Checkpoint): string {
  const outcome = c.below_target ? "below the target: markdown proposed" : "no markdown";
  // The sell-through as the Markdown tab's figures write it (one decimal), the target as set.
  return `Checkpoint week ${c.week_number}: ${fractionAsPercent(c.sell_through)} against ${fractionAsPercent(c.target, 0)}, ${outcome}`;
}

/** The newest checkpoint among stored events (`GET /events?type=sell_through.computed`). */
export function latestCheckpoint(page: { events: { envelope: Record<string, unknown> }[] } | null): Checkpoint | null {
  const last = page?.events.at(-1);
  return last ? (last.envelope.payload as Checkpoint) : null;
}

// ------------------------------------------------------------------ chart scales and tooltips
/** A y-axis top that holds every value with a little room, on a round figure. */
export function niceTop(values: (number | null | undefined)[]): number {
  const max = Math.max(0, ...values.filter((v): v is number => typeof v === "number" && Number.isFinite(v)));
  if (max === 0) return 1;
  const padded = max * 1.08;
  const step = 10 ** Math.floor(Math.log10(padded));
  const nice = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10].find((m) => m * step >= padded) ?? 10;
  return nice * step;
}

/** A tooltip's figure as the tables write it; a band as "low – high". */
export function tooltipUnits(value: unknown): string {
  if (Array.isArray(value)) return `${units(Number(value[0]))} – ${units(Number(value[1]))}`;
  return typeof value === "number" ? units(value) : String(value ?? "–");
}
