import { Link, useSearchParams } from "react-router-dom";

import { LoadFailed } from "../feedback";
import { stateLabel } from "../format";
import { useApi } from "../hooks";
import { compareCell, comparePath, differsFromFirst, seasonTitle } from "../seasons";
import type { SeasonComparison } from "../types";

/** Seasons side by side: the report's figures in columns, what differs from the first marked. */
export function Compare() {
  const [params] = useSearchParams();
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  const { data, error, reload } = useApi<SeasonComparison>(ids.length ? comparePath(ids) : null);
  if (error) return <LoadFailed error={error} what="the comparison" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the comparison…</p>;
  return (
    <section>
      <div className="row between">
        <h1>Seasons compared</h1>
        <Link to="/">Back to the seasons</Link>
      </div>
      <table className="table" data-testid="comparison">
        <thead>
          <tr>
            <th />
            {data.seasons.map((s) => (
              <th key={s.workflow_id}>
                <Link to={`/seasons/${s.workflow_id}/report`}>{seasonTitle({ ...s, horizon_weeks: s.horizon_weeks })}</Link>
                <div className="small muted">
                  {stateLabel(s.state)} · week {s.weeks_in} of {s.horizon_weeks}
                  {s.replayed ? " · replay" : ""}
                </div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.rows.map((row) => {
            const differs = differsFromFirst(row.values);
            return (
              <tr key={row.metric}>
                <th>{row.label}</th>
                {row.values.map((v, i) => (
                  <td key={data.seasons[i].workflow_id} className={differs[i] ? "differs" : undefined}>
                    {compareCell(v, row.unit, row.metric)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="small muted">Marked: a figure that differs from the first season's. Replay rows: a past season replayed from the history.</p>
    </section>
  );
}
