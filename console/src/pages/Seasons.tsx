import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { useAuth } from "../auth";
import { LoadFailed } from "../feedback";
import { fractionAsPercent, stateLabel } from "../format";
import { useApi } from "../hooks";
import { formatDate, isoWeekLabel } from "../locale";
import { plainWords } from "../messages";
import { STATES, type SeasonFilter, seasonTitle, seasonsPath, toggleCompared } from "../seasons";
import type { SeasonOverview } from "../types";

function Filters({ filter, onChange }: { filter: SeasonFilter; onChange: (f: SeasonFilter) => void }) {
  return (
    <div className="row gap" data-testid="season-filters">
      <label>
        Name{" "}
        <input
          value={filter.name}
          placeholder="e.g. spring"
          data-testid="filter-name"
          onChange={(e) => onChange({ ...filter, name: e.target.value })}
        />
      </label>
      <label>
        State{" "}
        <select value={filter.state} data-testid="filter-state" onChange={(e) => onChange({ ...filter, state: e.target.value })}>
          <option value="">any</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {stateLabel(s)}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export function Seasons() {
  const { me } = useAuth();
  const navigate = useNavigate();
  const [filter, setFilter] = useState<SeasonFilter>({ name: "", state: "" });
  const [picked, setPicked] = useState<string[]>([]);
  const { data, error, reload } = useApi<{ items: SeasonOverview[] }>(seasonsPath(filter));
  if (!data && error) return <LoadFailed error={error} what="seasons" onRetry={reload} />;
  if (!data) return <p className="muted">Loading seasons…</p>;
  const filtered = filter.name.trim() !== "" || filter.state !== "";
  return (
    <section>
      <div className="row between">
        <h1>Seasons</h1>
        <div className="row gap">
          <button
            className="secondary"
            disabled={picked.length < 2}
            data-testid="compare"
            title={picked.length < 2 ? "Tick two or more seasons to compare them" : undefined}
            onClick={() => navigate(`/compare?ids=${picked.join(",")}`)}
          >
            Compare ({picked.length})
          </button>
          {me?.can_plan && (
            <Link className="button" to="/new" data-testid="new-season">
              New season
            </Link>
          )}
        </div>
      </div>
      <Filters filter={filter} onChange={setFilter} />
      {data.items.length === 0 ? (
        <p className="muted">
          {filtered
            ? "No season matches these filters."
            : me?.can_plan
              ? "No season yet. Start one from a brief."
              : "No season yet: a planner starts one."}
        </p>
      ) : (
        <table className="table" data-testid="seasons">
          <thead>
            <tr>
              <th aria-label="compare" />
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
                  <input
                    type="checkbox"
                    aria-label={`compare ${seasonTitle(s)}`}
                    checked={picked.includes(s.workflow_id)}
                    onChange={() => setPicked((p) => toggleCompared(p, s.workflow_id))}
                  />
                </td>
                <td>
                  <Link to={`/seasons/${s.workflow_id}`} data-testid="season-name">
                    {seasonTitle(s)}
                  </Link>
                  <div className="small muted">
                    {s.season_start_date ? `${formatDate(s.season_start_date)} (${isoWeekLabel(s.season_start_date)})` : "—"} ·{" "}
                    {s.horizon_weeks ?? "?"} weeks
                  </div>
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
