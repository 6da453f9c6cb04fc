import { LoadFailed } from "../../feedback";
import { percent, units } from "../../format";
import { useApi } from "../../hooks";
import type { Approval } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { DecidedLine, DecisionForm, Reasoning } from "./Decision";

interface Line {
  category_code: string;
  forecast_units: number;
  safety_stock_pct: number;
  stock_on_hand: number;
  quantity: number;
}

export function ManufacturingTab({ season }: { season: SeasonContext }) {
  const { data, error, reload } = useApi<{ approvals: Approval[] }>(`/api/workflows/${season.id}/approvals`, season.version);
  const approval = data?.approvals.find((a) => a.kind === "manufacturing");
  if (!data && error) return <LoadFailed error={error} what="manufacturing proposal" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the manufacturing proposal…</p>;
  if (!approval) return <p className="muted">No order proposed yet: the forecast and the inventory agent come first.</p>;
  const lines = (approval.proposal.lines as Line[] | undefined) ?? [];
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
          {approval.status === "decided" ? "decided" : "waiting for an approver"}
        </div>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Category</th>
            <th>Forecast</th>
            <th>Safety stock</th>
            <th>On hand</th>
            <th>Order</th>
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
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Reasoning</h3>
      <Reasoning text={String(approval.proposal.rationale ?? "")} />
      {approval.status === "decided" ? (
        <DecidedLine approval={approval} unit="units" />
      ) : (
        <DecisionForm workflowId={season.id} approval={approval} kind="manufacturing" unit="units" onDecided={season.refresh} />
      )}
    </div>
  );
}
