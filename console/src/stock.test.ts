import { describe, expect, it } from "vitest";

import {
  type CategoryStock,
  type DcRow,
  type PlanWeek,
  type SeasonMoney,
  type StockAlert,
  type StockRow,
  bandText,
  bestDepth,
  filterRows,
  moneyLines,
  moneyValue,
  nextSampleWeek,
  signedDollars,
  sortedAlerts,
  stockChartRows,
  weeksOfCover,
} from "./stock";

const band = (point: number, lower: number, upper: number) => ({ point, lower_80: lower, upper_80: upper });

function week(n: number, actual: boolean, over: Partial<PlanWeek> = {}): PlanWeek {
  return {
    week_number: n,
    actual,
    store_opening: 0,
    receipts: 0,
    sales: 100,
    lost_sales: 0,
    store_closing: 500,
    weeks_of_cover: 5,
    shipped_from_dc: 100,
    dc_closing: 1000 - 100 * n,
    dc_shortfall: 0,
    sales_band: band(100, 80, 130),
    lost_sales_band: band(0, 0, 10),
    dc_closing_band: band(1000 - 100 * n, 900 - 100 * n, 1050 - 100 * n),
    ...over,
  };
}

const category: CategoryStock = {
  category_code: "OUTW",
  category_name: "Outerwear",
  units_available: 2000,
  units_sold: 200,
  sell_through_fraction: 0.1,
  season_sales: band(1200, 1000, 1400),
  season_lost_sales: band(40, 0, 300),
  leftover: band(800, 600, 1000),
  dc_empty_week: null,
  weeks: [week(1, true, { store_opening: 0, receipts: 600 }), week(2, true), week(3, false), week(4, false)],
};
const dc: DcRow[] = [
  { category_code: "KNIT", week_number: 1, opening: 5, shipped: 0, closing: 5, shortfall: 0 },
  { category_code: "OUTW", week_number: 1, opening: 1000, shipped: 100, closing: 900, shortfall: 0 },
];

describe("stockChartRows", () => {
  it("starts at week 0 with the initial allocation in the stores and the DC's opening balance", () => {
    const rows = stockChartRows(category, dc, 2);
    expect(rows.map((r) => r.week)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({ storeStock: 600, dcActual: 1000, dcPlan: null, sales: null });
  });

  it("splits the DC balance into weeks in and forward plan, joined at the last week in", () => {
    const rows = stockChartRows(category, dc, 2);
    expect(rows.map((r) => r.dcActual)).toEqual([1000, 900, 800, null, null]);
    expect(rows.map((r) => r.dcPlan)).toEqual([null, null, 800, 700, 600]);
    expect(rows[3].dcBand).toEqual([600, 750]);
    expect(rows[2].salesBand).toBeNull();
    expect(rows[3].salesBand).toEqual([80, 130]);
  });

  it("before any week is in, the whole season from week 0 is the plan", () => {
    const rows = stockChartRows({ ...category, weeks: category.weeks.map((w) => ({ ...w, actual: false })) }, dc, 0);
    expect(rows[0].dcPlan).toBe(1000);
    expect(rows.slice(1).every((r) => r.dcActual === null && r.dcPlan !== null)).toBe(true);
  });
});

describe("formatting", () => {
  it("shows bands, weeks of cover, money and signed gains", () => {
    expect(bandText(band(1240.4, 610, 2105))).toBe("1,240 (80 %: 610–2,105)");
    expect(weeksOfCover(4.56)).toBe("4.6 wk");
    expect(weeksOfCover(null)).toBe("–");
    expect(moneyValue("revenue", 5120400.4)).toBe("$5,120,400");
    expect(moneyValue("gmroi", 3.417)).toBe("3.42×");
    expect(moneyValue("season_margin", null)).toBe("–");
    expect(signedDollars(109400)).toBe("+$109,400");
    expect(signedDollars(-25000)).toBe("-$25,000");
    expect(signedDollars(0)).toBe("$0");
  });
});

describe("alerts and store rows", () => {
  const alert = (kind: StockAlert["kind"], week_number: number, code = "OUTW"): StockAlert => ({
    kind,
    category_code: code,
    week_number,
    units: 1,
    stores: [],
    message: "",
    action: "",
  });

  it("puts the DC first, then stores, each soonest first", () => {
    const sorted = sortedAlerts([alert("store_stockout", 3), alert("stock_adjusted", 1), alert("dc_stockout", 7), alert("store_stockout", 2)]);
    expect(sorted.map((a) => `${a.kind}:${a.week_number}`)).toEqual([
      "dc_stockout:7",
      "store_stockout:2",
      "store_stockout:3",
      "stock_adjusted:1",
    ]);
  });

  it("filters rows by store, category and week", () => {
    const row = (store_code: string, category_code: string, week_number: number): StockRow => ({
      store_code,
      category_code,
      week_number,
      actual: true,
      opening: 0,
      receipts: 0,
      replenishment_in: 0,
      adjustments: 0,
      sales: 0,
      lost_sales: 0,
      closing: 0,
      weeks_of_cover: null,
      shipped: 0,
    });
    const rows = [row("S002", "OUTW", 1), row("S001", "OUTW", 2), row("S001", "OUTW", 1), row("S001", "KNIT", 1)];
    expect(filterRows(rows, { store: "S001", category: "", week: null }).map((r) => `${r.category_code}${r.week_number}`)).toEqual([
      "KNIT1",
      "OUTW1",
      "OUTW2",
    ]);
    expect(filterRows(rows, { store: "", category: "OUTW", week: 1 }).map((r) => r.store_code)).toEqual(["S001", "S002"]);
  });
});

describe("money", () => {
  const read = (code: string, revenue: number, margin: number | null) => ({
    category_code: code,
    units_sold: 1,
    lost_sales: 0,
    leftover_units: 0,
    sell_through_fraction: 1,
    revenue,
    cost_of_goods_sold: null,
    gross_margin: margin,
    markdown_cost: 0,
    leftover_value: null,
    season_margin: margin,
    gmroi: null,
  });
  const money: SeasonMoney = {
    weeks_in: 4,
    planned: { total: read("TOTAL", 100, 40), by_category: [read("OUTW", 100, 40)] },
    actual: { total: read("TOTAL", 30, 12), by_category: [] },
    projected: { total: read("TOTAL", 110, 45), by_category: [read("OUTW", 110, 45)] },
    missing: [],
  };

  it("lines up planned, actual and projected by measure, a missing category as null", () => {
    const lines = moneyLines(money);
    expect(lines).toHaveLength(12);
    expect(lines[0]).toEqual({ category: "TOTAL", measure: "revenue", label: "Revenue", planned: 100, actual: 30, projected: 110 });
    const outw = lines.find((l) => l.category === "OUTW" && l.measure === "gross_margin");
    expect(outw).toMatchObject({ planned: 40, actual: null, projected: 45 });
  });

  it("marks the depth best for margin: the API's, else the candidates' highest margin", () => {
    const candidates = [0, 5, 10].map((d) => ({
      markdown_pct: d,
      sell_through_fraction: 0.9,
      revenue: 1,
      season_margin: d === 5 ? 300 : 200,
      leftover_units: 0,
      lost_sales: 0,
    }));
    expect(bestDepth({ markdown_pct: 10, best_for_margin_pct: 10, candidates })).toBe(10);
    expect(bestDepth({ markdown_pct: 10, best_for_margin_pct: null, candidates })).toBe(5);
    expect(bestDepth({ markdown_pct: 10 })).toBeNull();
  });

  it("offers the week after the weeks in, none once the season is in", () => {
    expect(nextSampleWeek(0, 12)).toBe(1);
    expect(nextSampleWeek(4, 12)).toBe(5);
    expect(nextSampleWeek(12, 12)).toBeNull();
  });
});
