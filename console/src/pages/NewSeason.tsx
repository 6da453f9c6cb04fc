import { useState } from "react";
import { useNavigate } from "react-router-dom";

import { ApiError, api } from "../api";
import { useAuth } from "../auth";
import { ErrorBox } from "../feedback";
import { type EditableParameters, type ParameterProblems, fromEditable, toEditable } from "../format";
import { formatDate, isoWeekLabel } from "../locale";
import { plainWords } from "../messages";
import { acceptBody, amountLabel, weeksLabel } from "../overrides";
import type { Extraction } from "../types";

const EXAMPLE =
  "Plan the 12-week spring season starting March 2 2026, replenish weekly, keep 45% at the DC, " +
  "check markdowns at week 6 if sell-through is under 60%";

const FIELDS: { key: keyof EditableParameters; source: string; label: string; unit?: string }[] = [
  { key: "forecast_horizon_weeks", source: "forecast_horizon_weeks", label: "Season length", unit: "weeks" },
  { key: "season_start_date", source: "season_start_date", label: "Season start" },
  { key: "replenishment_strategy", source: "replenishment_strategy", label: "Replenishment" },
  { key: "dc_holdback_percentage", source: "dc_holdback_percentage", label: "Kept at the DC", unit: "%" },
  {
    key: "markdown_checkpoint_week",
    source: "markdown_checkpoint_week",
    label: "Markdown checkpoint (empty: no markdown)",
    unit: "week",
  },
  { key: "markdown_threshold_percent", source: "markdown_threshold", label: "Target sell-through at the checkpoint", unit: "%" },
  { key: "transfer_strategy", source: "transfer_strategy", label: "Transfers" },
];

const CHOICES: Partial<Record<keyof EditableParameters, [string, string][]>> = {
  replenishment_strategy: [
    ["none", "none"],
    ["weekly", "weekly"],
    ["bi_weekly", "every two weeks"],
  ],
  transfer_strategy: [
    ["hybrid", "DC releases and store-to-store"],
    ["dc_only", "DC releases only"],
    ["none", "none"],
  ],
};

// The API's names for the brief's fields -> this screen's labels, for the gateway's refusals.
const CONTROLS: Record<string, string> = {
  brief: "The brief",
  ...Object.fromEntries(FIELDS.map((f) => [f.source, f.label.replace(/ \(.*\)$/, "")])),
  markdown_threshold_percent: "Target sell-through at the checkpoint",
};

export function NewSeason() {
  const { me } = useAuth();
  const navigate = useNavigate();
  const [brief, setBrief] = useState(EXAMPLE);
  const [extraction, setExtraction] = useState<Extraction | null>(null);
  const [values, setValues] = useState<EditableParameters | null>(null);
  const [problems, setProblems] = useState<ParameterProblems>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState("");
  // The brief's proposed overrides the planner accepts (by index): created with the season.
  const [accepted, setAccepted] = useState<Set<number>>(new Set());

  if (!me?.can_plan)
    return (
      <p className="error" data-testid="needs-planner">
        Starting a season needs the planner role.
      </p>
    );

  async function read() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<Extraction>("/api/parameters/extract", { brief });
      setExtraction(answer);
      setName(answer.season_name ?? "");
      setValues(toEditable(answer.parameters));
      setProblems({});
      setAccepted(new Set());
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  async function start() {
    if (!values) return;
    const checked = fromEditable(values);
    if (checked.problems) {
      setProblems(checked.problems);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Stored with the season, the accepted overrides are in run 1's order proposal (docs/overrides.md).
      const created = await api.post<{ workflow_id: string }>("/api/workflows/forecast", {
        brief,
        parameters: checked.parameters,
        ...(name.trim() ? { name: name.trim() } : {}),
        forecast_overrides: [...accepted].sort().map((i) => acceptBody(extraction!.proposed_overrides[i])),
      });
      navigate(`/seasons/${created.workflow_id}`);
    } catch (e) {
      setError(e as ApiError);
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <h1>New season</h1>
      <label>
        The brief
        <textarea name="brief" rows={4} value={brief} onChange={(e) => setBrief(e.target.value)} />
      </label>
      <button onClick={() => void read()} disabled={busy || brief.trim() === ""}>
        Read the brief
      </button>
      {error && <ErrorBox error={error} what={extraction ? "the new season" : "the brief"} controls={CONTROLS} />}
      {extraction && values && (
        <div className="card" data-testid="parameters">
          <div className="row between">
            <h2>Parameters</h2>
            <span className="muted small">
              read by the {extraction.extractor === "llm" ? "language model" : "offline parser"} · confidence{" "}
              {Math.round(extraction.confidence * 100)}% ({extraction.confidence_level})
            </span>
          </div>
          <label className="row gap">
            Name{" "}
            <input
              value={name}
              maxLength={120}
              data-testid="season-name-input"
              placeholder="e.g. Spring 2026 womenswear (empty: the season its start falls in)"
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          {extraction.issues.filter((i) => !i.field).map((i, n) => (
            <p key={n} className="warning">
              {plainWords(i.message)}
            </p>
          ))}
          <table className="table params">
            <thead>
              <tr>
                <th>Parameter</th>
                <th>Value (edit before starting)</th>
                <th>Confidence</th>
                <th>Source</th>
                <th>Issues</th>
              </tr>
            </thead>
            <tbody>
              {FIELDS.map((f) => {
                const field = extraction.fields[f.source];
                const issues = extraction.issues.filter((i) => i.field === f.source);
                return (
                  <tr key={f.key} className={issues.length || problems[f.key] ? "has-issue" : ""}>
                    <td>{f.label}</td>
                    <td>
                      {CHOICES[f.key] ? (
                        <select
                          name={f.key}
                          value={values[f.key]}
                          onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
                        >
                          {CHOICES[f.key]?.map(([value, label]) => (
                            <option key={value} value={value}>
                              {label}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <input
                          name={f.key}
                          type={f.key === "season_start_date" ? "date" : "text"}
                          inputMode={f.key === "season_start_date" ? undefined : "decimal"}
                          value={values[f.key]}
                          onChange={(e) => {
                            setValues({ ...values, [f.key]: e.target.value });
                            setProblems({ ...problems, [f.key]: undefined });
                          }}
                        />
                      )}{" "}
                      {f.unit && <span className="muted">{f.unit}</span>}
                      {f.key === "season_start_date" && /^\d{4}-\d{2}-\d{2}$/.test(values.season_start_date) && (
                        <div className="small muted" data-testid="start-shown">
                          {formatDate(values.season_start_date)} · ISO week {isoWeekLabel(values.season_start_date)}
                        </div>
                      )}
                      {problems[f.key] && <div className="error small">{problems[f.key]}</div>}
                    </td>
                    <td>{field ? `${Math.round(field.confidence * 100)}%` : "–"}</td>
                    <td>
                      {field ? <span className={`pill src-${field.source}`}>{field.source}</span> : "–"}
                      {field?.evidence && <div className="small muted">“{plainWords(field.evidence)}”</div>}
                    </td>
                    <td>
                      {issues.map((i, n) => (
                        <div key={n} className="warning small">
                          {plainWords(i.message)}
                        </div>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {extraction.proposed_overrides.length > 0 && (
            <div data-testid="proposed-overrides">
              <h3>Forecast adjustments the brief asks for</h3>
              <p className="small muted">Nothing is applied unless you accept it: an accepted one becomes a forecast override of the season.</p>
              {extraction.proposed_overrides.map((p, i) => (
                <label key={i} className="inline block" data-testid="proposed-override">
                  <input
                    type="checkbox"
                    disabled={!p.category_code}
                    checked={accepted.has(i)}
                    onChange={(e) =>
                      setAccepted((prev) => {
                        const next = new Set(prev);
                        if (e.target.checked) next.add(i);
                        else next.delete(i);
                        return next;
                      })
                    }
                  />{" "}
                  <strong>
                    {p.category_code ?? p.category} {amountLabel({ percent: p.percent, units: null })} · {p.weeks ? weeksLabel(p.weeks) : "the whole season"}
                  </strong>{" "}
                  <span className="muted">“{p.evidence}”</span>
                  {!p.category_code && <span className="warning"> no category of that name: add it on the Forecast tab if meant</span>}
                  {p.note && <span className="small muted"> ({p.note})</span>}
                </label>
              ))}
            </div>
          )}
          <button onClick={() => void start()} disabled={busy}>
            Start the season
          </button>
        </div>
      )}
    </section>
  );
}
