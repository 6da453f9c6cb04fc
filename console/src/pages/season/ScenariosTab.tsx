// Scenarios: build a what-if with levers, compare up to four with the live plan (differences
// coloured better or worse), adopt one into the pending decision (docs/scenarios.md).

import { useState } from "react";
import { Link } from "react-router-dom";

import { openApproval } from "../../approvals";
import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox, LoadFailed } from "../../feedback";
import { useApi } from "../../hooks";
import {
  type Adoption,
  type LeverForm,
  type Scenario,
  MAX_COMPARED,
  adoptionKey,
  comparisonRows,
  leversFromForm,
  toggleCompared,
} from "../../scenarios";
import type { Approval } from "../../types";
import type { SeasonContext } from "../SeasonPage";

const EMPTY: LeverForm = { holdback: "", cadence: "", transfers: "", buy: {}, markdown: {}, demand: {} };

function Builder({ season, codes, beforeBuy, onBuilt }: { season: SeasonContext; codes: string[]; beforeBuy: boolean; onBuilt: (s: Scenario) => void }) {
  const [name, setName] = useState("");
  const [form, setForm] = useState<LeverForm>(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const field = (group: "buy" | "markdown" | "demand", code: string) => (
    <input
      aria-label={`${group} ${code}`}
      data-testid={`lever-${group}-${code}`}
      value={form[group][code] ?? ""}
      onChange={(e) => setForm({ ...form, [group]: { ...form[group], [code]: e.target.value } })}
      size={8}
    />
  );
  async function build() {
    setBusy(true);
    setError(null);
    try {
      const made = await api.post<Scenario>(`/api/workflows/${season.id}/scenarios`, { name, levers: leversFromForm(form) });
      onBuilt(made);
      setName("");
      setForm(EMPTY);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="card" data-testid="scenario-builder">
      <h3>Build a scenario</h3>
      <p className="small muted">Blank levers keep the live plan's value. Nothing of the season changes.</p>
      <div className="row gap">
        <label>
          Name <input name="scenario-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {beforeBuy && (
          <label>
            DC holdback % <input name="dc_holdback_percentage" value={form.holdback} onChange={(e) => setForm({ ...form, holdback: e.target.value })} size={5} />
          </label>
        )}
        <label>
          Replenishment{" "}
          <select name="replenishment_strategy" value={form.cadence} onChange={(e) => setForm({ ...form, cadence: e.target.value })}>
            <option value="">as planned</option>
            <option value="weekly">weekly</option>
            <option value="bi_weekly">bi-weekly</option>
            <option value="none">none</option>
          </select>
        </label>
        <label>
          Transfers{" "}
          <select name="transfer_strategy" value={form.transfers ?? ""} onChange={(e) => setForm({ ...form, transfers: e.target.value })}>
            <option value="">as planned</option>
            <option value="none">none</option>
            <option value="dc_only">DC releases only</option>
            <option value="hybrid">DC and store-to-store</option>
          </select>
        </label>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Category</th>
            {beforeBuy && <th>Buy (units)</th>}
            <th>Markdown % (after the checkpoint)</th>
            <th>Demand change %</th>
          </tr>
        </thead>
        <tbody>
          {codes.map((code) => (
            <tr key={code}>
              <td>{code}</td>
              {beforeBuy && <td>{field("buy", code)}</td>}
              <td>{field("markdown", code)}</td>
              <td>{field("demand", code)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <ErrorBox error={error} what="building the scenario" />}
      <button onClick={() => void build()} disabled={busy || name.trim() === ""} data-testid="build-scenario">
        {busy ? "Evaluating…" : "Build and evaluate"}
      </button>
    </div>
  );
}

function Comparison({ compared }: { compared: Scenario[] }) {
  if (compared.length === 0) return <p className="muted">Tick up to {MAX_COMPARED} scenarios to compare them with the live plan.</p>;
  const live = compared[compared.length - 1].live;
  const rows = comparisonRows(live.total, compared.map((s) => s.scenario.total));
  return (
    <div className="card" data-testid="scenario-comparison">
      <h3>Season totals: the live plan and {compared.length} scenario{compared.length > 1 ? "s" : ""}</h3>
      <p className="small muted">Each figure on the forecast's point path; below it the 80 % band (the ends of the forecast's interval).</p>
      <table className="table">
        <thead>
          <tr>
            <th />
            <th>Live plan</th>
            {compared.map((s) => (
              <th key={s.id}>{s.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <td>{row.label}</td>
              <td>
                {row.live.text}
                {row.live.band && <div className="small muted">{row.live.band}</div>}
              </td>
              {row.scenarios.map((cell, i) => (
                <td key={compared[i].id} className={`diff-${cell.tone}`} data-testid="scenario-cell">
                  {cell.text}
                  {cell.delta && <b className="small"> ({cell.delta})</b>}
                  {cell.band && <div className="small muted">{cell.band}</div>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AdoptionNote({ adoption, season }: { adoption: Adoption; season: SeasonContext }) {
  const lines = adoption.decision.lines ?? {};
  return (
    <div className="card ok" data-testid="adoption">
      <b>Adopted into the pending {adoption.approval_kind} decision</b> ({adoption.decision.reason ?? "no change"}).
      {Object.keys(lines).length > 0 && (
        <span>
          {" "}
          Lines: {Object.entries(lines).map(([code, v]) => `${code} ${v.toLocaleString("en-US")}`).join(", ")}.
        </span>
      )}{" "}
      An approver still decides: <Link to={`/seasons/${season.id}/${adoption.approval_kind === "markdown" ? "markdown" : "manufacturing"}`}>open the approval</Link>.
      {adoption.not_carried.length > 0 && <div className="small muted">Not part of the decision: {adoption.not_carried.join("; ")}</div>}
    </div>
  );
}

export function ScenariosTab({ season }: { season: SeasonContext }) {
  const { me } = useAuth();
  const { data, error, reload } = useApi<{ scenarios: Scenario[] }>(`/api/workflows/${season.id}/scenarios`, season.version);
  const { data: approvals } = useApi<{ approvals: Approval[] }>(`/api/workflows/${season.id}/approvals`, season.version);
  const [selected, setSelected] = useState<string[]>([]);
  const [adoption, setAdoption] = useState<Adoption | null>(null);
  const [adoptError, setAdoptError] = useState<ApiError | null>(null);
  if (!data && error) return <LoadFailed error={error} what="scenarios" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the scenarios…</p>;
  const scenarios = data.scenarios;
  const proposed = (openApproval(approvals?.approvals, "manufacturing").open?.proposal.lines as { category_code: string }[] | undefined) ?? [];
  const codes = scenarios[0]?.live.categories.map((c) => c.category_code) ?? proposed.map((l) => l.category_code);
  const beforeBuy = scenarios[0]?.live.before_the_buy ?? !approvals?.approvals.some((a) => a.kind === "manufacturing" && a.status === "decided");
  async function adopt(s: Scenario) {
    setAdoptError(null);
    try {
      const made = await api.post<Adoption>(`/api/workflows/${season.id}/scenarios/${s.id}/adopt`);
      sessionStorage.setItem(adoptionKey(season.id), JSON.stringify({ name: s.name, ...made }));
      setAdoption(made);
      reload();
    } catch (e) {
      setAdoptError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    }
  }
  return (
    <div data-testid="scenarios">
      {me?.can_plan && (
        <Builder
          season={season}
          codes={codes}
          beforeBuy={beforeBuy}
          onBuilt={(s) => {
            setSelected((all) => toggleCompared(all, s.id));
            reload();
          }}
        />
      )}
      <div className="card" data-testid="scenario-list">
        <h3>Scenarios ({scenarios.length})</h3>
        {scenarios.length === 0 && <p className="muted">None yet.</p>}
        {scenarios.map((s) => (
          <div key={s.id} className="row gap">
            <label>
              <input type="checkbox" checked={selected.includes(s.id)} onChange={() => setSelected((all) => toggleCompared(all, s.id))} data-testid={`compare-${s.name}`} /> {s.name}
            </label>
            <span className="small muted">
              week {s.weeks_in}, by {s.created_by}
              {s.adopted_by ? `, adopted by ${s.adopted_by}` : ""}
            </span>
            {me?.can_plan && (
              <button className="secondary" onClick={() => void adopt(s)} data-testid={`adopt-${s.name}`}>
                Adopt
              </button>
            )}
          </div>
        ))}
      </div>
      {adoptError && <ErrorBox error={adoptError} what="adopting the scenario" />}
      {adoption && <AdoptionNote adoption={adoption} season={season} />}
      <Comparison compared={scenarios.filter((s) => selected.includes(s.id))} />
    </div>
  );
}
