// The stock ledger and its money as the console shows them (docs/stock.md): the API's shapes,
// and the logic the Stock tab, the report's money section and the markdown's margin use, free
// of React so vitest can check it.

export interface UnitsBand {
  point: number;
  lower_80: number;
  upper_80: number;
}

export interface PlanWeek {
  week_number: number;
  actual: boolean;
  store_opening: number;
  receipts: number;
  sales: number;
  lost_sales: number;
  store_closing: number;
  weeks_of_cover: number | null;
  shipped_from_dc: number;
  dc_closing: number;
  dc_shortfall: number;
  sales_band: UnitsBand;
  lost_sales_band: UnitsBand;
  dc_closing_band: UnitsBand;
}

export interface CategoryStock {
  category_code: string;
  category_name: string;
  units_available: number;
  units_sold: number;
  sell_through_fraction: number | null;
  season_sales: UnitsBand;
  season_lost_sales: UnitsBand;
  leftover: UnitsBand;
  dc_empty_week: number | null;
  weeks: PlanWeek[];
}

export interface StockRow {
  store_code: string;
  category_code: string;
  week_number: number;
  actual: boolean;
  opening: number;
  receipts: number;
  replenishment_in: number;
  adjustments: number;
  sales: number;
  lost_sales: number;
  closing: number;
  weeks_of_cover: number | null;
  shipped: number;
}

export interface DcRow {
  category_code: string;
  week_number: number;
  opening: number;
  shipped: number;
  closing: number;
  shortfall: number;
}

export type AlertKind = "store_stockout" | "dc_stockout" | "sales_beyond_stock" | "stock_adjusted";

export interface StockAlert {
  kind: AlertKind;
  category_code: string;
  week_number: number;
  units: number;
  stores: string[];
  message: string;
  action: string;
}

export interface StockView {
  workflow_id: string;
  horizon_weeks: number;
  weeks_in: number;
  replenishment_strategy: string;
  categories: CategoryStock[];
  rows: StockRow[];
  dc: DcRow[];
  alerts: StockAlert[];
}

export interface MoneyRead {
  category_code: string;
  units_sold: number;
  lost_sales: number;
  leftover_units: number;
  sell_through_fraction: number | null;
  revenue: number;
  cost_of_goods_sold: number | null;
  gross_margin: number | null;
  markdown_cost: number;
  leftover_value: number | null;
  season_margin: number | null;
  gmroi: number | null;
}

export interface MoneyPeriod {
  total: MoneyRead;
  by_category: MoneyRead[];
}

export interface SeasonMoney {
  weeks_in: number;
  planned: MoneyPeriod;
  actual: MoneyPeriod;
  projected: MoneyPeriod;
  missing: string[];
}

export interface MarkdownCandidate {
  markdown_pct: number;
  sell_through_fraction: number | null;
  revenue: number;
  season_margin: number | null;
  leftover_units: number;
  lost_sales: number;
}

export interface MarkdownMargin {
  markdown_pct: number;
  baseline_season_margin?: number | null;
  projected_season_margin?: number | null;
  margin_gain?: number | null;
  best_for_margin_pct?: number | null;
  candidates?: MarkdownCandidate[];
}

// ------------------------------------------------------------------ the stock chart
/** One week of a category's chart: weeks in and the forward plan in separate series. */
export interface StockChartRow {
  week: number;
  storeStock: number;
  sales: number | null;
  lostSales: number | null;
  shipped: number | null;
  /** The DC balance in the weeks in (and at the first plan week, so the lines join). */
  dcActual: number | null;
  /** The DC balance in the forward plan (and at the last week in, so the lines join). */
  dcPlan: number | null;
  dcBand: [number, number] | null;
  salesBand: [number, number] | null;
  weeksOfCover: number | null;
}

/**
 * The category's weeks from week 0: week 0 is the season as allocated, before any sale (the
 * stores hold the initial allocation, the DC what it kept); the DC's opening stock of week 1
 * is its balance then. `weeksIn` weeks are as they happened; the rest is the forward plan.
 */
export function stockChartRows(category: CategoryStock, dc: DcRow[], weeksIn: number): StockChartRow[] {
  const first = category.weeks[0];
  const dcStart = dc.find((d) => d.category_code === category.category_code && d.week_number === 1)?.opening ?? null;
  const startRow: StockChartRow = {
    week: 0,
    storeStock: first ? first.store_opening + first.receipts : 0,
    sales: null,
    lostSales: null,
    shipped: null,
    dcActual: dcStart,
    dcPlan: weeksIn === 0 ? dcStart : null,
    dcBand: weeksIn === 0 && dcStart !== null ? [dcStart, dcStart] : null,
    salesBand: null,
    weeksOfCover: null,
  };
  const rows = category.weeks.map((w): StockChartRow => {
    const inPlan = w.week_number > weeksIn;
    return {
      week: w.week_number,
      storeStock: w.store_closing,
      sales: w.sales,
      lostSales: w.lost_sales,
      shipped: w.shipped_from_dc,
      dcActual: inPlan ? null : w.dc_closing,
      dcPlan: inPlan || w.week_number === weeksIn ? w.dc_closing : null,
      dcBand: inPlan || w.week_number === weeksIn ? [w.dc_closing_band.lower_80, w.dc_closing_band.upper_80] : null,
      salesBand: inPlan ? [w.sales_band.lower_80, w.sales_band.upper_80] : null,
      weeksOfCover: w.weeks_of_cover,
    };
  });
  return [startRow, ...rows];
}

/** A band as "point (lower-upper)" in units, for the category's season figures. */
export function bandText(band: UnitsBand): string {
  const f = (v: number) => Math.round(v).toLocaleString("en-US");
  return `${f(band.point)} (80 %: ${f(band.lower_80)}–${f(band.upper_80)})`;
}

/** Weeks of cover as a planner reads it: "3.2 wk", none expected: "–". */
export function weeksOfCover(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${value.toFixed(1)} wk`;
}

const ALERT_ORDER: Record<AlertKind, number> = {
  dc_stockout: 0,
  store_stockout: 1,
  sales_beyond_stock: 2,
  stock_adjusted: 3,
};

const ALERT_TITLE: Record<AlertKind, string> = {
  dc_stockout: "DC runs out",
  store_stockout: "Stores run out",
  sales_beyond_stock: "Sales beyond stock",
  stock_adjusted: "Stock adjusted",
};

export function alertTitle(kind: AlertKind): string {
  return ALERT_TITLE[kind] ?? kind.replace(/_/g, " ");
}

/** Alerts the most pressing first: the DC, then stores, each by the soonest week. */
export function sortedAlerts(alerts: StockAlert[]): StockAlert[] {
  return [...alerts].sort(
    (a, b) =>
      (ALERT_ORDER[a.kind] ?? 9) - (ALERT_ORDER[b.kind] ?? 9) ||
      a.week_number - b.week_number ||
      a.category_code.localeCompare(b.category_code),
  );
}

/** The store rows for the drill-down table: one store's weeks, or the stores of one week. */
export function filterRows(rows: StockRow[], filter: { store: string; category: string; week: number | null }): StockRow[] {
  return rows
    .filter(
      (r) =>
        (filter.store === "" || r.store_code === filter.store) &&
        (filter.category === "" || r.category_code === filter.category) &&
        (filter.week === null || r.week_number === filter.week),
    )
    .sort(
      (a, b) =>
        a.store_code.localeCompare(b.store_code) ||
        a.category_code.localeCompare(b.category_code) ||
        a.week_number - b.week_number,
    );
}

// ------------------------------------------------------------------ money
export type MoneyMeasure = "revenue" | "gross_margin" | "markdown_cost" | "leftover_value" | "season_margin" | "gmroi";

export const MONEY_MEASURES: { key: MoneyMeasure; label: string }[] = [
  { key: "revenue", label: "Revenue" },
  { key: "gross_margin", label: "Gross margin" },
  { key: "markdown_cost", label: "Markdown cost" },
  { key: "leftover_value", label: "Leftover value" },
  { key: "season_margin", label: "Season margin" },
  { key: "gmroi", label: "GMROI" },
];

export interface MoneyLine {
  category: string;
  measure: MoneyMeasure;
  label: string;
  planned: number | null;
  actual: number | null;
  projected: number | null;
}

/** The money table's lines: every measure of the total, then of each category, planned vs
 * actual vs projected (a category missing from a period reads as null, not 0). */
export function moneyLines(money: SeasonMoney): MoneyLine[] {
  const pick = (period: MoneyPeriod, code: string): MoneyRead | undefined =>
    code === "TOTAL" ? period.total : period.by_category.find((c) => c.category_code === code);
  const codes = ["TOTAL", ...money.projected.by_category.map((c) => c.category_code)];
  return codes.flatMap((code) =>
    MONEY_MEASURES.map(({ key, label }) => ({
      category: code,
      measure: key,
      label,
      planned: pick(money.planned, code)?.[key] ?? null,
      actual: pick(money.actual, code)?.[key] ?? null,
      projected: pick(money.projected, code)?.[key] ?? null,
    })),
  );
}

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

/** A money measure as shown: dollars, GMROI as a ratio ("3.42x"); missing: "–". */
export function moneyValue(measure: MoneyMeasure, value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return measure === "gmroi" ? `${value.toFixed(2)}×` : dollars.format(value);
}

/** A gain in dollars with its sign: 109400 -> "+$109,400", -5 -> "-$5". */
export function signedDollars(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const text = dollars.format(Math.abs(value));
  return value > 0 ? `+${text}` : value < 0 ? `-${text}` : text;
}

/** The candidate depth that earns the most season margin: the API's pick, else the table's. */
export function bestDepth(projection: MarkdownMargin): number | null {
  if (projection.best_for_margin_pct !== null && projection.best_for_margin_pct !== undefined)
    return projection.best_for_margin_pct;
  let best: MarkdownCandidate | null = null;
  for (const c of projection.candidates ?? [])
    if (c.season_margin !== null && (best === null || c.season_margin > (best.season_margin ?? -Infinity))) best = c;
  return best?.markdown_pct ?? null;
}

/** The week whose sample a planner uploads next: the one after the weeks in, within the season. */
export function nextSampleWeek(weeksIn: number, horizon: number | null | undefined): number | null {
  const next = weeksIn + 1;
  return horizon !== null && horizon !== undefined && next > horizon ? null : next;
}
