// The report's decisions table in a planner's words: each decision named, and a decision made
// by category (the order's lines, the markdown's depths) shown by category, since one figure
// would hide it (a markdown of "0%" for the season while knitwear was marked down 10 %).
// Free of React for vitest.

import { LOCALE, amount, formatNumber } from "./locale";

const NAMES: Record<string, string> = {
  manufacturing: "Manufacturing order",
  markdown: "Markdown",
  transfers: "Transfers",
};

/** A decision's kind as the report names it: "Manufacturing order", "Transfers". */
export function decisionName(kind: string): string {
  const name = NAMES[kind];
  if (name !== undefined) return name;
  const words = kind.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

type Unit = "units" | "percent";

/** One category's figure: "OUTW 13,818" (units) or "KNIT 7.5%" (a depth). */
export function lineFigure(code: string, value: number, unit: Unit, locale: string = LOCALE): string {
  return unit === "percent" ? `${code} ${amount(value, "percent", locale)}` : `${code} ${formatNumber(value, locale)}`;
}

/** The categories a decision moved off the proposal, each with its change: "OUTW 13,818 (+6,155)",
 * "OUTW 7.5% (+7.5 points)". */
export function lineChanges(
  proposed: Record<string, number> | undefined,
  decided: Record<string, number> | undefined,
  unit: Unit,
  locale: string = LOCALE,
): string[] {
  return Object.entries(decided ?? {})
    .filter(([code, value]) => value !== (proposed ?? {})[code])
    .map(([code, value]) => {
      const change = value - ((proposed ?? {})[code] ?? 0);
      const sign = change > 0 ? "+" : change < 0 ? "-" : "";
      const size = formatNumber(Math.abs(change), locale, unit === "percent" ? 1 : 0);
      return `${lineFigure(code, value, unit, locale)} (${sign}${size}${unit === "percent" ? " points" : ""})`;
    });
}

/** What a decision's cell says: a markdown by category lists every category's depth (the one
 * depth for all categories is then not what the stores got); anything else its amount. */
export function decisionFigure(
  value: number,
  unit: Unit,
  lines: Record<string, number> | undefined,
  locale: string = LOCALE,
): string {
  const entries = Object.entries(lines ?? {});
  if (unit === "percent" && entries.length > 0)
    return entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, depth]) => lineFigure(code, depth, unit, locale))
      .join(", ");
  return amount(value, unit, locale);
}

export interface ReplayProgress {
  status: string;
  weeks_done: number;
  weeks_target: number;
  decisions: string;
  message?: string | null;
}

const REPLAY_STATUS: Record<string, string> = {
  running: "Replaying",
  waiting: "Waiting",
  paused: "Paused",
  finished: "Finished",
  failed: "Stopped",
};

/** A replay's progress in a sentence: "Finished: week 3 of 3 fed from the history, decided
 * automatically · the season completed". */
export function replayProgress(r: ReplayProgress, locale: string = LOCALE): string {
  const status = REPLAY_STATUS[r.status] ?? decisionName(r.status);
  const who = r.decisions === "automatic" ? "decided automatically" : "decided by the approver";
  const weeks = `week ${formatNumber(r.weeks_done, locale)} of ${formatNumber(r.weeks_target, locale)} fed from the history`;
  return `${status}: ${weeks}, ${who}${r.message ? ` · ${r.message}` : ""}`;
}
