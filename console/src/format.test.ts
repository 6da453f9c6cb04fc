import { describe, expect, it } from "vitest";

import { readCookie } from "./api";
import {
  cellHasError,
  chartRows,
  errorsByRow,
  fractionAsPercent,
  fromEditable,
  modelLabel,
  percent,
  previewCsv,
  runChanges,
  signedFraction,
  toEditable,
  units,
} from "./format";
import type { SeasonParameters, WeekPoint } from "./types";

const PARAMETERS: SeasonParameters = {
  forecast_horizon_weeks: 12,
  season_start_date: "2026-03-02",
  replenishment_strategy: "weekly",
  dc_holdback_percentage: 45,
  markdown_checkpoint_week: 6,
  markdown_threshold: 0.6,
  transfer_strategy: "hybrid",
};

describe("units", () => {
  it("formats fractions as percent and percent as percent", () => {
    expect(fractionAsPercent(0.468)).toBe("46.8%");
    expect(percent(15)).toBe("15%");
    expect(signedFraction(0.0991)).toBe("+9.9%");
    expect(signedFraction(-0.0991)).toBe("-9.9%");
    expect(units(75283)).toBe("75,283");
    expect(units(null)).toBe("–");
  });
});

describe("the brief's parameters", () => {
  it("shows the target in percent and sends it as a fraction", () => {
    const editable = toEditable(PARAMETERS);
    expect(editable.markdown_threshold_percent).toBe("60");
    const back = fromEditable({ ...editable, markdown_threshold_percent: "55" });
    expect(back.parameters).toEqual({ ...PARAMETERS, markdown_threshold: 0.55 });
  });

  it("sends an empty checkpoint as null (no markdown this season) and shows null as empty", () => {
    const editable = toEditable({ ...PARAMETERS, markdown_checkpoint_week: null });
    expect(editable.markdown_checkpoint_week).toBe("");
    expect(fromEditable(editable).parameters).toEqual({ ...PARAMETERS, markdown_checkpoint_week: null });
    const typed = fromEditable({ ...editable, markdown_checkpoint_week: "six" });
    expect(typed.problems?.markdown_checkpoint_week).toContain("or empty for no markdown");
  });

  it("refuses a holdback typed as a fraction, and other mistakes, field by field", () => {
    const editable = toEditable(PARAMETERS);
    const result = fromEditable({
      ...editable,
      dc_holdback_percentage: "0.45",
      markdown_checkpoint_week: "14",
      season_start_date: "March",
    });
    expect(result.parameters).toBeNull();
    expect(result.problems?.dc_holdback_percentage).toContain("looks like a fraction");
    expect(result.problems?.markdown_checkpoint_week).toContain("after the season's 12 weeks");
    expect(result.problems?.season_start_date).toContain("YYYY-MM-DD");
    expect(fromEditable({ ...editable, markdown_threshold_percent: "160" }).problems?.markdown_threshold_percent).toContain(
      "between 0 and 100",
    );
  });
});

describe("uploads", () => {
  it("previews any of the three delimiters and places each error on its cell", () => {
    const preview = previewCsv("store_code;category_code;week_number;units_sold\nS001;OUTW;3;12\nS999;KNIT;3;-4\n");
    expect(preview.header).toEqual(["store_code", "category_code", "week_number", "units_sold"]);
    expect(preview.rows[1]).toEqual(["S999", "KNIT", "3", "-4"]);
    const errors = errorsByRow([
      { message: "must not be negative", row: 3, column: "units_sold", value: "-4" },
      { message: "unknown store", row: 3, column: "store_code", value: "S999" },
      { message: "the week is incomplete" },
    ]);
    expect([...errors.keys()]).toEqual([0, 3]);
    expect(cellHasError(errors, 1, "units_sold")).toBe(true);
    expect(cellHasError(errors, 1, "store_code")).toBe(true);
    expect(cellHasError(errors, 0, "units_sold")).toBe(false);
    expect(previewCsv("a\tb\n1\t2").rows).toEqual([["1", "2"]]);
  });
});

describe("charts", () => {
  const point = (week: number, run: number | null, actual: number | null): WeekPoint => ({
    week_number: week,
    week_start: null,
    forecast_units: 100,
    forecast_run_number: run,
    lower_80: 80,
    upper_80: 120,
    lower_95: 70,
    upper_95: 130,
    planned_units: 100,
    actual_units: actual,
    cumulative_actual_units: actual,
    sell_through_fraction: actual === null ? null : 0.2429,
  });

  it("makes rows with bands and marks where a re-forecast takes over", () => {
    const points = [point(1, 1, 90), point(2, 1, 95), point(3, 2, null), point(4, 2, null)];
    const rows = chartRows(points);
    expect(rows[0]).toMatchObject({ week: 1, band80: [80, 120], band95: [70, 130], sellThrough: 24.3 });
    expect(rows[2].actual).toBeNull();
    expect(runChanges(points)).toEqual([{ week: 3, run: 2 }]);
  });
});

describe("cookies", () => {
  it("reads the CSRF cookie", () => {
    expect(readCookie("a=1; planner_csrf=abc%3D; b=2", "planner_csrf")).toBe("abc=");
    expect(readCookie("a=1", "planner_csrf")).toBeNull();
  });
});

describe("modelLabel", () => {
  it("names the engine's members in a planner's words", () => {
    expect(modelLabel("seasonal_naive")).toBe("Same week last year");
    expect(modelLabel("arima_sa")).toBe("ARIMA");
    expect(modelLabel("croston")).toBe("Croston (sparse demand)");
    // The agents' words (planner_shared.model_labels), started with a capital in a cell.
    expect(modelLabel("auto_theta")).toBe("Seasonal theta");
  });

  it("keeps a member it does not know readable", () => {
    expect(modelLabel("new_model")).toBe("new model");
  });
});
