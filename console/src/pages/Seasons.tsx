import { Link } from "react-router-dom";

import { fractionAsPercent, stateLabel } from "../format";
import { useApi } from "../hooks";
import type { SeasonOverview } from "../types";

export function Seasons() {
  const { data, error } = useApi<{ items: SeasonOverview[] }>("/api/seasons");
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return <p className="muted">Loading seasons…</p>;
  return (
    <section>
      <div className="row between">
        <h1>Seasons</h1>
        <Link className="button" to="/new">
          New season
        </Link>
      </div>
      {data.items.length === 0 ? (
        <p className="muted">No season yet. Start one from a brief.</p>
      ) : (
        <table className="table" data-testid="seasons">
          <thead>
            <tr>
              <th>Season</th>
              <th>State</th>
              <th>Progress</th>
              <th>Pre-season planning</th>
              <th>Waiting for</th>
              <th>By</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((s) => (
              <tr key={s.workflow_id}>
                <td>
                  <Link to={`/seasons/${s.workflow_id}`}>
                    {s.season_start_date ?? "—"} · {s.horizon_weeks ?? "?"} weeks
                  </Link>
                </td>
                <td>
                  <span className={`pill ${s.phase}`}>{stateLabel(s.state)}</span>
                </td>
                <td>
                  <div className="progress" title={fractionAsPercent(s.progress_fraction)}>
                    <div style={{ width: `${s.progress_fraction * 100}%` }} />
                  </div>
                  <span className="small muted">
                    week {s.weeks_in} of {s.horizon_weeks ?? "?"}
                  </span>
                </td>
                <td>{s.pre_season_planning_done ? "done" : "in progress"}</td>
                <td>
                  {s.waiting_for ? (
                    <span className={`who-${s.waiting_for.who}`}>
                      <b>{s.waiting_for.who}</b>: {s.waiting_for.what}
                    </span>
                  ) : (
                    <span className="muted">{s.error ?? "nobody"}</span>
                  )}
                </td>
                <td>{s.created_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
