import { describe, expect, it } from "vitest";

import { type Band, type ScenarioFigures, adoptedFor, comparisonRows, leversFromForm, toggleCompared, tone } from "./scenarios";

const band = (point: number | null, lower: number | null = point, upper: number | null = point): Band => ({
  point,
  lower_80: lower,
  upper_80: upper,
});

function figures(over: Partial<ScenarioFigures> = {}): ScenarioFigures {
  return {
    units_available: 1000,
    sell_through_fraction: band(0.8, 0.7, 0.9),
    units_sold: band(800, 700, 900),
    lost_sales: band(50, 10, 120),
    leftover_units: band(200, 100, 300),
    revenue: band(40000),
    gross_margin: band(20000),
    season_margin: band(18000),
    dc_empty_week: band(9, 8, null),
    ...over,
  };
}

describe("comparison with the live plan", () => {
  it("marks each difference better or worse by what is good for the season", () => {
    const rows = comparisonRows(figures(), [
      figures({ units_available: 1100, lost_sales: band(20), leftover_units: band(260), dc_empty_week: band(null) }),
    ]);
    const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.scenarios[0]]));
    expect(byLabel["Lost sales"]).toMatchObject({ tone: "better", delta: "−30" });
    expect(byLabel["Leftover"]).toMatchObject({ tone: "worse", delta: "+60" });
    expect(byLabel["Units available"]).toMatchObject({ tone: "same", delta: "+100" });
    expect(byLabel["DC runs out (week)"]).toMatchObject({ tone: "better", text: "never" });
    expect(byLabel["Revenue"]).toMatchObject({ tone: "same", delta: null });
    expect(rows.find((r) => r.label === "Lost sales")?.live.band).toBe("10 – 120");
  });

  it("reads an earlier empty DC as worse and sell-through in points", () => {
    expect(tone("higher", "week", 6, 9)).toBe("worse");
    expect(tone("higher", "week", 9, null)).toBe("worse");
    expect(tone("higher", "fraction", 0.8004, 0.8)).toBe("same");
    const [row] = comparisonRows(figures(), [figures({ sell_through_fraction: band(0.85) })]).filter(
      (r) => r.label === "Sell-through",
    );
    expect(row.scenarios[0]).toMatchObject({ tone: "better", delta: "+5.0 pts", text: "85.0 %" });
  });
});

describe("picking and building scenarios", () => {
  it("compares at most four, dropping the oldest ticked", () => {
    let picked: string[] = [];
    for (const id of ["a", "b", "c", "d", "e"]) picked = toggleCompared(picked, id);
    expect(picked).toEqual(["b", "c", "d", "e"]);
    expect(toggleCompared(picked, "c")).toEqual(["b", "d", "e"]);
  });

  it("makes levers of the filled fields only", () => {
    expect(
      leversFromForm({
        holdback: "30",
        cadence: "bi_weekly",
        buy: { OUTW: "24,155", KNIT: "" },
        markdown: { DRES: "20" },
        demand: { KNIT: "-10" },
      }),
    ).toEqual({
      dc_holdback_percentage: 30,
      replenishment_strategy: "bi_weekly",
      buy: { OUTW: 24155 },
      markdown: { DRES: { markdown_percentage: 20 } },
      demand_adjustment: { KNIT: { change_percentage: -10 } },
    });
    expect(leversFromForm({ holdback: "", cadence: "", buy: {}, markdown: {}, demand: {} })).toEqual({});
    expect(leversFromForm({ holdback: "", cadence: "", transfers: "hybrid", buy: {}, markdown: {}, demand: {} })).toEqual({
      transfer_strategy: "hybrid",
    });
  });
});

describe("the adopted scenario in the approval form", () => {
  const stored = JSON.stringify({
    name: "more outerwear",
    approval_id: "ap-1",
    approval_kind: "manufacturing",
    decision: { action: "modify", lines: { OUTW: 24000, KNIT: 20000 }, reason: "from scenario 'more outerwear'" },
  });

  it("pre-fills the order's total and the reason for its own approval only", () => {
    expect(adoptedFor(stored, "ap-1", "manufacturing")).toEqual({
      name: "more outerwear",
      lines: { OUTW: 24000, KNIT: 20000 },
      value: 44000,
      reason: "from scenario 'more outerwear'",
    });
    expect(adoptedFor(stored, "ap-2", "manufacturing")).toBeNull();
    expect(adoptedFor(stored, "ap-1", "markdown")).toBeNull();
    expect(adoptedFor("not json", "ap-1", "manufacturing")).toBeNull();
  });
});
