// The manufacturing order decided by category: every line with its bounds, the service level its
// quantity implies and its expected margin; the approver accepts, or types any line (the total
// follows) with a reason. Only the lines that changed are sent; a decision cannot be taken back,
// so it is confirmed with every changed line spelled out.

import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { type BuyLine, checkLines } from "../../buyLines";
import { ErrorBox } from "../../feedback";
import { adoptedFor, adoptionKey } from "../../scenarios";
import { currency, fractionAsPercent, units } from "../../format";
import { amount } from "../../locale";
import type { Approval } from "../../types";

const CONTROLS = { lines: "Order by category", reason: "Reason" };

function LinesTable({ lines, texts, onType, editing }: { lines: BuyLine[]; texts: Record<string, string>; onType: (code: string, text: string) => void; editing: boolean }) {
  const check = checkLines(lines, texts, -Infinity, Infinity);
  return (
    <table className="table" data-testid="buy-lines">
      <thead>
        <tr>
          <th>Category</th>
          <th>Forecast</th>
          <th>On hand</th>
          <th>Order</th>
          <th>Allowed</th>
          <th>Service level</th>
          <th>Expected margin</th>
          <th>Safety-stock rule</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l, i) => {
          const c = check.lines[i];
          return (
            <tr key={l.category_code} className={c.problem ? "has-issue" : undefined}>
              <td>{l.category_code}</td>
              <td>{units(l.forecast_units)}</td>
              <td>{units(l.stock_on_hand)}</td>
              <td>
                {editing ? (
                  <input
                    name={`line-${l.category_code}`}
                    inputMode="numeric"
                    size={8}
                    value={texts[l.category_code] ?? String(l.quantity)}
                    aria-invalid={c.problem !== null}
                    onChange={(e) => onType(l.category_code, e.target.value)}
                  />
                ) : (
                  units(l.quantity)
                )}
                {c.problem && (
                  <p className="error small" data-testid={`line-problem-${l.category_code}`}>
                    {c.problem}
                  </p>
                )}
              </td>
              <td>
                {units(c.min)} – {units(c.max)}
              </td>
              <td data-testid={`service-${l.category_code}`}>{fractionAsPercent(c.serviceLevel)}</td>
              <td>{currency(l.expected_margin)}</td>
              <td>{l.rule_quantity == null ? "–" : `${units(l.rule_quantity)} units`}</td>
            </tr>
          );
        })}
        <tr className="total">
          <td>Total</td>
          <td>{units(lines.reduce((s, l) => s + l.forecast_units, 0))}</td>
          <td>{units(lines.reduce((s, l) => s + l.stock_on_hand, 0))}</td>
          <td data-testid="lines-total">{units(check.total)}</td>
          <td colSpan={4} />
        </tr>
      </tbody>
    </table>
  );
}

export function BuyLinesForm({ workflowId, approval, lines, onDecided }: { workflowId: string; approval: Approval; lines: BuyLine[]; onDecided: () => void }) {
  const { me } = useAuth();
  // A scenario adopted in this tab (docs/scenarios.md) fills the form: the approval still gates.
  const [adopted] = useState(() => adoptedFor(sessionStorage.getItem(adoptionKey(workflowId)), approval.approval_id, "manufacturing"));
  const [modifying, setModifying] = useState(adopted !== null);
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    adopted ? Object.fromEntries(Object.entries(adopted.lines).map(([code, v]) => [code, String(v)])) : {},
  );
  const [reason, setReason] = useState(adopted?.reason ?? "");
  const [confirming, setConfirming] = useState<"accept" | "modify" | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const check = checkLines(lines, modifying ? texts : {}, approval.min_value, approval.max_value);
  const changes = Object.entries(check.changed);
  const canDecide = modifying && check.total !== null && !check.totalProblem && changes.length > 0 && reason.trim() !== "";
  const table = <LinesTable lines={lines} texts={texts} editing={modifying && me?.can_approve === true && !confirming} onType={(code, text) => setTexts({ ...texts, [code]: text })} />;

  if (!me?.can_approve) {
    return (
      <>
        {table}
        <p className="muted" data-testid="not-approver">
          Waiting for an approver: deciding needs the approver role, and yours are {me?.roles.join(", ") || "none"}.
        </p>
      </>
    );
  }

  async function decide(action: "accept" | "modify") {
    setBusy(true);
    setError(null);
    // The approval shown: one superseded meanwhile (a forecast override) is refused, not decided.
    const body: Record<string, unknown> = { workflow_id: workflowId, action, approval_id: approval.approval_id };
    if (action === "modify") Object.assign(body, { lines: check.changed, reason });
    try {
      await api.post("/api/approvals/manufacturing", body);
      setConfirming(null);
      onDecided();
    } catch (e) {
      setConfirming(null);
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }

  const total = confirming === "accept" ? approval.proposed_value : (check.total ?? 0);
  return (
    <>
      {table}
      {check.totalProblem && (
        <p className="error small" data-testid="value-problem">
          {check.totalProblem}
        </p>
      )}
      {confirming ? (
        <div className="decision confirm" data-testid="confirm-panel">
          <p>
            <b>
              Order {amount(total, "units")} from manufacturing
              {confirming === "modify" ? `, by category ${changes.map(([code, q]) => `${code} ${units(q)}`).join(", ")} (the other lines as proposed)` : ""}? The stores' allocation starts
              from these lines at once; the order cannot be changed afterwards.
            </b>
          </p>
          {confirming === "modify" && <p className="small muted">Your reason, recorded with your name: “{reason}”</p>}
          <div className="row gap">
            <button onClick={() => void decide(confirming)} disabled={busy} data-testid="confirm">
              Yes, commit {amount(total, "units")}
            </button>
            <button className="secondary" onClick={() => setConfirming(null)} disabled={busy}>
              Go back
            </button>
          </div>
        </div>
      ) : (
        <div className="decision" data-testid="decision-form">
          {!modifying ? (
            <div className="row gap">
              <button onClick={() => setConfirming("accept")} disabled={busy} data-testid="accept">
                Accept {amount(approval.proposed_value, "units")}…
              </button>
              <button className="secondary" onClick={() => setModifying(true)} disabled={busy} data-testid="modify">
                Modify lines…
              </button>
            </div>
          ) : (
            <div className="modify">
              {adopted && (
                <p className="small" data-testid="from-scenario">
                  From scenario “{adopted.name}”:{" "}
                  {Object.entries(adopted.lines)
                    .map(([code, v]) => `${code} ${amount(v, "units")}`)
                    .join(", ")}
                </p>
              )}
              <label>
                Reason (recorded with your name)
                <textarea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              {changes.length > 0 && reason.trim() === "" && (
                <p className="muted small" data-testid="reason-needed">
                  A modified line needs a reason.
                </p>
              )}
              <div className="row gap">
                <button onClick={() => setConfirming("modify")} disabled={busy || !canDecide} data-testid="submit-modify">
                  {check.total !== null ? `Decide ${amount(check.total, "units")}…` : "Decide…"}
                </button>
                <button
                  className="secondary"
                  onClick={() => {
                    setModifying(false);
                    setTexts({});
                  }}
                  disabled={busy}
                >
                  Cancel
                </button>
              </div>
            </div>
          )}
        </div>
      )}
      {error && <ErrorBox error={error} what="the decision" controls={CONTROLS} />}
    </>
  );
}
