import { describe, expect, it } from "vitest";

import { type BuyLine, checkLines, normalCdf, serviceLevel } from "./buyLines";

// The sample's newsvendor lines (scripts/buy_example.py), the order's range +/- 20 %.
const line = (code: string, quantity: number, forecast: number, onHand: number, sigma: number, slack: number): BuyLine => ({
  category_code: code,
  forecast_units: forecast,
  stock_on_hand: onHand,
  quantity,
  min_quantity: Math.max(quantity - slack, 0),
  max_quantity: quantity + slack,
  demand_sigma: sigma,
});
const SLACK = 14358;
const LINES = [
  line("ACCS", 23864, 29245, 7080, 1757, SLACK),
  line("DRES", 31403, 31317, 1340, 1866, SLACK),
  line("KNIT", 8863, 9464, 1120, 667, SLACK),
  line("OUTW", 7662, 8435, 1270, 743, SLACK),
];
const TOTAL = 71792;

describe("the order by line", () => {
  it("takes the proposal when nothing is typed", () => {
    const check = checkLines(LINES, {}, TOTAL - SLACK, TOTAL + SLACK, "en");
    expect(check.total).toBe(TOTAL);
    expect(check.changed).toEqual({});
    expect(check.totalProblem).toBeNull();
  });

  it("moves the total with a line and sends only that line", () => {
    const check = checkLines(LINES, { OUTW: "13,817" }, TOTAL - SLACK, TOTAL + SLACK, "en");
    expect(check.total).toBe(TOTAL + 6155);
    expect(check.changed).toEqual({ OUTW: 13817 });
    const outw = check.lines.find((l) => l.code === "OUTW");
    expect(outw?.serviceLevel).toBeGreaterThan(0.999);
  });

  it("names the line out of its bounds and gives no total", () => {
    const check = checkLines(LINES, { KNIT: "30000", DRES: "12.5" }, TOTAL - SLACK, TOTAL + SLACK, "en");
    expect(check.total).toBeNull();
    expect(check.lines.find((l) => l.code === "KNIT")?.problem).toContain("the KNIT line's range");
    expect(check.lines.find((l) => l.code === "DRES")?.problem).toContain("whole number");
  });

  it("checks the total against the order's range", () => {
    const check = checkLines(LINES, { OUTW: "20000", KNIT: "20000" }, TOTAL - SLACK, TOTAL + SLACK, "en");
    expect(check.total).toBe(TOTAL - 7662 - 8863 + 40000);
    expect(check.totalProblem).toContain("The lines add up to");
  });
});

describe("the implied service level", () => {
  it("matches the normal distribution", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.281552)).toBeCloseTo(0.1, 6);
  });

  it("is the critical ratio at the newsvendor quantity", () => {
    // Outerwear: ratio (189 - 76) / (189 - 38) = 0.748; the order 7,663 plus 1,270 on hand.
    expect(serviceLevel(LINES[3], 7662)).toBeCloseTo(0.748, 3);
    expect(serviceLevel({ ...LINES[3], demand_sigma: null }, 7662)).toBeNull();
  });
});
