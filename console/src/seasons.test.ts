import { describe, expect, it } from "vitest";

import {
  MAX_COMPARED,
  compareCell,
  comparePath,
  differsFromFirst,
  seasonTitle,
  seasonsPath,
  toggleCompared,
} from "./seasons";

describe("season names", () => {
  it("shows the name, else the start and length", () => {
    expect(seasonTitle({ name: "Spring 2025 replay", season_start_date: "2025-03-03", horizon_weeks: 12 })).toBe(
      "Spring 2025 replay",
    );
    const unnamed = seasonTitle({ name: null, season_start_date: "2026-03-02", horizon_weeks: 12 });
    expect(unnamed).toContain("12 weeks");
    expect(unnamed).not.toContain("null");
    expect(seasonTitle({})).toBe("no start yet · ? weeks");
  });
});

describe("the list's filters", () => {
  it("puts only what is set in the address", () => {
    expect(seasonsPath({ name: "", state: "" })).toBe("/api/seasons");
    expect(seasonsPath({ name: " spring 25% ", state: "completed" })).toBe(
      "/api/seasons?name=spring+25%25&state=completed",
    );
  });
});

describe("compare", () => {
  it("ticks and unticks, keeping at most the maximum", () => {
    let picked: string[] = [];
    for (let i = 0; i < MAX_COMPARED + 2; i++) picked = toggleCompared(picked, `s${i}`);
    expect(picked).toHaveLength(MAX_COMPARED);
    expect(picked[0]).toBe("s2");
    expect(toggleCompared(picked, "s3")).not.toContain("s3");
    expect(comparePath(["a", "b"])).toBe("/api/seasons/compare?ids=a,b");
  });

  it("writes each row in its unit and marks what differs from the first season", () => {
    expect(compareCell(null, "units")).toBe("–");
    expect(compareCell(0.5, "fraction")).toContain("50");
    expect(compareCell(3.456, "ratio")).toBe("3.46×");
    // A bias with its sign, as the report shows it: +15.0% over, -12.0% under.
    expect(compareCell(0.15, "fraction", "bias_fraction")).toBe("+15.0%");
    expect(compareCell(-0.12, "fraction", "bias_fraction")).toBe("-12.0%");
    expect(compareCell(0.15, "fraction", "wape_fraction")).toBe("15.0%");
    expect(differsFromFirst([10, 10, 12, null])).toEqual([false, false, true, false]);
  });
});
