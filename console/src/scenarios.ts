// Scenarios as the console shows them (docs/scenarios.md): the API's shapes, the levers a form
// makes, and the comparison of up to four scenarios with the live plan, free of React so
// vitest can check it.

export interface Band {
  point: number | null;
  lower_80: number | null;
  upper_80: number | null;
}

export interface ScenarioFigures {
  units_available: number;
  sell_through_fraction: Band;
  units_sold: Band;
  lost_sales: Band;
  leftover_units: Band;
  revenue: Band;
  gross_margin: Band;
  season_margin: Band;
  dc_empty_week: Band;
}

export interface CategoryEvaluation extends ScenarioFigures {
  category_code: string;
  buy: number;
  dc_opening_units: number;
  markdown_percentage: number;
}

export interface Evaluation {
  weeks_in: number;
  before_the_buy: boolean;
  replenishment_strategy: string;
  dc_holdback_percentage: number | null;
  total: ScenarioFigures;
  categories: CategoryEvaluation[];
}

export interface Scenario {
  id: string;
  workflow_id: string;
  name: string;
  levers: Record<string, unknown>;
  weeks_in: number;
  created_by: string;
  created_at: string;
  scenario: Evaluation;
  live: Evaluation;
  differences: { total: Record<string, number | null>; categories: Record<string, Record<string, number | null>> };
  adopted_by: string | null;
  adopted_at: string | null;
}

export interface Adoption {
  scenario_id: string;
  approval_id: string;
  approval_kind: string;
  endpoint: string;
  decision: { action: string; lines?: Record<string, number>; reason?: string };
  not_carried: string[];
  adopted_by: string;
  adopted_at: string;
}

export const MAX_COMPARED = 4;

type Kind = "units" | "fraction" | "money" | "week";
type Better = "higher" | "lower" | "neither";

export const FIGURE_ROWS: { key: keyof ScenarioFigures; label: string; kind: Kind; better: Better }[] = [
  { key: "units_available", label: "Units available", kind: "units", better: "neither" },
  { key: "sell_through_fraction", label: "Sell-through", kind: "fraction", better: "higher" },
  { key: "units_sold", label: "Units sold", kind: "units", better: "higher" },
  { key: "lost_sales", label: "Lost sales", kind: "units", better: "lower" },
  { key: "leftover_units", label: "Leftover", kind: "units", better: "lower" },
  { key: "revenue", label: "Revenue", kind: "money", better: "higher" },
  { key: "gross_margin", label: "Gross margin", kind: "money", better: "higher" },
  { key: "season_margin", label: "Season margin", kind: "money", better: "higher" },
  { key: "dc_empty_week", label: "DC runs out (week)", kind: "week", better: "higher" },
];

function point(value: Band | number): number | null {
  return typeof value === "number" ? value : value.point;
}

export function formatValue(value: number | null, kind: Kind): string {
  if (value === null) return kind === "week" ? "never" : "—";
  if (kind === "fraction") return `${(value * 100).toFixed(1)} %`;
  if (kind === "money") return `$${Math.round(value).toLocaleString("en-US")}`;
  if (kind === "week") return `week ${value}`;
  return Math.round(value).toLocaleString("en-US");
}

export function formatDelta(delta: number, kind: Kind): string {
  const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
  const size = Math.abs(delta);
  if (kind === "fraction") return `${sign}${(size * 100).toFixed(1)} pts`;
  if (kind === "money") return `${sign}$${Math.round(size).toLocaleString("en-US")}`;
  if (kind === "week") return `${sign}${size} wk`;
  return `${sign}${Math.round(size).toLocaleString("en-US")}`;
}

export type Tone = "better" | "worse" | "same";

/** A difference's tone: a DC that never runs out is the best; a change under half a unit (or a
 * tenth of a point of sell-through) is the same. */
export function tone(better: Better, kind: Kind, mine: number | null, live: number | null): Tone {
  if (kind === "week") {
    if (mine === live) return "same";
    const later = mine === null || (live !== null && mine > live);
    return later ? "better" : "worse";
  }
  if (mine === null || live === null || better === "neither") return "same";
  const delta = mine - live;
  if (Math.abs(delta) < (kind === "fraction" ? 0.001 : 0.5)) return "same";
  return (delta > 0) === (better === "higher") ? "better" : "worse";
}

export interface Cell {
  text: string;
  band: string | null;
  delta: string | null;
  tone: Tone;
}

export interface ComparisonRow {
  label: string;
  live: Cell;
  scenarios: Cell[];
}

function bandText(value: Band | number, kind: Kind): string | null {
  if (typeof value === "number" || value.lower_80 === value.upper_80) return null;
  return `${formatValue(value.lower_80, kind)} – ${formatValue(value.upper_80, kind)}`;
}

/** The comparison table: one row per figure, the live plan then each scenario, with the
 * scenario's difference to the live plan and whether it is better or worse. */
export function comparisonRows(live: ScenarioFigures, scenarios: ScenarioFigures[]): ComparisonRow[] {
  return FIGURE_ROWS.map(({ key, label, kind, better }) => {
    const base = point(live[key]);
    return {
      label,
      live: { text: formatValue(base, kind), band: bandText(live[key], kind), delta: null, tone: "same" as Tone },
      scenarios: scenarios.map((s) => {
        const mine = point(s[key]);
        const t = tone(better, kind, mine, base);
        const delta = mine !== null && base !== null && mine !== base ? formatDelta(mine - base, kind) : null;
        return { text: formatValue(mine, kind), band: bandText(s[key], kind), delta, tone: t };
      }),
    };
  });
}

/** Ticking a scenario to compare: at most `MAX_COMPARED`, the oldest ticked dropped first. */
export function toggleCompared(selected: string[], id: string): string[] {
  if (selected.includes(id)) return selected.filter((s) => s !== id);
  return [...selected, id].slice(-MAX_COMPARED);
}

export interface LeverForm {
  holdback: string;
  cadence: string;
  /** The transfer strategy the weeks ahead are played with; "" keeps the season's. */
  transfers?: string;
  buy: Record<string, string>;
  markdown: Record<string, string>;
  demand: Record<string, string>;
}

function numberOf(text: string): number | null {
  const cleaned = text.replace(/[,\s]/g, "");
  if (cleaned === "") return null;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : NaN;
}

/** The levers a form's fields make; blank fields are levers left out (the live plan's). */
export function leversFromForm(form: LeverForm): Record<string, unknown> {
  const levers: Record<string, unknown> = {};
  const holdback = numberOf(form.holdback);
  if (holdback !== null) levers.dc_holdback_percentage = holdback;
  if (form.cadence) levers.replenishment_strategy = form.cadence;
  if (form.transfers) levers.transfer_strategy = form.transfers;
  const pick = <T>(fields: Record<string, string>, make: (n: number) => T): Record<string, T> =>
    Object.fromEntries(
      Object.entries(fields)
        .map(([code, text]) => [code, numberOf(text)] as const)
        .filter((entry): entry is readonly [string, number] => entry[1] !== null)
        .map(([code, n]) => [code, make(n)]),
    );
  const buy = pick(form.buy, (n) => n);
  if (Object.keys(buy).length) levers.buy = buy;
  const markdown = pick(form.markdown, (n) => ({ markdown_percentage: n }));
  if (Object.keys(markdown).length) levers.markdown = markdown;
  const demand = pick(form.demand, (n) => ({ change_percentage: n }));
  if (Object.keys(demand).length) levers.demand_adjustment = demand;
  return levers;
}

/** The adoption kept for the pending approval's form ("from scenario X"), per season. */
export function adoptionKey(workflowId: string): string {
  return `planner.scenario-adoption.${workflowId}`;
}

export interface AdoptedDecision {
  name: string;
  lines: Record<string, number>;
  value: number;
  reason: string;
}

/** The adoption kept for this pending approval, if any: its lines, and the one value today's
 * form takes (the order's total; the deepest markdown). Null for another approval or kind. */
export function adoptedFor(stored: string | null, approvalId: string, kind: string): AdoptedDecision | null {
  if (!stored) return null;
  let kept: Adoption & { name?: string };
  try {
    kept = JSON.parse(stored) as Adoption & { name?: string };
  } catch {
    return null;
  }
  const lines = kept.decision?.lines;
  if (kept.approval_id !== approvalId || kept.approval_kind !== kind || !lines) return null;
  const values = Object.values(lines);
  const value = kind === "manufacturing" ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
  return { name: kept.name ?? "", lines, value, reason: kept.decision.reason ?? "" };
}
