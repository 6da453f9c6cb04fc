import { describe, expect, it } from "vitest";

import { acceptBody, amountLabel, forecastRows, isOverridden, overrideBody, overrideLabel, parseWeeks, weeksLabel, type OverrideForm } from "./overrides";
import type { CategoryForecastChart, ForecastOverride } from "./types";

const FORM: OverrideForm = { scope: "category", code: "OUTW", category_code: "", weeks: "2-4", kind: "percent", amount: "10", reason: "cold spring" };

const OVERRIDE: ForecastOverride = {
  id: "o1", workflow_id: "w1", scope: "category", code: "OUTW", name: "Outerwear", category_code: "OUTW", weeks: [1, 2, 3],
  percent: 10, units: null, reason: "brief: Outerwear up 10 % vs last year", source: "brief",
  created_by: "pat", created_at: "2027-02-20T09:01:00Z", active: true, withdrawn_by: null, withdrawn_at: null, withdrawn_reason: null,
};

function chart(finals: number[]): CategoryForecastChart {
  return {
    category_code: "OUTW", category_name: "Outerwear", run_number: 1, method: "ensemble", season_total: 200, final_season_total: finals.reduce((a, b) => a + b, 0),
    weights: {}, backtest_errors: {}, history: [{ week_start: "2026-02-23", units: 90 }],
    forecast: finals.map((f, i) => ({ week_number: i + 1, week_start: `2026-03-0${2 + i}`, forecast_units: 100, final_units: f, lower_80: 80, upper_80: 120, lower_95: 70, upper_95: 130 })),
  };
}

describe("overrides", () => {
  it("words the weeks and the amount as a planner reads them", () => {
    expect(weeksLabel([4, 2, 3])).toBe("weeks 2-4");
    expect(weeksLabel([3])).toBe("week 3");
    expect(weeksLabel([1, 3, 5])).toBe("weeks 1, 3, 5");
    expect(amountLabel({ percent: -20, units: null })).toBe("-20 %");
    expect(amountLabel({ percent: null, units: 40 })).toBe("+40 units a week");
    expect(overrideLabel(OVERRIDE)).toBe("Outerwear (OUTW) +10 % · weeks 1-3");
    expect(overrideLabel({ ...OVERRIDE, scope: "store", code: "S014", name: "Store 14", category_code: null })).toBe("store Store 14 · every category +10 % · weeks 1-3");
  });

  it("draws the final forecast beside the statistical one", () => {
    const rows = forecastRows(chart([110, 100]));
    expect(rows[0]).toEqual({ date: "2026-02-23", history: 90 });
    expect(rows.slice(1).map((r) => [("forecast" in r && r.forecast) || 0, ("final" in r && r.final) || 0])).toEqual([[100, 110], [100, 100]]);
    expect(isOverridden(chart([110, 100]))).toBe(true);
    expect(isOverridden(chart([100, 100]))).toBe(false);
  });

  it("reads the weeks field and refuses what it cannot read", () => {
    expect(parseWeeks("")).toBeNull();
    expect(parseWeeks("2-4, 7, 3")).toEqual([2, 3, 4, 7]);
    expect(parseWeeks("4-2")).toBe('"4-2" runs backwards');
    expect(parseWeeks("soon")).toContain("is not a week");
  });

  it("builds the request, or says what is missing, before asking the gateway", () => {
    expect(overrideBody(FORM)).toEqual({ scope: "category", code: "OUTW", category_code: null, weeks: [2, 3, 4], percent: 10, units: null, reason: "cold spring", source: "planner" });
    expect(overrideBody({ ...FORM, scope: "store", code: "S014", category_code: "DRES", kind: "units", amount: "-5" })).toMatchObject({ category_code: "DRES", percent: null, units: -5 });
    expect(overrideBody({ ...FORM, amount: "ten" })).toBe("The percentage must be a number.");
    expect(overrideBody({ ...FORM, amount: "Infinity" })).toBe("The percentage must be a number.");
    expect(overrideBody({ ...FORM, reason: " " })).toContain("Say why");
  });

  it("accepts a brief's proposal as an override of its category", () => {
    const body = acceptBody({ category: "outerwear", category_code: "OUTW", percent: 10, weeks: null, reason: "brief: Outerwear up 10 % vs last year", evidence: "Outerwear up 10 % vs last year", confidence: 0.8, note: null });
    expect(body).toEqual({ scope: "category", code: "OUTW", category_code: null, weeks: null, percent: 10, units: null, reason: "brief: Outerwear up 10 % vs last year", source: "brief" });
  });
});
