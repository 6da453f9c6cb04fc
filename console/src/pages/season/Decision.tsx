// Accept or modify a pending approval; shown only to those with the approver role.

import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import type { Approval } from "../../types";

function amount(value: number, unit: string): string {
  const figure = value.toLocaleString("en-US");
  return unit === "%" ? `${figure}%` : `${figure} ${unit}`;
}

export function DecidedLine({ approval, unit }: { approval: Approval; unit: string }) {
  return (
    <p className="ok" data-testid="decision">
      Decided by <b>{approval.decided_by}</b>
      {approval.decided_at ? ` on ${new Date(approval.decided_at).toLocaleString("en-GB")}` : ""}:{" "}
      {approval.action} at <b>{amount(approval.decided_value ?? 0, unit)}</b>
      {approval.reason ? ` — “${approval.reason}”` : ""}
    </p>
  );
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
  kind: "manufacturing" | "markdown";
  unit: string;
  onDecided: () => void;
  onValueChange?: (value: number) => void;
}) {
  const { me } = useAuth();
  const [modifying, setModifying] = useState(false);
  const [value, setValue] = useState(String(approval.proposed_value));
  const [reason, setReason] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (!me?.can_approve) {
    return (
      <p className="muted" data-testid="not-approver">
        Waiting for an approver. Your roles ({me?.roles.join(", ") || "none"}) do not include deciding.
      </p>
    );
  }

  async function decide(action: "accept" | "modify") {
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { workflow_id: workflowId, action };
    if (action === "modify") {
      body.value = Number(value);
      body.reason = reason;
    }
    try {
      await api.post(`/api/approvals/${kind}`, body);
      onDecided();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="decision" data-testid="decision-form">
      {!modifying ? (
        <div className="row gap">
          <button onClick={() => void decide("accept")} disabled={busy} data-testid="accept">
            Accept {amount(approval.proposed_value, unit)}
          </button>
          <button className="secondary" onClick={() => setModifying(true)} disabled={busy} data-testid="modify">
            Modify…
          </button>
        </div>
      ) : (
        <div className="modify">
          <label>
            New value ({amount(approval.min_value, unit)} to {amount(approval.max_value, unit)})
            <input
              name="value"
              inputMode="decimal"
              value={value}
              onChange={(e) => {
                setValue(e.target.value);
                const n = Number(e.target.value);
                if (Number.isFinite(n)) onValueChange?.(n);
              }}
            />
          </label>
          <label>
            Reason (recorded with your name)
            <textarea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="row gap">
            <button onClick={() => void decide("modify")} disabled={busy || reason.trim() === ""} data-testid="submit-modify">
              Decide {amount(Number(value), unit)}
            </button>
            <button className="secondary" onClick={() => setModifying(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && (
        <div className="error" role="alert">
          {error.message}
          {error.details.map((d, i) => (
            <div className="small" key={i}>
              {d.field}: {d.message}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
