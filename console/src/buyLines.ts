// The manufacturing order by category: each line typed in the browser's locale, checked against
// its own bounds, the total following the lines (and checked against the order's range), and
// the service level a typed quantity implies from the season demand the forecast gave
// (normal, mean forecast_units, sigma demand_sigma): P(demand <= quantity + stock on hand).

import { checkAmount } from "./locale";

export interface BuyLine {
  category_code: string;
  forecast_units: number;
  stock_on_hand: number;
  quantity: number;
  min_quantity?: number | null;
  max_quantity?: number | null;
  critical_ratio?: number | null;
  service_level?: number | null;
  expected_margin?: number | null;
  rule_quantity?: number | null;
  demand_sigma?: number | null;
}

export interface LineCheck {
  code: string;
  proposed: number;
  min: number;
  max: number;
  value: number | null; // the typed quantity once it is a whole number within the bounds
  problem: string | null;
  serviceLevel: number | null;
}

export interface LinesCheck {
  lines: LineCheck[];
  total: number | null; // null while a line has a problem
  totalProblem: string | null;
  changed: Record<string, number>; // what a decision sends: the lines that differ
}

/** The standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The chance the season's demand is no more than what the line holds (order + on hand). */
export function serviceLevel(line: BuyLine, quantity: number): number | null {
  if (line.demand_sigma == null) return null;
  const held = quantity + line.stock_on_hand;
  if (line.demand_sigma <= 0) return held >= line.forecast_units ? 1 : 0;
  return normalCdf((held - line.forecast_units) / line.demand_sigma);
}

export function checkLines(
  lines: BuyLine[],
  texts: Record<string, string>,
  orderMin: number,
  orderMax: number,
  locale?: string,
): LinesCheck {
  const checked: LineCheck[] = lines.map((line) => {
    const min = line.min_quantity ?? 0;
    const max = line.max_quantity ?? orderMax;
    const text = texts[line.category_code];
    const parsed =
      text === undefined
        ? { value: line.quantity, problem: null }
        : checkAmount(text, { min, max, unit: "units", whole: true, range: `the ${line.category_code} line's range` }, locale);
    return {
      code: line.category_code,
      proposed: line.quantity,
      min,
      max,
      value: parsed.value,
      problem: parsed.problem,
      serviceLevel: parsed.value === null ? null : serviceLevel(line, parsed.value),
    };
  });
  const values = checked.map((c) => c.value);
  const total = values.every((v) => v !== null) ? values.reduce<number>((sum, v) => sum + (v ?? 0), 0) : null;
  let totalProblem: string | null = null;
  if (total !== null && (total < orderMin || total > orderMax))
    totalProblem = `The lines add up to ${total.toLocaleString(locale)} units: the order's range is ${orderMin.toLocaleString(locale)} to ${orderMax.toLocaleString(locale)}.`;
  const changed: Record<string, number> = {};
  for (const c of checked) if (c.value !== null && c.value !== c.proposed) changed[c.code] = c.value;
  return { lines: checked, total, totalProblem, changed };
}
