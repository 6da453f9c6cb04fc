import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { LoadFailed } from "../../feedback";
import { fractionAsPercent, percent, tooltipUnits, units } from "../../format";
import { useApi } from "../../hooks";
import type { AllocationChart, StoreAllocation, StoreDetail } from "../../types";
import type { SeasonContext } from "../SeasonPage";

function StorePanel({ season, code, onClose }: { season: SeasonContext; code: string; onClose: () => void }) {
  const { data, error, reload } = useApi<StoreDetail>(`/api/workflows/${season.id}/stores/${code}`, season.version);
  if (!data && error) return <LoadFailed error={error} what={`store ${code}`} onRetry={reload} />;
  if (!data) return <div className="card">Loading {code}…</div>;
  return (
    <div className="card drill" data-testid="store-detail">
      <div className="row between">
        <h3>
          {data.store_name} ({data.store_code})
        </h3>
        <button className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted small">
        {data.region} · {data.format} · {units(data.size_sqft)} sq ft · {data.cluster_name ?? "no cluster"}
      </p>
      <table className="table compact">
        <thead>
          <tr>
            <th>Category</th>
            <th>Initial</th>
            <th>Replenished (by week)</th>
            <th>Sold (by week)</th>
            <th>Sell-through</th>
          </tr>
        </thead>
        <tbody>
          {data.categories.map((c) => (
            <tr key={c.category_code}>
              <td>{c.category_code}</td>
              <td>{units(c.initial_units)}</td>
              <td className="small">
                {Object.entries(c.replenishment_by_week)
                  .map(([w, u]) => `w${w}: ${units(u)}`)
                  .join(", ") || "–"}
              </td>
              <td className="small">
                {Object.entries(c.actual_by_week)
                  .map(([w, u]) => `w${w}: ${units(u)}`)
                  .join(", ") || "–"}
              </td>
              <td>{fractionAsPercent(c.sell_through_fraction)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AllocationTab({ season }: { season: SeasonContext }) {
  const { data, error, reload } = useApi<AllocationChart>(`/api/workflows/${season.id}/charts/allocation`, season.version);
  const { data: plan } = useApi<{ store_allocations: StoreAllocation[] } | null>(
    `/api/workflows/${season.id}/allocations`,
    season.version,
  );
  const [store, setStore] = useState<string | null>(null);
  if (!data && error) return <LoadFailed error={error} what="allocation" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the allocation…</p>;
  if (data.initial_units === 0) return <p className="muted">Nothing allocated yet: the order must be decided first.</p>;
  const categories = [...new Set(data.clusters.flatMap((c) => Object.keys(c.by_category)))].sort();
  const colours = ["#4338ca", "#0891b2", "#d97706", "#be123c", "#15803d", "#7c3aed"];
  const clusterRows = data.clusters.map((c) => ({ name: c.cluster_name, ...c.by_category, replenishment: c.replenishment_units }));
  return (
    <div>
      <div className="figures card">
        <div>
          <span className="label">Manufactured</span>
          <span className="big">{units(data.manufactured_units)}</span>
        </div>
        <div>
          <span className="label">To stores at the start</span>
          <span className="big">{units(data.initial_units)}</span>
        </div>
        <div>
          <span className="label">Kept at the DC</span>
          <span className="big">{units(data.holdback_units)}</span> ({percent(data.dc_holdback_pct)})
        </div>
      </div>
      <div className="grid2">
        <div className="card">
          <h3>By cluster: initial by category, and replenishment</h3>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={clusterRows} margin={{ left: 8, right: 8 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
              <YAxis width={60} tickFormatter={(v: number) => units(v)} />
              <Tooltip formatter={(v) => tooltipUnits(v)} />
              <Legend />
              {categories.map((c, i) => (
                <Bar key={c} dataKey={c} stackId="initial" fill={colours[i % colours.length]} isAnimationActive={false} />
              ))}
              <Bar dataKey="replenishment" fill="#9ca3af" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div className="card" data-testid="dc-balance">
          <h3>DC balance by week</h3>
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={data.dc_by_week} margin={{ left: 8, right: 8 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
              <XAxis dataKey="week_number" />
              <YAxis width={60} tickFormatter={(v: number) => units(v)} />
              <Tooltip formatter={(v) => tooltipUnits(v)} />
              <Legend />
              <Line dataKey="dc_units" name="left at the DC" stroke="#4338ca" strokeWidth={2} isAnimationActive={false} />
              <Line dataKey="shipped_units" name="shipped to stores" stroke="#d97706" isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
      {store && <StorePanel season={season} code={store} onClose={() => setStore(null)} />}
      <div className="card">
        <h3>By store (click one for its detail)</h3>
        <div className="scroll">
        <table className="table compact" data-testid="stores">
          <thead>
            <tr>
              <th>Store</th>
              <th>Cluster</th>
              <th>Initial</th>
              <th>Replenishment</th>
              <th>Season total</th>
            </tr>
          </thead>
          <tbody>
            {(plan?.store_allocations ?? []).map((s) => (
              <tr key={s.store_id} className="clickable" onClick={() => setStore(s.store_id)}>
                <td>
                  {s.store_id} <span className="muted">{s.store_name}</span>
                </td>
                <td>{s.cluster_name}</td>
                <td>{units(s.initial_allocation)}</td>
                <td>{units(s.replenishment_units)}</td>
                <td>{units(s.total_season_allocation)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </div>
    </div>
  );
}
