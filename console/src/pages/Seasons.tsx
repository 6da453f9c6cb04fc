import { Link } from "react-router-dom";

import { useAuth } from "../auth";
import { LoadFailed } from "../feedback";
import { fractionAsPercent, stateLabel } from "../format";
import { useApi } from "../hooks";
import { formatDate, isoWeekLabel } from "../locale";
import { plainWords } from "../messages";
import type { SeasonOverview } from "../types";

export function Seasons() {
  const { me } = useAuth();
  const { data, error, reload } = useApi<{ items: SeasonOverview[] }>("/api/seasons");
  if (!data && error) return <LoadFailed error={error} what="seasons" onRetry={reload} />;
  if (!data) return <p className="muted">Loading seasons…</p>;
  return (
    <section>
      <div className="row between">
        <h1>Seasons</h1>
        {me?.can_plan && (
          <Link className="button" to="/new" data-testid="new-season">
            New season
          </Link>
        )}
      </div>
      {data.items.length === 0 ? (
        <p className="muted">{me?.can_plan ? "No season yet. Start one from a brief." : "No season yet: a planner starts one."}</p>
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
                    {s.season_start_date ? `${formatDate(s.season_start_date)} (${isoWeekLabel(s.season_start_date)})` : "—"} ·{" "}
                    {s.horizon_weeks ?? "?"} weeks
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
                      <b>{s.waiting_for.who}</b>: {plainWords(s.waiting_for.what)}
                    </span>
                  ) : (
                    <span className="muted">{s.error ? plainWords(s.error) : "nobody"}</span>
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
