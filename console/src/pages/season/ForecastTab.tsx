import { useState } from "react";
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { LoadFailed } from "../../feedback";
import { fractionAsPercent, modelLabel, tooltipUnits, units } from "../../format";
import { useApi } from "../../hooks";
import { formatDate, isoWeekLabel } from "../../locale";
import { forecastRows, isOverridden } from "../../overrides";
import type { CategoryForecastChart, Cluster, ForecastChart } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { OverridesPanel } from "./OverridesPanel";

function CategoryChart({ chart }: { chart: CategoryForecastChart }) {
  // Heaviest first; a model with no weight (scored only) after those with one.
  const models = Object.keys({ ...chart.weights, ...chart.backtest_errors }).sort(
    (a, b) => (chart.weights[b] ?? -1) - (chart.weights[a] ?? -1),
  );
  return (
    <div className="card" data-testid={`forecast-${chart.category_code}`}>
      <div className="row between">
        <h3>
          {chart.category_name} <span className="muted">({chart.category_code})</span>
        </h3>
        <span>
          {units(chart.season_total)} units over the season · {chart.method}
          {isOverridden(chart) && <strong data-testid="final-total"> · final {units(chart.final_season_total)}</strong>}
        </span>
      </div>
      <ResponsiveContainer width="100%" height={240}>
        <ComposedChart data={forecastRows(chart)} margin={{ left: 8, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          <XAxis dataKey="date" minTickGap={40} tickFormatter={(d: string) => isoWeekLabel(d)} />
          <YAxis width={60} tickFormatter={(v: number) => units(v)} />
          <Tooltip formatter={(v) => tooltipUnits(v)} labelFormatter={(d) => `${formatDate(String(d))} (${isoWeekLabel(String(d))})`} />
          <Legend />
          <Area dataKey="band95" name="95% band" stroke="none" fill="#c7d2fe" fillOpacity={0.5} isAnimationActive={false} />
          <Area dataKey="band80" name="80% band" stroke="none" fill="#818cf8" fillOpacity={0.45} isAnimationActive={false} />
          <Line dataKey="history" name="history" stroke="#6b7280" dot={false} isAnimationActive={false} />
          <Line dataKey="forecast" name="statistical forecast" stroke="#4338ca" strokeWidth={2} dot={false} isAnimationActive={false} />
          {isOverridden(chart) && (
            <Line dataKey="final" name="final forecast (overrides)" stroke="#d97706" strokeWidth={2} strokeDasharray="6 3" dot={false} isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
      <table className="table compact">
        <thead>
          <tr>
            <th>Model</th>
            <th>Weight</th>
            <th>Backtest error (WAPE)</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m}>
              <td title={m}>{modelLabel(m)}</td>
              <td>{chart.weights[m] === undefined ? "–" : chart.weights[m].toFixed(2)}</td>
              <td>{fractionAsPercent(chart.backtest_errors[m])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ForecastTab({ season }: { season: SeasonContext }) {
  const [run, setRun] = useState<number | null>(null);
  const path = `/api/workflows/${season.id}/charts/forecast${run ? `?run=${run}` : ""}`;
  const { data, error, reload } = useApi<ForecastChart>(path, season.version);
  const { data: clusters } = useApi<{ clusters: Cluster[] }>(`/api/workflows/${season.id}/clusters`, season.version);
  if (!data && error) return <LoadFailed error={error} what="forecast" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the forecast…</p>;
  const panel = (
    <OverridesPanel
      seasonId={season.id}
      overrides={data.overrides}
      categories={data.categories.map((c) => ({ code: c.category_code, name: c.category_name }))}
      clusters={(clusters?.clusters ?? []).map((c) => c.cluster_name)}
      onChange={() => {
        reload();
        season.refresh();
      }}
    />
  );
  if (data.categories.length === 0)
    return (
      <div>
        <p className="muted">No forecast yet: the forecast service is at work.</p>
        {panel}
      </div>
    );
  return (
    <div>
      <div className="row gap">
        <label className="inline">
          Forecast run{" "}
          <select value={run ?? data.run_number ?? ""} onChange={(e) => setRun(Number(e.target.value))}>
            {data.runs.map((r) => (
              <option key={r.run_number} value={r.run_number}>
                {r.run_number} ({r.reason}{r.after_week ? ` after week ${r.after_week}` : ""})
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="grid2">
        {data.categories.map((c) => (
          <CategoryChart key={c.category_code} chart={c} />
        ))}
      </div>
      {panel}
      <div className="card">
        <h2>Store clusters</h2>
        <div className="grid2">
          {(clusters?.clusters ?? []).map((c) => (
            <div key={c.cluster_id} data-testid="cluster">
              <h3>
                {c.cluster_name} <span className="muted">({c.store_count} stores)</span>
              </h3>
              <p className="small stores">{c.stores.join(", ")}</p>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
