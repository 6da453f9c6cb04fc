// The markdown by category (docs/markdown.md) as the Markdown tab shows it: each category's
// candidate depths side by side, the one best for margin and the rule's marked, a depth typed by
// the approver recomputed at once, and the decision the lines make. Free of React for vitest.

export interface MarkdownCandidateFigures {
  percentage: number;
  units_sold: number;
  sell_through: number | null;
  leftover_units: number;
  revenue: number;
  season_margin: number | null;
}

export interface MarkdownLine {
  category_code: string;
  percentage: number;
  rule_percentage: number;
  max_percentage: number;
  sell_through: number | null;
  target: number;
  markdown_points_per_gap_point?: number | null;
  demand_elasticity?: number | null;
  demand_elasticity_lower?: number | null;
  demand_elasticity_upper?: number | null;
  demand_elasticity_source?: string | null;
  candidates: MarkdownCandidateFigures[];
}

export interface CandidateRow extends MarkdownCandidateFigures {
  recommended: boolean;
  rule: boolean;
  typed: boolean;
  /** Season margin against no markdown; null when a margin is unknown. */
  margin_gain: number | null;
}

const EPS = 1e-9;
const same = (a: number, b: number) => Math.abs(a - b) < EPS;

/** The candidate at exactly this depth, if the proposal projected it. */
export function candidateAt(line: MarkdownLine, depth: number): MarkdownCandidateFigures | null {
  return line.candidates.find((c) => same(c.percentage, depth)) ?? null;
}

/** Every candidate depth of one category as a table row, the typed depth among them (in depth
 * order) when it is off the 5 % grid and its projection is known. */
export function candidateRows(
  line: MarkdownLine,
  typed: number | null = null,
  typedFigures: MarkdownCandidateFigures | null = null,
): CandidateRow[] {
  const base = candidateAt(line, 0)?.season_margin ?? null;
  const figures = [...line.candidates];
  if (typed !== null && typedFigures !== null && candidateAt(line, typed) === null)
    figures.push({ ...typedFigures, percentage: typed });
  figures.sort((a, b) => a.percentage - b.percentage);
  return figures.map((c) => ({
    ...c,
    recommended: same(c.percentage, line.percentage),
    rule: same(c.percentage, line.rule_percentage),
    typed: typed !== null && same(c.percentage, typed),
    margin_gain: c.season_margin === null || base === null ? null : c.season_margin - base,
  }));
}

export type TypedDepth = { depth: number; error: null } | { depth: null; error: string };

/** A depth typed in percent ("15", "12,5"), checked against 0 and the category's cap. */
export function readDepth(text: string, line: MarkdownLine): TypedDepth {
  const cleaned = text.trim().replace(/%$/, "").trim().replace(",", ".");
  if (cleaned === "") return { depth: null, error: `type a depth for ${line.category_code}` };
  const depth = Number(cleaned);
  if (!Number.isFinite(depth)) return { depth: null, error: `${line.category_code}: “${text}” is not a number` };
  if (depth < 0 || depth > line.max_percentage)
    return { depth: null, error: `${line.category_code}: ${depth} % is outside 0-${line.max_percentage} %` };
  if (depth > 0 && depth < 1)
    return { depth: null, error: `${line.category_code}: ${depth} looks like a fraction; type ${depth * 100} for ${depth * 100} %` };
  return { depth, error: null };
}

/** Projection query for the depths that are off the grid (the gateway projects them). */
export function projectionQuery(depths: Record<string, number>, lines: MarkdownLine[]): string | null {
  const off = lines
    .filter((l) => l.category_code in depths && candidateAt(l, depths[l.category_code]) === null)
    .map((l) => `${l.category_code}:${depths[l.category_code]}`);
  return off.length ? `markdown_pct=0&lines=${encodeURIComponent(off.join(","))}` : null;
}

/** The category figures of a gateway projection as a candidate's. */
export function fromProjection(c: {
  projected_units: number;
  projected_sell_through_fraction: number;
  projected_leftover_units?: number | null;
  projected_revenue: number;
  projected_season_margin?: number | null;
  markdown_pct?: number | null;
}): MarkdownCandidateFigures {
  return {
    percentage: c.markdown_pct ?? 0,
    units_sold: c.projected_units,
    sell_through: c.projected_sell_through_fraction,
    leftover_units: c.projected_leftover_units ?? 0,
    revenue: c.projected_revenue,
    season_margin: c.projected_season_margin ?? null,
  };
}

/** Sum of the season margin at each category's chosen depth; null when one is unknown. */
export function totalMargin(
  lines: MarkdownLine[],
  depths: Record<string, number>,
  typed: Record<string, MarkdownCandidateFigures> = {},
): number | null {
  let total = 0;
  for (const line of lines) {
    const depth = depths[line.category_code] ?? line.percentage;
    const figures = candidateAt(line, depth) ?? typed[line.category_code] ?? null;
    if (figures === null || figures.season_margin === null) return null;
    total += figures.season_margin;
  }
  return total;
}

export type MarkdownDecisionBody =
  | { workflow_id: string; action: "accept" }
  | { workflow_id: string; action: "modify"; lines: Record<string, number>; reason: string };

/** The decision the chosen depths make: accept when every line is as proposed, else the lines. */
export function decisionBody(
  workflowId: string,
  lines: MarkdownLine[],
  depths: Record<string, number>,
  reason: string,
): MarkdownDecisionBody {
  const chosen: Record<string, number> = {};
  let changed = false;
  for (const line of lines) {
    const depth = depths[line.category_code] ?? line.percentage;
    chosen[line.category_code] = depth;
    changed ||= !same(depth, line.percentage);
  }
  if (!changed) return { workflow_id: workflowId, action: "accept" };
  return { workflow_id: workflowId, action: "modify", lines: chosen, reason };
}

/** "-1.80 (95 % CI -1.88 to -1.72, history)" or "-1.90 (pooled estimate: prices never moved)". */
export function elasticityText(line: MarkdownLine): string {
  const e = line.demand_elasticity;
  if (e === null || e === undefined) return "unknown";
  const source = line.demand_elasticity_source ?? "unknown source";
  if (line.demand_elasticity_lower != null && line.demand_elasticity_upper != null && source === "history")
    return `${e.toFixed(2)} (95 % CI ${line.demand_elasticity_lower.toFixed(2)} to ${line.demand_elasticity_upper.toFixed(2)}, from the history's prices)`;
  return `${e.toFixed(2)} (${source}: prices never moved)`;
}
