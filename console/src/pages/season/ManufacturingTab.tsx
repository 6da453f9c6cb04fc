import { openApproval, supersededNote } from "../../approvals";
import { LoadFailed } from "../../feedback";
import type { BuyLine } from "../../buyLines";
import { percent, units } from "../../format";
import { useApi } from "../../hooks";
import type { Approval } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { BuyLinesForm } from "./BuyLinesForm";
import { DecidedLine, DecisionForm, Reasoning } from "./Decision";

interface Line extends BuyLine {
  safety_stock_pct: number;
}

/** Proposals made before the buy by category carry no bounds per line: decided on the total. */
function byLine(lines: Line[]): boolean {
  return lines.length > 0 && lines.every((l) => l.min_quantity != null && l.max_quantity != null);
}

function LegacyLines({ lines, decided }: { lines: Line[]; decided?: Record<string, number> }) {
  const shown = decided && Object.keys(decided).length > 0;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Category</th>
          <th>Forecast</th>
          <th>Safety stock</th>
          <th>On hand</th>
          <th>Order</th>
          {shown && <th>Decided</th>}
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.category_code}>
            <td>{l.category_code}</td>
            <td>{units(l.forecast_units)}</td>
            <td>{percent(l.safety_stock_pct)}</td>
            <td>{units(l.stock_on_hand)}</td>
            <td>{units(l.quantity)}</td>
            {shown && <td data-testid={`decided-${l.category_code}`}>{units(decided[l.category_code])}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ManufacturingTab({ season }: { season: SeasonContext }) {
  const { data, error, reload } = useApi<{ approvals: Approval[] }>(`/api/workflows/${season.id}/approvals`, season.version);
  const { open: approval, superseded } = openApproval(data?.approvals, "manufacturing");
  if (!data && error) return <LoadFailed error={error} what="manufacturing proposal" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the manufacturing proposal…</p>;
  if (!approval) return <p className="muted">No order proposed yet: the forecast and the inventory agent come first.</p>;
  const lines = (approval.proposal.lines as Line[] | undefined) ?? [];
  const decided = approval.status === "decided";
  return (
    <div className="card" data-testid="manufacturing">
      <h2>Manufacturing order</h2>
      <div className="figures">
        <div>
          <span className="label">Proposed</span>
          <span className="big">{units(approval.proposed_value)}</span> units
        </div>
        <div>
          <span className="label">Allowed range</span>
          {units(approval.min_value)} – {units(approval.max_value)} units
        </div>
        <div>
          <span className="label">Status</span>
          {decided ? "decided" : "waiting for an approver"}
        </div>
      </div>
      {superseded.length > 0 && (
        <p className="small" data-testid="superseded">
          {supersededNote(superseded[0], "units")} The figures below are the new proposal's.
        </p>
      )}
      {byLine(lines) && !decided ? (
        <>
          <p className="small muted">
            Each category's order is the quantity that maximises its expected margin: the season demand's critical-ratio quantile, (price − cost) / (price − salvage), less
            the stock on hand. Any line may be changed within its range; the total follows the lines.
          </p>
          <BuyLinesForm key={approval.approval_id} workflowId={season.id} approval={approval} lines={lines} onDecided={season.refresh} />
        </>
      ) : (
        <LegacyLines lines={lines} decided={approval.decided_lines} />
      )}
      <h3>Reasoning</h3>
      <Reasoning text={String(approval.proposal.rationale ?? "")} />
      {decided ? (
        <DecidedLine approval={approval} unit="units" />
      ) : (
        !byLine(lines) && (
          <DecisionForm key={approval.approval_id} workflowId={season.id} approval={approval} kind="manufacturing" unit="units" onDecided={season.refresh} />
        )
      )}
    </div>
  );
}
