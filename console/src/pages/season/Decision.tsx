// Accept or modify a pending approval; shown only to those with the approver role. The value is
// read as typed in the browser's locale and checked against the bounds while it is typed; a
// decision cannot be taken back, so it is confirmed with what it commits spelled out.

import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox } from "../../feedback";
import { amount, checkAmount, formatDateTime } from "../../locale";
import { plainWords } from "../../messages";
import { decisionFigure } from "../../report";
import { adoptedFor, adoptionKey } from "../../scenarios";
import type { Approval } from "../../types";

type Unit = "units" | "%";
type Kind = "manufacturing" | "markdown";

const CONTROLS = { value: "New value", reason: "Reason" };

export function DecidedLine({ approval, unit }: { approval: Approval; unit: Unit }) {
  // A markdown decided by category: each category's depth (the one figure would be only one
  // of them); an order keeps its total.
  const byCategory = unit === "%" && Object.keys(approval.decided_lines ?? {}).length > 0;
  const figure = byCategory
    ? decisionFigure(approval.decided_value ?? 0, "percent", approval.decided_lines)
    : amount(approval.decided_value ?? 0, unit);
  const how = approval.action === "modify" ? "modified" : "accepted";
  return (
    <p className="ok" data-testid="decision">
      Decided by <b>{approval.decided_by}</b>
      {approval.decided_at ? ` on ${formatDateTime(approval.decided_at)}` : ""}:{" "}
      {byCategory ? `${how} by category:` : `${how} ${approval.action === "modify" ? "to" : "at"}`} <b>{figure}</b>
      {approval.reason ? ` — “${approval.reason}”` : ""}
    </p>
  );
}

/** What a decision commits, in a sentence: the confirmation's question. */
export function commitment(kind: Kind, value: number, approval: Approval): string {
  if (kind === "manufacturing")
    return `Order ${amount(value, "units")} from manufacturing? The stores' allocation starts from this quantity at once; the order cannot be changed afterwards.`;
  const week = approval.proposal.week_number;
  return `Mark prices down by ${amount(value, "%")}${typeof week === "number" ? ` from week ${week + 1}` : ""} in every store? The markdown cannot be taken back this season.`;
}

export function DecisionForm({
  workflowId,
  approval,
  kind,
  unit,
  onDecided,
  onValueChange,
}: {
  workflowId: string;
  approval: Approval;
  kind: Kind;
  unit: Unit;
  onDecided: () => void;
  onValueChange?: (value: number) => void;
}) {
  const { me } = useAuth();
  // A scenario adopted for this approval pre-fills the form (the approver still decides).
  const [adopted] = useState(() => adoptedFor(sessionStorage.getItem(adoptionKey(workflowId)), approval.approval_id, kind));
  const [modifying, setModifying] = useState(adopted !== null);
  const [text, setText] = useState(amount(adopted?.value ?? approval.proposed_value, unit).replace(/ units$/, ""));
  const [reason, setReason] = useState(adopted?.reason ?? "");
  const [confirming, setConfirming] = useState<{ action: "accept" | "modify"; value: number } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (!me?.can_approve) {
    return (
      <p className="muted" data-testid="not-approver">
        Waiting for an approver: deciding needs the approver role, and yours are {me?.roles.join(", ") || "none"}.
      </p>
    );
  }

  const range = kind === "manufacturing" ? "the order's allowed range" : "the markdown's allowed range";
  const checked = checkAmount(text, {
    min: approval.min_value,
    max: approval.max_value,
    unit,
    whole: unit === "units",
    range,
  });
  const needsReason = reason.trim() === "";

  async function decide(action: "accept" | "modify", value: number) {
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { workflow_id: workflowId, action, approval_id: approval.approval_id };
    if (action === "modify") {
      body.value = value;
      body.reason = reason;
    }
    try {
      await api.post(`/api/approvals/${kind}`, body);
      setConfirming(null);
      onDecided();
    } catch (e) {
      setConfirming(null);
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }

  if (confirming) {
    return (
      <div className="decision confirm" data-testid="confirm-panel">
        <p>
          <b>{commitment(kind, confirming.value, approval)}</b>
        </p>
        {confirming.action === "modify" && <p className="small muted">Your reason, recorded with your name: “{reason}”</p>}
        <div className="row gap">
          <button onClick={() => void decide(confirming.action, confirming.value)} disabled={busy} data-testid="confirm">
            Yes, commit {amount(confirming.value, unit)}
          </button>
          <button className="secondary" onClick={() => setConfirming(null)} disabled={busy}>
            Go back
          </button>
        </div>
      </div>
    );
  }

  return (
    <div className="decision" data-testid="decision-form">
      {!modifying ? (
        <div className="row gap">
          <button
            onClick={() => setConfirming({ action: "accept", value: approval.proposed_value })}
            disabled={busy}
            data-testid="accept"
          >
            Accept {amount(approval.proposed_value, unit)}…
          </button>
          <button className="secondary" onClick={() => setModifying(true)} disabled={busy} data-testid="modify">
            Modify…
          </button>
        </div>
      ) : (
        <div className="modify">
          {adopted && (
            <p className="small" data-testid="from-scenario">
              From scenario “{adopted.name}”:{" "}
              {Object.entries(adopted.lines)
                .map(([code, v]) => `${code} ${amount(v, unit)}`)
                .join(", ")}
            </p>
          )}
          <label>
            New value ({amount(approval.min_value, unit)} to {amount(approval.max_value, unit)})
            <input
              name="value"
              inputMode="decimal"
              value={text}
              aria-invalid={checked.problem !== null}
              onChange={(e) => {
                setText(e.target.value);
                const now = checkAmount(e.target.value, { min: approval.min_value, max: approval.max_value, unit, whole: unit === "units", range });
                if (now.value !== null) onValueChange?.(now.value);
              }}
            />
          </label>
          {checked.problem !== null && (
            <p className="error small" data-testid="value-problem">
              {checked.problem}
            </p>
          )}
          <label>
            Reason (recorded with your name)
            <textarea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          {checked.value !== null && needsReason && (
            <p className="muted small" data-testid="reason-needed">
              A modified value needs a reason.
            </p>
          )}
          <div className="row gap">
            <button
              onClick={() => checked.value !== null && setConfirming({ action: "modify", value: checked.value })}
              disabled={busy || checked.value === null || needsReason}
              data-testid="submit-modify"
            >
              {checked.value !== null ? `Decide ${amount(checked.value, unit)}…` : "Decide…"}
            </button>
            <button className="secondary" onClick={() => setModifying(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && <ErrorBox error={error} what="the decision" controls={CONTROLS} />}
    </div>
  );
}

export function Reasoning({ text }: { text: string }) {
  return <p className="reasoning">{plainWords(text)}</p>;
}
