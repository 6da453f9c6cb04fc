import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox } from "../../feedback";
import { currency, fractionAsPercent, units } from "../../format";
import { useApi } from "../../hooks";
import { replayProgress } from "../../report";
import type { ReplayRead, ReplayReport } from "../../types";
import type { SeasonContext } from "../SeasonPage";

/** A past season replayed from the history: start it, follow it, and its plan against what
 * happened (labelled as the replay's figures). */
export function ReplaySection({ season, report }: { season: SeasonContext; report: ReplayReport | null | undefined }) {
  const { me } = useAuth();
  const { data: status } = useApi<ReplayRead>(`/api/workflows/${season.id}/replay`, season.version);
  const [decisions, setDecisions] = useState<"automatic" | "approver">("automatic");
  const [error, setError] = useState<ApiError | null>(null);
  async function start() {
    setError(null);
    try {
      await api.post(`/api/workflows/${season.id}/replay`, { weeks: "all", decisions });
      season.refresh();
    } catch (e) {
      setError(e as ApiError);
    }
  }
  // Nothing to show and nothing this user may start (an approver): no empty card.
  if (!status && !report && !me?.can_plan) return null;
  return (
    <div className="card" data-testid="replay">
      <h3>Replay from the history</h3>
      {status ? (
        <p data-testid="replay-status">
          {replayProgress(status)}
        </p>
      ) : (
        me?.can_plan && (
          <div className="row gap">
            <span className="muted">A season inside the sales history can be replayed: its weeks fed as the actuals.</span>
            <select value={decisions} onChange={(e) => setDecisions(e.target.value as "automatic" | "approver")}>
              <option value="automatic">decide automatically</option>
              <option value="approver">wait for the approver</option>
            </select>
            <button onClick={() => void start()} data-testid="start-replay">
              Replay
            </button>
          </div>
        )
      )}
      {error && <ErrorBox error={error} what="the replay" />}
      {report && (
        <>
          <p className="small" data-testid="replay-label">
            {report.label}
          </p>
          <table className="table" data-testid="replay-lines">
            <thead>
              <tr>
                <th>Category</th>
                <th>Planned</th>
                <th>Bought</th>
                <th>Sold in the history</th>
                <th>Sold (replay)</th>
                <th title="Sold in the history, but not by the plan's stock">Not served (replay)</th>
                <th>Served</th>
                <th>Revenue (replay)</th>
                <th>Gross margin (replay)</th>
              </tr>
            </thead>
            <tbody>
              {report.lines.map((l) => (
                <tr key={l.category_code} className={l.category_code === "TOTAL" ? "total" : ""}>
                  <td>{l.category_code === "TOTAL" ? "All categories" : l.category_code}</td>
                  <td>{units(l.planned_units)}</td>
                  <td>{units(l.bought_units)}</td>
                  <td>{units(l.history_units)}</td>
                  <td>{units(l.sold_units)}</td>
                  <td>{units(l.lost_sales_units)}</td>
                  <td>{fractionAsPercent(l.fill_fraction)}</td>
                  <td>{currency(l.revenue)}</td>
                  <td>{currency(l.gross_margin)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
