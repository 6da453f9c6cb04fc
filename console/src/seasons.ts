// Seasons a person can tell apart: their names, the list's filters, and the comparison.

import { currency, fractionAsPercent, signedFraction, units } from "./format";
import { formatDate } from "./locale";

export const MAX_COMPARED = 6;

export const STATES = [
  "created",
  "extracting",
  "forecasting",
  "awaiting_manufacturing_approval",
  "allocating",
  "in_season",
  "reforecasting",
  "awaiting_markdown_approval",
  "completed",
  "failed",
  "cancelled",
] as const;

export interface Named {
  name?: string | null;
  season_start_date?: string | null;
  horizon_weeks?: number | null;
}

/** What a season is called on screen: its name, else its start and length. */
export function seasonTitle(season: Named): string {
  if (season.name) return season.name;
  const start = season.season_start_date ? formatDate(season.season_start_date) : "no start yet";
  return `${start} · ${season.horizon_weeks ?? "?"} weeks`;
}

export interface SeasonFilter {
  name: string;
  state: string;
}

/** The seasons list's address with its filters; blanks are left out. */
export function seasonsPath(filter: SeasonFilter): string {
  const query = new URLSearchParams();
  if (filter.name.trim()) query.set("name", filter.name.trim());
  if (filter.state) query.set("state", filter.state);
  const text = query.toString();
  return text ? `/api/seasons?${text}` : "/api/seasons";
}

/** Tick or untick a season for comparison; past the maximum the oldest pick gives way. */
export function toggleCompared(picked: string[], id: string): string[] {
  if (picked.includes(id)) return picked.filter((p) => p !== id);
  const next = [...picked, id];
  return next.length > MAX_COMPARED ? next.slice(next.length - MAX_COMPARED) : next;
}

export function comparePath(ids: string[]): string {
  return `/api/seasons/compare?ids=${ids.map(encodeURIComponent).join(",")}`;
}

export type CompareUnit = "units" | "fraction" | "currency" | "ratio";

// Metrics whose sign is the point (a forecast's bias: above or below what sold), written with
// it as the report writes them.
const SIGNED = new Set(["bias_fraction"]);

/** A comparison's cell as the report writes the same figure: "+15.0%" for a bias, "4.39×" for
 * GMROI. */
export function compareCell(value: number | null, unit: CompareUnit, metric = ""): string {
  if (value === null) return "–";
  if (unit === "fraction") return SIGNED.has(metric) ? signedFraction(value) : fractionAsPercent(value);
  if (unit === "currency") return currency(value);
  if (unit === "ratio") return `${value.toFixed(2)}×`;
  return units(value);
}

/** The columns that differ from the first season's by the most, for highlighting. */
export function differsFromFirst(values: (number | null)[]): boolean[] {
  const first = values[0];
  return values.map((v, i) => i > 0 && v !== null && first !== null && first !== undefined && Math.abs(v - first) > 1e-9);
}
