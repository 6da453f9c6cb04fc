import { useState } from "react";
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox, LoadFailed } from "../../feedback";
import {
  type CsvPreview,
  chartRows,
  fractionAsPercent,
  niceTop,
  percent,
  previewCsv,
  runChanges,
  seriesByKey,
  signedFraction,
  tooltipUnits,
  units,
} from "../../format";
import { useApi } from "../../hooks";
import { seasonWeek } from "../../locale";
import { groupFileProblems } from "../../messages";
import type { Markdown, UploadAnswer, WeeklyChart } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { CheckpointLine, useCheckpoint } from "./MarkdownTab";
import { SampleWeekLink } from "./SampleWeekLink";

function Upload({ season }: { season: SeasonContext }) {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [zero, setZero] = useState(false);
  const [plausible, setPlausible] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [answer, setAnswer] = useState<UploadAnswer | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(chosen: File | null) {
    setFile(chosen);
    setError(null);
    setAnswer(null);
    setPreview(chosen ? previewCsv(await chosen.text()) : null);
  }

  async function send() {
    if (!file) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.append("workflow_id", season.id);
    form.append("file", file);
    if (zero) form.append("missing_as_zero", "true");
    if (plausible) form.append("allow_implausible", "true");
    try {
      setAnswer(await api.upload<UploadAnswer>("/api/data/weekly-actuals", form));
      season.refresh();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }

  const groups = groupFileProblems(error?.details ?? []);
  const cells = (row: number | null) => (row !== null && preview ? preview.rows[row - 2] : undefined);
  return (
    <div className="card" data-testid="upload">
      <h3>Upload a week of actuals</h3>
      <p className="muted small">
        CSV with <code>store_code, category_code, week_number, units_sold</code> (comma, semicolon or tab). The whole file
        is checked before anything is stored; the same week again replaces it.
      </p>
      <SampleWeekLink season={season} />
      <div className="row gap">
        <input type="file" accept=".csv,text/csv" name="file" onChange={(e) => void choose(e.target.files?.[0] ?? null)} />
        <label className="inline small">
          <input type="checkbox" checked={zero} onChange={(e) => setZero(e.target.checked)} /> stores left out sold nothing
        </label>
        <label className="inline small">
          <input type="checkbox" checked={plausible} onChange={(e) => setPlausible(e.target.checked)} /> the figures are right
          (allow unusually large quantities)
        </label>
        <button onClick={() => void send()} disabled={!file || busy} data-testid="send-upload">
          Upload
        </button>
      </div>
      {answer && (
        <p className="ok" data-testid="upload-ok">
          Week {answer.week_number} stored: {units(answer.row_count)} rows, {units(answer.units_sold)} units
          {answer.replaced_previous ? " (replacing the earlier upload)" : ""}
          {answer.zero_filled ? `; ${units(answer.zero_filled)} store and category pairs without a row stored as 0` : ""}.
        </p>
      )}
      {error && (
        <div data-testid="upload-error">
          <ErrorBox error={new ApiError(error.status, error.code, error.message)} what="the upload" />
          {groups.map((g) => (
            <div key={g.kind} className="problem-group" data-testid={`problems-${g.kind}`}>
              <h4>
                {g.title} <span className="muted small">({g.problems.length})</span>
              </h4>
              <table className="table compact csv" data-testid="upload-errors">
                <thead>
                  <tr>
                    <th>Row</th>
                    <th>Column</th>
                    {preview?.header.map((h) => <th key={h}>{h}</th>)}
                    <th>Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {g.problems.map((p, n) => (
                    <tr key={n}>
                      <td>{p.row ?? "–"}</td>
                      <td>{p.column ?? "–"}</td>
                      {preview?.header.map((h, c) => (
                        <td
                          key={h}
                          className={p.column?.split(", ").includes(h) ? "bad-cell" : ""}
                          data-column={h}
                        >
                          {cells(p.row)?.[c] ?? ""}
                        </td>
                      ))}
                      <td className="small">{p.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export function InSeasonTab({ season }: { season: SeasonContext }) {
  const { me } = useAuth();
  const { data, error, reload } = useApi<WeeklyChart>(`/api/workflows/${season.id}/charts/weekly`, season.version);
  const { data: markdowns } = useApi<{ markdowns: Markdown[] }>(`/api/workflows/${season.id}/markdowns`, season.version);
  const checkpoint = useCheckpoint(season);
  const [key, setKey] = useState("TOTAL");
  const inSeason = ["in_season", "reforecasting", "awaiting_markdown_approval"].includes(season.overview?.state ?? "");
  if (!data && error) return <LoadFailed error={error} what="season's weeks" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the season's weeks…</p>;
  const series = seriesByKey(data.series, key) ?? data.series[0];
  const rows = series ? chartRows(series.points) : [];
  const changes = series ? runChanges(series.points) : [];
  const threshold = data.variance_threshold_fraction;
  const top = niceTop(rows.flatMap((r) => [r.forecast, r.planned, r.actual, r.band95?.[1], r.band80?.[1]]));
  // A decided markdown applies from the week after its checkpoint.
  const decided = (markdowns?.markdowns ?? []).filter((m) => m.decided_markdown_pct !== null && m.decided_markdown_pct > 0);
  const start = season.workflow?.parameters?.season_start_date;
  const weekLabel = (week: unknown) => seasonWeek(start, Number(week));
  return (
    <div>
      {me?.can_plan && inSeason && <Upload season={season} />}
      <div className="card" data-testid="actual-vs-forecast">
        <div className="row between">
          <h3>Actual against forecast, by week</h3>
          <select value={key} onChange={(e) => setKey(e.target.value)} name="series">
            {data.series.map((s) => (
              <option key={s.key} value={s.key}>
                {s.key === "TOTAL" ? "All categories" : `${s.name} (${s.key})`}
              </option>
            ))}
          </select>
        </div>
        {series && (
          <p className="small">
            Accuracy so far over {series.accuracy.weeks} weeks: WAPE{" "}
            <b data-testid="wape">{fractionAsPercent(series.accuracy.wape_fraction)}</b>, bias{" "}
            <b>{signedFraction(series.accuracy.bias_fraction)}</b> (above 0 the forecast ran high)
          </p>
        )}
        <ResponsiveContainer width="100%" height={300}>
          <ComposedChart data={rows} margin={{ left: 8, right: 16 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis dataKey="week" />
            <YAxis width={60} domain={[0, top]} tickFormatter={(v: number) => units(v)} />
            <Tooltip formatter={(v) => tooltipUnits(v)} labelFormatter={weekLabel} />
            <Legend />
            <Area dataKey="band95" name="95% band" stroke="none" fill="#c7d2fe" fillOpacity={0.5} isAnimationActive={false} />
            <Area dataKey="band80" name="80% band" stroke="none" fill="#818cf8" fillOpacity={0.45} isAnimationActive={false} />
            <Line dataKey="planned" name="initial plan" stroke="#9ca3af" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
            <Line dataKey="forecast" name="forecast in force" stroke="#4338ca" strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line dataKey="actual" name="actual" stroke="#dc2626" strokeWidth={2} isAnimationActive={false} connectNulls={false} />
            {changes.map((c) => (
              <ReferenceLine
                key={c.week}
                x={c.week}
                stroke="#d97706"
                strokeDasharray="3 3"
                label={{ value: `re-forecast run ${c.run}`, position: "insideTopLeft", fill: "#b45309", fontSize: 11 }}
              />
            ))}
            {decided.map((m) => (
              <ReferenceLine
                key={`markdown-${m.week_number}`}
                x={m.week_number + 1}
                stroke="#be123c"
                strokeDasharray="2 2"
                label={{ value: `markdown ${percent(m.decided_markdown_pct)}`, position: "insideBottomLeft", fill: "#be123c", fontSize: 11 }}
              />
            ))}
            {checkpoint && !checkpoint.below_target && (
              <ReferenceLine
                x={checkpoint.week_number}
                stroke="#15803d"
                strokeDasharray="2 2"
                label={{ value: "checkpoint: no markdown", position: "insideBottomLeft", fill: "#15803d", fontSize: 11 }}
              />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <div className="grid2">
        <div className="card" data-testid="variance">
          <h3>Variance against the threshold {threshold !== null ? `(${fractionAsPercent(threshold, 0)})` : ""}</h3>
          <table className="table compact">
            <thead>
              <tr>
                <th>Week</th>
                <th>Total</th>
                <th>Past the threshold</th>
                <th>Re-forecast</th>
              </tr>
            </thead>
            <tbody>
              {data.variance.map((v) => (
                <tr key={v.week_number} className={v.exceeded ? "exceeded" : ""}>
                  <td>{v.week_number}</td>
                  <td>{fractionAsPercent(v.variance_fraction)}</td>
                  <td>
                    {v.exceeded
                      ? v.exceeded_categories.map((c) => `${c} ${fractionAsPercent(v.by_category_fraction[c])}`).join(", ") ||
                        "total"
                      : "no"}
                  </td>
                  <td>{v.reforecast_run_number ? `run ${v.reforecast_run_number}` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Forecast runs</h3>
          <ul className="small" data-testid="runs">
            {data.runs.map((r) => (
              <li key={r.run_number}>
                run {r.run_number} ({r.reason}
                {r.after_week ? `, after week ${r.after_week}` : ""}): {units(r.season_total)} units
              </li>
            ))}
          </ul>
        </div>
        <div className="card" data-testid="sell-through">
          <h3>Sell-through against the target ({fractionAsPercent(data.target_sell_through_fraction, 0)} at week {data.checkpoint_week})</h3>
          <ResponsiveContainer width="100%" height={240}>
            <LineChart data={rows} margin={{ left: 8, right: 16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
              <XAxis dataKey="week" />
              <YAxis width={50} unit="%" domain={[0, 100]} />
              <Tooltip formatter={(v) => percent(Number(v))} labelFormatter={weekLabel} />
              <ReferenceLine
                y={data.target_sell_through_fraction * 100}
                stroke="#15803d"
                strokeDasharray="4 4"
                label={{ value: "target", position: "insideBottomLeft", fill: "#15803d", fontSize: 11 }}
              />
              <ReferenceLine
                x={data.checkpoint_week}
                stroke="#6b7280"
                label={{ value: "checkpoint", position: "insideTopRight", fill: "#6b7280", fontSize: 11 }}
              />
              <Line dataKey="sellThrough" name="sell-through" stroke="#15803d" strokeWidth={2} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
          {checkpoint && <CheckpointLine checkpoint={checkpoint} />}
        </div>
      </div>
    </div>
  );
}
