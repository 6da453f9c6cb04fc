// The season's forecast overrides (docs/overrides.md): who made each, when and why, a
// withdraw button, and the form to add one. The charts above draw the final forecast.

import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox } from "../../feedback";
import { formatDateTime } from "../../locale";
import { type OverrideForm, overrideBody, overrideLabel } from "../../overrides";
import type { ForecastOverride } from "../../types";

const EMPTY: OverrideForm = { scope: "category", code: "", category_code: "", weeks: "", kind: "percent", amount: "", reason: "" };

function OverrideRow({ o, onWithdraw }: { o: ForecastOverride; onWithdraw?: () => void }) {
  return (
    <tr className={o.active ? "" : "muted"} data-testid="override">
      <td>{overrideLabel(o)}</td>
      <td>{o.reason}</td>
      <td>
        {o.created_by}, {formatDateTime(o.created_at)}
        {o.source === "brief" ? " (from the brief)" : ""}
      </td>
      <td>
        {o.active
          ? onWithdraw && (
              <button className="secondary" onClick={onWithdraw} data-testid="withdraw-override">
                Withdraw
              </button>
            )
          : `withdrawn by ${o.withdrawn_by ?? "?"}, ${o.withdrawn_at ? formatDateTime(o.withdrawn_at) : ""}${o.withdrawn_reason ? `: ${o.withdrawn_reason}` : ""}`}
      </td>
    </tr>
  );
}

export function OverridesPanel({
  seasonId,
  overrides,
  categories,
  clusters,
  onChange,
}: {
  seasonId: string;
  overrides: ForecastOverride[];
  categories: { code: string; name: string }[];
  clusters: string[];
  onChange: () => void;
}) {
  const { me } = useAuth();
  const [form, setForm] = useState<OverrideForm>({ ...EMPTY, code: categories[0]?.code ?? "" });
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/workflows/${seasonId}/forecast-overrides`;
  const set = (patch: Partial<OverrideForm>) => setForm((f) => ({ ...f, ...patch }));

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChange();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  function add() {
    const body = overrideBody(form);
    setProblem(typeof body === "string" ? body : null);
    if (typeof body !== "string") void run(async () => (await api.post(path, body), setForm({ ...form, amount: "", reason: "" })));
  }

  const withdraw = (o: ForecastOverride) => () => {
    const reason = window.prompt("Why withdraw it? (optional)") ?? "";
    void run(() => api.del(`${path}/${o.id}${reason ? `?reason=${encodeURIComponent(reason)}` : ""}`));
  };

  return (
    <div className="card" data-testid="overrides">
      <h2>Forecast overrides</h2>
      <p className="small muted">
        The final forecast (dashed) is the statistical one adjusted by these; the buy, the allocation, the stock ledger and the markdown use it. The statistical forecast is kept.
      </p>
      {overrides.length === 0 ? (
        <p className="muted">No overrides: the final forecast is the statistical one.</p>
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th>Override</th>
              <th>Why</th>
              <th>Who, when</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {overrides.map((o) => (
              <OverrideRow key={o.id} o={o} onWithdraw={me?.can_plan ? withdraw(o) : undefined} />
            ))}
          </tbody>
        </table>
      )}
      {me?.can_plan && (
        <div className="row gap wrap" data-testid="override-form">
          <select value={form.scope} onChange={(e) => set({ scope: e.target.value as OverrideForm["scope"], code: e.target.value === "category" ? (categories[0]?.code ?? "") : "" })}>
            <option value="category">Category</option>
            <option value="cluster">Cluster</option>
            <option value="store">Store</option>
          </select>
          {form.scope === "category" ? (
            <select aria-label="category" value={form.code} onChange={(e) => set({ code: e.target.value })}>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          ) : form.scope === "cluster" ? (
            <select aria-label="cluster" value={form.code} onChange={(e) => set({ code: e.target.value })}>
              <option value="">choose a cluster</option>
              {clusters.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          ) : (
            <input aria-label="store code" placeholder="store code" value={form.code} onChange={(e) => set({ code: e.target.value })} />
          )}
          {form.scope !== "category" && (
            <select aria-label="category of the store or cluster" value={form.category_code} onChange={(e) => set({ category_code: e.target.value })}>
              <option value="">every category</option>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
          <input aria-label="weeks" placeholder="weeks, e.g. 2-4 (empty: all to come)" value={form.weeks} onChange={(e) => set({ weeks: e.target.value })} />
          <input aria-label="amount" placeholder={form.kind === "percent" ? "+10" : "+40"} value={form.amount} onChange={(e) => set({ amount: e.target.value })} size={6} />
          <select aria-label="percent or units" value={form.kind} onChange={(e) => set({ kind: e.target.value as OverrideForm["kind"] })}>
            <option value="percent">% of the forecast</option>
            <option value="units">units a week</option>
          </select>
          <input aria-label="reason" placeholder="why" value={form.reason} onChange={(e) => set({ reason: e.target.value })} />
          <button disabled={busy} onClick={add} data-testid="add-override">
            Add override
          </button>
        </div>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {error && <ErrorBox error={error} what="the forecast override" />}
    </div>
  );
}
