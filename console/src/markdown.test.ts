import { describe, expect, it } from "vitest";

import {
  type MarkdownLine,
  candidateRows,
  decisionBody,
  elasticityText,
  fromProjection,
  projectionQuery,
  readDepth,
  totalMargin,
} from "./markdown";

const figures = (percentage: number, margin: number | null, sold: number) => ({
  percentage,
  units_sold: sold,
  sell_through: sold / 1000,
  leftover_units: 1000 - sold,
  revenue: sold * 79 * (1 - percentage / 100),
  season_margin: margin,
});

const DRES: MarkdownLine = {
  category_code: "DRES",
  percentage: 5,
  rule_percentage: 25,
  max_percentage: 40,
  sell_through: 0.371,
  target: 0.6,
  demand_elasticity: -2.23,
  demand_elasticity_lower: -2.29,
  demand_elasticity_upper: -2.16,
  demand_elasticity_source: "history",
  candidates: [figures(0, 100, 900), figures(5, 120, 1000), figures(10, 90, 1000), figures(25, 40, 1000)],
};
const OUTW: MarkdownLine = {
  ...DRES,
  category_code: "OUTW",
  percentage: 0,
  rule_percentage: 0,
  demand_elasticity_source: "pooled estimate",
  candidates: [figures(0, 300, 1000), figures(5, 280, 1000)],
};

describe("candidate rows", () => {
  it("marks the recommended depth, the rule's, and the margin against no markdown", () => {
    const rows = candidateRows(DRES);
    expect(rows.map((r) => r.percentage)).toEqual([0, 5, 10, 25]);
    expect(rows.filter((r) => r.recommended).map((r) => r.percentage)).toEqual([5]);
    expect(rows.filter((r) => r.rule).map((r) => r.percentage)).toEqual([25]);
    expect(rows.map((r) => r.margin_gain)).toEqual([0, 20, -10, -60]);
    // The recommended depth never earns less than no markdown.
    expect(rows.find((r) => r.recommended)!.margin_gain!).toBeGreaterThanOrEqual(0);
  });

  it("puts a typed depth off the grid among the candidates, in depth order", () => {
    const rows = candidateRows(DRES, 7.5, figures(99, 110, 950));
    expect(rows.map((r) => r.percentage)).toEqual([0, 5, 7.5, 10, 25]);
    expect(rows.find((r) => r.typed)).toMatchObject({ percentage: 7.5, margin_gain: 10 });
    // On the grid, the candidate itself is marked, not added again.
    expect(candidateRows(DRES, 10, figures(10, 1, 1)).filter((r) => r.typed).map((r) => r.season_margin)).toEqual([90]);
  });

  it("has no margin gain when a margin is unknown", () => {
    const unknown = { ...DRES, candidates: [figures(0, null, 900), figures(5, 120, 1000)] };
    expect(candidateRows(unknown).map((r) => r.margin_gain)).toEqual([null, null]);
  });
});

describe("a typed depth", () => {
  it("is read in percent and checked against the cap", () => {
    expect(readDepth("15", DRES)).toEqual({ depth: 15, error: null });
    expect(readDepth(" 12,5 % ", DRES)).toEqual({ depth: 12.5, error: null });
    expect(readDepth("45", DRES).error).toBe("DRES: 45 % is outside 0-40 %");
    expect(readDepth("0.2", DRES).error).toContain("looks like a fraction");
    expect(readDepth("abc", DRES).error).toContain("is not a number");
    expect(readDepth("", DRES).error).toBe("type a depth for DRES");
  });

  it("asks the gateway only for the depths off the grid", () => {
    expect(projectionQuery({ DRES: 10, OUTW: 5 }, [DRES, OUTW])).toBeNull();
    expect(projectionQuery({ DRES: 7.5, OUTW: 5 }, [DRES, OUTW])).toBe("markdown_pct=0&lines=DRES%3A7.5");
  });

  it("reads the gateway's category projection as a candidate", () => {
    const c = fromProjection({
      markdown_pct: 7.5,
      projected_units: 950,
      projected_sell_through_fraction: 0.95,
      projected_leftover_units: 50,
      projected_revenue: 70000,
      projected_season_margin: 110,
    });
    expect(c).toEqual({
      percentage: 7.5,
      units_sold: 950,
      sell_through: 0.95,
      leftover_units: 50,
      revenue: 70000,
      season_margin: 110,
    });
  });
});

describe("the decision", () => {
  it("accepts when every line is as proposed", () => {
    expect(decisionBody("w1", [DRES, OUTW], {}, "")).toEqual({ workflow_id: "w1", action: "accept" });
    expect(decisionBody("w1", [DRES, OUTW], { DRES: 5 }, "")).toEqual({ workflow_id: "w1", action: "accept" });
  });

  it("sends every line when one is changed", () => {
    expect(decisionBody("w1", [DRES, OUTW], { DRES: 10 }, "clear dresses")).toEqual({
      workflow_id: "w1",
      action: "modify",
      lines: { DRES: 10, OUTW: 0 },
      reason: "clear dresses",
    });
  });

  it("sums the season margin of the chosen depths", () => {
    expect(totalMargin([DRES, OUTW], {})).toBe(120 + 300);
    expect(totalMargin([DRES, OUTW], { DRES: 25, OUTW: 5 })).toBe(40 + 280);
    expect(totalMargin([DRES, OUTW], { DRES: 7.5 })).toBeNull();
    expect(totalMargin([DRES, OUTW], { DRES: 7.5 }, { DRES: figures(7.5, 110, 950) })).toBe(110 + 300);
  });
});

describe("the elasticity", () => {
  it("says its interval and where it came from", () => {
    expect(elasticityText(DRES)).toBe("-2.23 (95 % CI -2.29 to -2.16, from the history's prices)");
    expect(elasticityText(OUTW)).toBe("-2.23 (pooled estimate: prices never moved)");
    expect(elasticityText({ ...DRES, demand_elasticity: null })).toBe("unknown");
  });
});
