// One way of writing numbers and dates across the console: the browser's locale. Figures are
// shown with its separators and read back with them, so "82,000" (en) or "82.000" (de) typed
// as the page shows it is 82000; dates are written by the same locale, and a week of the year
// is an ISO week.

export const LOCALE: string =
  (typeof navigator !== "undefined" && navigator.language) || "en-US";

export interface Separators {
  group: string;
  decimal: string;
}

export function separators(locale: string = LOCALE): Separators {
  const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
  return {
    group: parts.find((p) => p.type === "group")?.value ?? ",",
    decimal: parts.find((p) => p.type === "decimal")?.value ?? ".",
  };
}

// Spaces a locale may group with (fr: narrow no-break space) or a user may type.
const SPACES = /[\s\u00a0\u202f]/g;

export type Parsed = { value: number; problem: null } | { value: null; problem: string };

/**
 * A number as a person writes it in `locale`: group separators in their places (every three
 * digits), the locale's decimal mark, an optional sign and trailing `%`. A group separator out
 * of place ("12,5" in English) is refused rather than guessed, since it may be a decimal.
 */
export function parseNumber(text: string, locale: string = LOCALE): Parsed {
  const { group, decimal } = separators(locale);
  const example = formatNumber(82000, locale);
  let cleaned = text.trim().replace(/%$/, "").trim();
  if (cleaned === "") return { value: null, problem: `Type a number, as in ${example}.` };
  const groupIsSpace = SPACES.test(group);
  SPACES.lastIndex = 0;
  if (groupIsSpace) cleaned = cleaned.replace(SPACES, " ");
  else cleaned = cleaned.replace(SPACES, "");
  const sign = cleaned.startsWith("-") || cleaned.startsWith("\u2212") ? -1 : 1;
  cleaned = cleaned.replace(/^[-\u2212+]/, "");
  const groupMark = groupIsSpace ? " " : group;
  const [whole, ...rest] = cleaned.split(decimal);
  if (rest.length > 1) return { value: null, problem: `“${text.trim()}” has more than one decimal mark.` };
  const fraction = rest[0] ?? "";
  const groups = whole.split(groupMark);
  const wellGrouped =
    groups.length === 1 || (groups[0].length >= 1 && groups[0].length <= 3 && groups.slice(1).every((g) => g.length === 3));
  if (!/^\d*$/.test(groups.join("")) || !/^\d*$/.test(fraction) || groups.join("") + fraction === "")
    return { value: null, problem: `“${text.trim()}” is not a number; type it as in ${example}.` };
  if (!wellGrouped)
    return {
      value: null,
      problem: `“${text.trim()}” is not a number as written here: thousands are grouped by “${group.trim() || "space"}” and decimals follow “${decimal}”, as in ${formatNumber(1234.5, locale, 1)}.`,
    };
  return { value: sign * Number(`${groups.join("")}.${fraction || "0"}`), problem: null };
}

export interface Bounds {
  min: number;
  max: number;
  unit: "units" | "%";
  whole?: boolean;
  /** What the bounds are, for the reason: "the order's allowed range". */
  range?: string;
}

/** A typed value checked against its bounds, with the reason in the planner's words. */
export function checkAmount(text: string, bounds: Bounds, locale: string = LOCALE): Parsed {
  const parsed = parseNumber(text, locale);
  if (parsed.problem !== null) return parsed;
  const value = parsed.value;
  const range = `${bounds.range ?? "the allowed range"} is ${amount(bounds.min, bounds.unit, locale)} to ${amount(bounds.max, bounds.unit, locale)}`;
  if (bounds.whole && !Number.isInteger(value))
    return { value: null, problem: `A whole number of ${bounds.unit}: ${formatNumber(value, locale, 2)} is not.` };
  if (value < bounds.min) return { value: null, problem: `At least ${amount(bounds.min, bounds.unit, locale)}: ${range}.` };
  if (value > bounds.max) return { value: null, problem: `At most ${amount(bounds.max, bounds.unit, locale)}: ${range}.` };
  return parsed;
}

export function formatNumber(value: number, locale: string = LOCALE, digits = 0): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}

/** A quantity with its unit: "75,845 units", "30%" (percent values, not fractions). */
export function amount(value: number, unit: "units" | "%" | "percent", locale: string = LOCALE): string {
  if (unit === "units") return `${formatNumber(value, locale)} units`;
  return formatPercent(value / 100, locale, 1);
}

/** A fraction (0-1) as a percent of the locale: 0.468 -> "46.8%" (en), "46,8 %" (fr). */
export function formatPercent(fraction: number, locale: string = LOCALE, digits = 1): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: digits }).format(fraction);
}

// ------------------------------------------------------------------ dates
function asDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  // A bare date (2026-03-02) is a calendar day, not midnight somewhere: read and shown in UTC.
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(value);
}

function isDay(value: string | Date): boolean {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
}

// Numeric day, month and year in the locale's order: the form the browser's own date field
// shows, so the season start typed there reads like every other date of the console.
const DAY: Intl.DateTimeFormatOptions = { year: "numeric", month: "2-digit", day: "2-digit" };

export function formatDate(value: string | Date, locale: string = LOCALE): string {
  return new Intl.DateTimeFormat(locale, { ...DAY, timeZone: isDay(value) ? "UTC" : undefined }).format(asDate(value));
}

export function formatDateTime(value: string | Date, locale: string = LOCALE): string {
  return new Intl.DateTimeFormat(locale, { ...DAY, hour: "2-digit", minute: "2-digit" }).format(asDate(value));
}

export function formatTime(value: string | Date, locale: string = LOCALE): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(asDate(value));
}

/** The ISO 8601 week of a day: weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(value: string | Date): { year: number; week: number } {
  const d = asDate(value);
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7)); // the Thursday of its week
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return { year, week };
}

export function isoWeekLabel(value: string | Date): string {
  const { year, week } = isoWeek(value);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Week `n` of a season starting on `start`: its Monday and ISO week, "week 4 (2026-W13)". */
export function seasonWeek(start: string | null | undefined, n: number): string {
  if (!start) return `week ${n}`;
  const monday = asDate(start);
  monday.setUTCDate(monday.getUTCDate() + 7 * (n - 1));
  return `week ${n} (${isoWeekLabel(monday)})`;
}
