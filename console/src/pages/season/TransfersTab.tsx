// The week's transfer proposal: DC releases and store-to-store moves, each with why in words
// and the margin it saves; an approver accepts, edits the units (0 drops a move) with a
// reason, or rejects. Earlier proposals stay listed with their status (docs/transfers.md).

import { useEffect, useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox, LoadFailed } from "../../feedback";
import { currency, units } from "../../format";
import { formatDateTime } from "../../locale";
import { useApi } from "../../hooks";
import {
  type EditedMove,
  type TransferPlan,
  type TransfersView,
  editedMoves,
  editProblems,
  editTotals,
  openProposal,
  sourceLabel,
  startEdit,
  statusLabel,
  strategyLabel,
  totalsLine,
  typedUnits,
} from "../../transfers";
import type { SeasonContext } from "../SeasonPage";

function MovesTable({ edits, onUnits }: { edits: EditedMove[]; onUnits?: (index: number, text: string) => void }) {
  return (
    <table className="table compact" data-testid="transfer-moves">
      <thead>
        <tr>
          <th>From</th>
          <th>To</th>
          <th>Category</th>
          <th>Units</th>
          <th>Arrives</th>
          <th>Margin saved</th>
          <th>Why</th>
        </tr>
      </thead>
      <tbody>
        {edits.map(({ move, units: kept, text }, i) => (
          <tr key={`${move.category}-${move.from_location}-${move.to_store}`}>
            <td>{sourceLabel(move.from_location)}</td>
            <td>{move.to_store}</td>
            <td>{move.category}</td>
            <td>
              {onUnits ? (
                <input
                  name={`units-${i}`}
                  inputMode="numeric"
                  size={5}
                  value={text ?? String(kept)}
                  onChange={(e) => onUnits(i, e.target.value)}
                />
              ) : (
                units(kept)
              )}
            </td>
            <td>week {move.arrival_week}</td>
            <td>{currency(move.margin_saved)}</td>
            <td className="small">{move.why}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DecideTransfers({ season, plan }: { season: SeasonContext; plan: TransferPlan }) {
  const { me } = useAuth();
  const [edits, setEdits] = useState<EditedMove[]>(() => startEdit(plan));
  const [reason, setReason] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setEdits(startEdit(plan)), [plan]);
  if (!me?.can_approve)
    return <p className="muted" data-testid="not-approver">Waiting for an approver: deciding needs the approver role.</p>;
  const edited = edits.some((e, i) => e.units !== plan.moves[i]?.units);
  const problems = editProblems(edits, plan.donors);
  const totals = editTotals(edits);

  async function decide(action: "accept" | "modify" | "reject") {
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { workflow_id: season.id, action, week_number: plan.week_number };
    if (action === "modify") {
      body.moves = editedMoves(edits);
      body.reason = reason;
    }
    try {
      await api.post("/api/approvals/transfers", body);
      season.refresh();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="decision" data-testid="transfer-decision">
      <MovesTable edits={edits} onUnits={(i, text) => setEdits(edits.map((e, j) => (j === i ? typedUnits(e, text) : e)))} />
      <p data-testid="transfer-totals">
        {totalsLine(totals)}
      </p>
      {problems.map((p) => (
        <p key={p} className="error small">
          {p}
        </p>
      ))}
      {edited && (
        <label>
          Reason for the edit (recorded with your name)
          <textarea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
      )}
      <div className="row gap">
        {edited ? (
          <button onClick={() => void decide("modify")} disabled={busy || problems.length > 0 || reason.trim() === ""} data-testid="transfers-modify">
            Approve the edited moves
          </button>
        ) : (
          <button onClick={() => void decide("accept")} disabled={busy} data-testid="transfers-accept">
            Approve {units(plan.units)} units
          </button>
        )}
        <button className="secondary" onClick={() => void decide("reject")} disabled={busy} data-testid="transfers-reject">
          Reject
        </button>
      </div>
      {error && <ErrorBox error={error} what="the transfers decision" />}
    </div>
  );
}

function PastProposal({ plan }: { plan: TransferPlan }) {
  const moves = plan.status === "approved" ? plan.approved_moves : plan.moves;
  return (
    <details className="card" data-testid={`transfers-week-${plan.week_number}`}>
      <summary>
        Week {plan.week_number}: {statusLabel(plan.status)}
        {plan.decided_by ? ` by ${plan.decided_by}` : ""}
        {plan.decided_at ? ` on ${formatDateTime(plan.decided_at)}` : ""}
        {plan.reason ? ` — “${plan.reason}”` : ""}
      </summary>
      <MovesTable edits={moves.map((move) => ({ move, units: move.units }))} />
    </details>
  );
}

export function TransfersTab({ season }: { season: SeasonContext }) {
  const { data, error, reload } = useApi<TransfersView>(`/api/workflows/${season.id}/transfers`, season.version);
  if (!data && error) return <LoadFailed error={error} what="transfers" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the transfers…</p>;
  const open = openProposal(data);
  const past = data.proposals.filter((p) => p !== open);
  return (
    <div className="card" data-testid="transfers">
      <h2>Transfers</h2>
      <p className="muted">
        Strategy: <b>{strategyLabel(data.strategy)}</b>
        {data.projected_lost_sales !== null && <> · lost sales projected for the season, with the moves approved so far: {units(data.projected_lost_sales)} units</>}
      </p>
      {open ? (
        <>
          <h3>Proposed after week {open.week_number}</h3>
          <p className="reasoning">{open.rationale}</p>
          <div className="figures">
            <div>
              <span className="label">Lost sales without the moves</span>
              <span className="big">{units(open.lost_sales_before)}</span>
            </div>
            <div>
              <span className="label">With them</span>
              <span className="big">{units(open.lost_sales_after)}</span>
            </div>
            <div>
              <span className="label">Margin saved</span>
              <span className="big">{currency(open.margin_saved)}</span>
            </div>
          </div>
          <DecideTransfers season={season} plan={open} />
        </>
      ) : (
        <p className="muted">No transfer proposal is waiting: one is made after each weekly upload when moving stock saves more margin than it costs.</p>
      )}
      {past.map((p) => (
        <PastProposal key={p.week_number} plan={p} />
      ))}
    </div>
  );
}
