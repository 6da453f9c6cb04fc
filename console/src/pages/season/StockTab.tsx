import { useMemo, useState } from "react";
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { fractionAsPercent, units } from "../../format";
import { useApi } from "../../hooks";
import {
  type CategoryStock,
  type DcRow,
  type StockAlert,
  type StockView,
  alertTitle,
  bandText,
  filterRows,
  sortedAlerts,
  stockChartRows,
  weeksOfCover,
} from "../../stock";
import type { SeasonContext } from "../SeasonPage";

function Alerts({ alerts }: { alerts: StockAlert[] }) {
  if (alerts.length === 0)
    return (
      <p className="ok card" data-testid="stock-alerts">
        No stock alerts: no store or DC is projected to run out before a delivery can reach it.
      </p>
    );
  return (
    <div className="card stock-alerts" data-testid="stock-alerts">
      <h3>Stock alerts ({alerts.length})</h3>
      {sortedAlerts(alerts).map((a, i) => (
        <div key={i} className={`stock-alert alert-${a.kind}`} data-testid="stock-alert">
          <div>
            <b>{alertTitle(a.kind)}</b> · {a.category_code} · week {a.week_number} · {units(a.units)} units
            {a.stores.length > 0 && (
              <span className="muted small">
                {" "}
                · {a.stores.slice(0, 8).join(", ")}
                {a.stores.length > 8 ? ` and ${a.stores.length - 8} more` : ""}
              </span>
            )}
          </div>
          <div>{a.message}</div>
          <div className="small">
            <b>What to do:</b> {a.action}
          </div>
        </div>
      ))}
    </div>
  );
}

function CategoryChart({ category, dc, weeksIn, horizon }: { category: CategoryStock; dc: DcRow[]; weeksIn: number; horizon: number }) {
  const rows = stockChartRows(category, dc, weeksIn);
  const lost = category.weeks.reduce((s, w) => s + (w.actual ? w.lost_sales : 0), 0);
  return (
    <div className="card" data-testid={`stock-category-${category.category_code}`}>
      <div className="row between">
        <h3>
          {category.category_name} ({category.category_code})
        </h3>
        <span className="small muted">
          {weeksIn === 0 ? "all weeks are the forward plan" : `weeks 1–${weeksIn} as sold, then the forward plan`}
        </span>
      </div>
      <div className="figures">
        <div>
          <span className="label">Sell-through so far</span>
          <span className="big">{fractionAsPercent(category.sell_through_fraction)}</span>
        </div>
        <div>
          <span className="label">Lost sales so far</span>
          <span className="big" data-testid="lost-so-far">{units(lost)}</span>
        </div>
        <div>
          <span className="label">Season lost sales</span>
          {bandText(category.season_lost_sales)}
        </div>
        <div>
          <span className="label">Leftover at the end</span>
          {bandText(category.leftover)}
        </div>
        <div>
          <span className="label">DC empty</span>
          <span className={category.dc_empty_week ? "big warning" : "big"} data-testid="dc-empty-week">
            {category.dc_empty_week ? `week ${category.dc_empty_week}` : "never"}
          </span>
        </div>
      </div>
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={rows} margin={{ left: 8, right: 16, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          <XAxis dataKey="week" type="number" domain={[0, horizon]} ticks={Array.from({ length: horizon + 1 }, (_, i) => i)} />
          <YAxis width={60} />
          <Tooltip />
          <Legend />
          {weeksIn < horizon && (
            <ReferenceArea
              x1={weeksIn}
              x2={horizon}
              fill="#f3f4f6"
              fillOpacity={0.7}
              label={{ value: "forward plan", position: "insideTop", fill: "#6b7280", fontSize: 11 }}
            />
          )}
          <Area dataKey="storeStock" name="store stock" stroke="#0891b2" fill="#cffafe" fillOpacity={0.6} isAnimationActive={false} />
          <Area dataKey="dcBand" name="DC balance, 80% band" stroke="none" fill="#818cf8" fillOpacity={0.3} isAnimationActive={false} />
          <Area dataKey="salesBand" name="sales, 80% band" stroke="none" fill="#fca5a5" fillOpacity={0.35} isAnimationActive={false} />
          <Bar dataKey="sales" name="sales" fill="#15803d" barSize={10} isAnimationActive={false} />
          <Bar dataKey="lostSales" name="lost sales" fill="#dc2626" barSize={10} isAnimationActive={false} />
          <Bar dataKey="shipped" name="shipped from the DC" fill="#d97706" barSize={10} isAnimationActive={false} />
          <Line dataKey="dcActual" name="DC balance" stroke="#4338ca" strokeWidth={2} connectNulls={false} isAnimationActive={false} />
          <Line
            dataKey="dcPlan"
            name="DC balance, planned"
            stroke="#4338ca"
            strokeWidth={2}
            strokeDasharray="6 4"
            dot={false}
            connectNulls={false}
            isAnimationActive={false}
          />
          {category.dc_empty_week && (
            <ReferenceLine
              x={category.dc_empty_week}
              stroke="#b91c1c"
              strokeDasharray="3 3"
              label={{ value: "DC empty", position: "insideTopRight", fill: "#b91c1c", fontSize: 11 }}
            />
          )}
        </ComposedChart>
      </ResponsiveContainer>
      <div className="scroll">
        <table className="table compact" data-testid="stock-weeks">
          <thead>
            <tr>
              <th>Week</th>
              <th></th>
              <th>Store stock</th>
              <th>Received</th>
              <th>Sales</th>
              <th>Lost sales</th>
              <th>Weeks of cover</th>
              <th>Shipped from the DC</th>
              <th>DC balance</th>
              <th>DC short</th>
            </tr>
          </thead>
          <tbody>
            {category.weeks.map((w) => (
              <tr key={w.week_number} className={w.actual ? "" : "muted"}>
                <td>{w.week_number}</td>
                <td className="small">{w.actual ? "sold" : "plan"}</td>
                <td>{units(w.store_closing)}</td>
                <td>{units(w.receipts)}</td>
                <td>{units(w.sales)}</td>
                <td className={w.lost_sales >= 0.5 ? "warning" : ""}>{units(w.lost_sales)}</td>
                <td>{weeksOfCover(w.weeks_of_cover)}</td>
                <td>{units(w.shipped_from_dc)}</td>
                <td>{units(w.dc_closing)}</td>
                <td className={w.dc_shortfall >= 0.5 ? "warning" : ""}>{units(w.dc_shortfall)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function StoreRows({ view }: { view: StockView }) {
  const stores = useMemo(() => [...new Set(view.rows.map((r) => r.store_code))].sort(), [view.rows]);
  const [store, setStore] = useState("");
  const [category, setCategory] = useState("");
  const [week, setWeek] = useState<number | null>(view.weeks_in > 0 ? view.weeks_in : 1);
  const rows = filterRows(view.rows, { store, category, week });
  return (
    <div className="card" data-testid="stock-stores">
      <div className="row between">
        <h3>By store</h3>
        <div className="row gap small">
          <select value={store} onChange={(e) => setStore(e.target.value)} name="stock-store">
            <option value="">every store</option>
            {stores.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <select value={category} onChange={(e) => setCategory(e.target.value)} name="stock-category">
            <option value="">every category</option>
            {view.categories.map((c) => (
              <option key={c.category_code} value={c.category_code}>
                {c.category_code}
              </option>
            ))}
          </select>
          <select
            value={week ?? ""}
            onChange={(e) => setWeek(e.target.value === "" ? null : Number(e.target.value))}
            name="stock-week"
          >
            <option value="">every week</option>
            {Array.from({ length: view.horizon_weeks }, (_, i) => i + 1).map((w) => (
              <option key={w} value={w}>
                week {w}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="muted small">Click a store to see its weeks.</p>
      <div className="scroll">
        <table className="table compact" data-testid="stock-rows">
          <thead>
            <tr>
              <th>Store</th>
              <th>Category</th>
              <th>Week</th>
              <th>Opening</th>
              <th>Received</th>
              <th>Sales</th>
              <th>Lost sales</th>
              <th>Closing</th>
              <th>Weeks of cover</th>
              <th>Shipped to it</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={`${r.store_code}-${r.category_code}-${r.week_number}`}
                className={`clickable ${r.actual ? "" : "muted"}`}
                onClick={() => {
                  setStore(r.store_code);
                  setWeek(null);
                }}
              >
                <td>{r.store_code}</td>
                <td>{r.category_code}</td>
                <td>
                  {r.week_number} <span className="small">{r.actual ? "" : "plan"}</span>
                </td>
                <td>{units(r.opening)}</td>
                <td>{units(r.receipts)}</td>
                <td>{units(r.sales)}</td>
                <td className={r.lost_sales >= 0.5 ? "warning" : ""}>{units(r.lost_sales)}</td>
                <td>{units(r.closing)}</td>
                <td>{weeksOfCover(r.weeks_of_cover)}</td>
                <td>{units(r.shipped)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function StockTab({ season }: { season: SeasonContext }) {
  const { data, error } = useApi<StockView>(`/api/workflows/${season.id}/stock`, season.version);
  if (error?.status === 409) return <p className="muted">No stock yet: the stores hold stock once the order is allocated.</p>;
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <div data-testid="stock">
      <Alerts alerts={data.alerts} />
      <p className="small muted">
        Week {data.weeks_in} of {data.horizon_weeks}, replenishment {data.replenishment_strategy.replace(/_/g, " ")}. Solid
        lines are the weeks as sold; dashed lines and the shaded part are the forward plan from the forecast in force, with
        its 80% band. Weeks of cover: store stock over next week's expected sales.
      </p>
      {data.categories.map((c) => (
        <CategoryChart key={c.category_code} category={c} dc={data.dc} weeksIn={data.weeks_in} horizon={data.horizon_weeks} />
      ))}
      <StoreRows view={data} />
    </div>
  );
}
