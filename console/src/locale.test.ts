import { describe, expect, it } from "vitest";

import { amount, checkAmount, formatDate, isoWeek, isoWeekLabel, parseNumber, seasonWeek } from "./locale";

describe("numbers typed as they are shown", () => {
  it("reads thousands separators of the locale", () => {
    expect(parseNumber("82,000", "en-US").value).toBe(82000);
    expect(parseNumber("1,234,567.5", "en-US").value).toBe(1234567.5);
    expect(parseNumber("82000", "en-US").value).toBe(82000);
    expect(parseNumber(" 82,000 ", "en-US").value).toBe(82000);
    expect(parseNumber("82.000", "de-DE").value).toBe(82000);
    expect(parseNumber("12,5", "de-DE").value).toBe(12.5);
    expect(parseNumber("82 000", "fr-FR").value).toBe(82000);
    expect(parseNumber("82\u202f000", "fr-FR").value).toBe(82000);
    expect(parseNumber("30%", "en-US").value).toBe(30);
    expect(parseNumber("-4", "en-US").value).toBe(-4);
  });

  it("refuses what it would have to guess, saying how to write it", () => {
    const misplaced = parseNumber("12,5", "en-US");
    expect(misplaced.value).toBeNull();
    expect(misplaced.problem).toContain("thousands are grouped by “,”");
    expect(parseNumber("82,00", "en-US").value).toBeNull();
    expect(parseNumber("lots", "en-US").problem).toBe("“lots” is not a number; type it as in 82,000.");
    expect(parseNumber("", "en-US").problem).toBe("Type a number, as in 82,000.");
    expect(parseNumber("1.2.3", "en-US").problem).toContain("more than one decimal mark");
  });
});

describe("bounds checked as the value is typed", () => {
  const order = { min: 60000, max: 90000, unit: "units" as const, whole: true, range: "the order's allowed range" };

  it("passes a value inside the bounds", () => {
    expect(checkAmount("82,000", order, "en-US")).toEqual({ value: 82000, problem: null });
  });

  it("names the bound and the range when a value is outside", () => {
    expect(checkAmount("95,000", order, "en-US").problem).toBe(
      "At most 90,000 units: the order's allowed range is 60,000 units to 90,000 units.",
    );
    expect(checkAmount("5", order, "en-US").problem).toBe(
      "At least 60,000 units: the order's allowed range is 60,000 units to 90,000 units.",
    );
  });

  it("wants whole units and percent within the maximum markdown", () => {
    expect(checkAmount("82,000.5", order, "en-US").problem).toBe("A whole number of units: 82,000.5 is not.");
    const markdown = { min: 0, max: 40, unit: "%" as const, range: "the markdown's allowed range" };
    expect(checkAmount("45", markdown, "en-US").problem).toBe("At most 40%: the markdown's allowed range is 0% to 40%.");
    expect(checkAmount("25%", markdown, "en-US").value).toBe(25);
  });
});

describe("one date and number format, from the locale", () => {
  it("writes amounts and dates by the locale", () => {
    expect(amount(75845, "units", "en-US")).toBe("75,845 units");
    expect(amount(75845, "units", "de-DE")).toBe("75.845 units");
    expect(amount(30, "%", "en-US")).toBe("30%");
    expect(formatDate("2026-03-02", "en-US")).toBe("03/02/2026");
    expect(formatDate("2026-03-02", "en-GB")).toBe("02/03/2026");
    expect(formatDate("2026-03-02", "de-DE")).toBe("02.03.2026");
  });

  it("numbers weeks as ISO 8601 does", () => {
    expect(isoWeek("2026-03-02")).toEqual({ year: 2026, week: 10 });
    expect(isoWeek("2021-01-03")).toEqual({ year: 2020, week: 53 }); // a Sunday: the week before
    expect(isoWeek("2024-12-30")).toEqual({ year: 2025, week: 1 });
    expect(isoWeekLabel("2026-03-23")).toBe("2026-W13");
    expect(seasonWeek("2026-03-02", 4)).toBe("week 4 (2026-W13)");
    expect(seasonWeek(null, 4)).toBe("week 4");
  });
});
