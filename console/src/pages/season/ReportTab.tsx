import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { LoadFailed } from "../../feedback";
import { fractionAsPercent, signedFraction, stateLabel, tooltipUnits, units } from "../../format";
import { useApi } from "../../hooks";
import { formatDateTime } from "../../locale";
import { decisionFigure, decisionName, lineChanges } from "../../report";
import type { SeasonReport } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { CheckpointLine, useCheckpoint } from "./MarkdownTab";
import { MoneySection } from "./MoneySection";
import { ReplaySection } from "./ReplaySection";

const HOW: Record<string, string> = {
  accept: "accepted",
  modify: "modified",
  reject: "rejected",
  pending: "waiting for an approver",
  superseded: "superseded by a new proposal",
};

export function ReportTab({ season }: { season: SeasonContext }) {
  const { data, error, reload } = useApi<SeasonReport>(`/api/workflows/${season.id}/report`, season.version);
  const checkpoint = useCheckpoint(season);
  if (!data && error) return <LoadFailed error={error} what="season report" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the season report…</p>;
  const categories = data.categories.filter((c) => c.category_code !== "TOTAL");
  return (
    <div className="card" data-testid="report">
      <div className="row between">
        <h2>
          Season report <span className="muted small">({stateLabel(data.state)}, week {data.weeks_in} of {data.horizon_weeks})</span>
        </h2>
        <a className="button" href={`/api/workflows/${season.id}/report.csv`} download data-testid="export-csv">
          Export CSV
        </a>
      </div>
      <table className="table" data-testid="report-categories">
        <thead>
          <tr>
            <th>Category</th>
            <th>Planned</th>
            <th>Final forecast</th>
            <th>Recommended</th>
            <th>Manufactured</th>
            <th>Sold</th>
            <th>Sell-through</th>
            <th>WAPE</th>
            <th>Bias</th>
          </tr>
        </thead>
        <tbody>
          {data.categories.map((c) => (
            <tr key={c.category_code} className={c.category_code === "TOTAL" ? "total" : ""}>
              <td>{c.category_code === "TOTAL" ? "All categories" : `${c.category_name} (${c.category_code})`}</td>
              <td>{units(c.planned_units)}</td>
              <td>{units(c.final_forecast_units)}</td>
              <td>{units(c.recommended_units)}</td>
              <td>{units(c.manufactured_units)}</td>
              <td>{units(c.actual_units)}</td>
              <td>{fractionAsPercent(c.sell_through_fraction)}</td>
              <td>{fractionAsPercent(c.wape_fraction)}</td>
              <td>{signedFraction(c.bias_fraction)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoneySection money={data.money} />
      <ReplaySection season={season} report={data.replay} />
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={categories} margin={{ left: 8, right: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          <XAxis dataKey="category_code" />
          <YAxis width={60} tickFormatter={(v: number) => units(v)} />
          <Tooltip formatter={(v) => tooltipUnits(v)} />
          <Legend />
          <Bar dataKey="planned_units" name="planned" fill="#9ca3af" isAnimationActive={false} />
          <Bar dataKey="manufactured_units" name="manufactured" fill="#4338ca" isAnimationActive={false} />
          <Bar dataKey="actual_units" name="sold" fill="#dc2626" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <h3>Decisions</h3>
      <table className="table compact" data-testid="report-decisions">
        <thead>
          <tr>
            <th>Decision</th>
            <th>Proposed</th>
            <th>Decided</th>
            <th>How</th>
            <th>By</th>
            <th>When</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {data.decisions.map((d, i) => {
            // An accepted proposal by category decided its lines as proposed.
            const decidedLines =
              Object.keys(d.decided_lines ?? {}).length > 0 ? d.decided_lines : d.action === "accept" ? d.proposed_lines : undefined;
            return (
              <tr key={`${d.kind}-${i}`}>
                <td>{decisionName(d.kind)}</td>
                <td>{decisionFigure(d.proposed_value, d.unit, d.proposed_lines)}</td>
                <td>
                  {d.decided_value === null ? "–" : decisionFigure(d.decided_value, d.unit, decidedLines)}
                  <LineChanges changes={lineChanges(d.proposed_lines, d.decided_lines, d.unit)} />
                </td>
                <td>{HOW[d.action ?? d.status] ?? d.action ?? d.status}</td>
                <td>{d.decided_by ?? "–"}</td>
                <td>{d.decided_at ? formatDateTime(d.decided_at) : "–"}</td>
                <td>{d.reason ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Markdown checkpoint</h3>
      {checkpoint ? (
        <CheckpointLine checkpoint={checkpoint} />
      ) : (
        <p className="muted small" data-testid="checkpoint-none">Not reached.</p>
      )}
      <h3>Forecast runs</h3>
      <ul className="small">
        {data.forecast_runs.map((r) => (
          <li key={r.run_number}>
            run {r.run_number} ({r.reason}
            {r.after_week ? `, after week ${r.after_week}` : ""}): {units(r.season_total)} units
          </li>
        ))}
      </ul>
      {data.weeks_over_threshold.length > 0 && (
        <p className="small">Weeks past the variance threshold: {data.weeks_over_threshold.join(", ")}</p>
      )}
    </div>
  );
}

/** The categories a decision moved off the proposal, each with its change: "OUTW 13,818 (+6,155)". */
function LineChanges({ changes }: { changes: string[] }) {
  if (changes.length === 0) return null;
  return (
    <div className="small muted" data-testid="decided-lines">
      {changes.map((change) => (
        <div key={change}>{change}</div>
      ))}
    </div>
  );
}
