import { useEffect, useState } from "react";

import { currency, fractionAsPercent, percent } from "../../format";
import { useApi } from "../../hooks";
import type { Approval, Markdown, MarkdownProjection } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { DecidedLine, DecisionForm } from "./Decision";
import { MarkdownMarginPanel } from "./MoneySection";

function Projection({ season, depth }: { season: SeasonContext; depth: number }) {
  const valid = Number.isFinite(depth) && depth >= 0 && depth <= 100 && !(depth > 0 && depth < 1);
  const { data, error } = useApi<MarkdownProjection>(
    valid ? `/api/workflows/${season.id}/markdowns/projection?markdown_pct=${depth}` : null,
    season.version,
  );
  if (!valid) return <p className="error small">A markdown is in percent, 0 to 100.</p>;
  if (error) return <p className="error small">{error.message}</p>;
  if (!data) return <p className="muted">Projecting…</p>;
  return (
    <div data-testid="projection">
      <h3>What {percent(depth)} is expected to do by the end of the season</h3>
      <table className="table compact">
        <thead>
          <tr>
            <th></th>
            <th>Sell-through</th>
            <th>Revenue</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Without markdown</td>
            <td>{fractionAsPercent(data.baseline_sell_through_fraction)}</td>
            <td>{currency(data.baseline_revenue)}</td>
          </tr>
          <tr>
            <td>
              <b>With {percent(depth)}</b>
            </td>
            <td>
              <b data-testid="projected-sell-through">{fractionAsPercent(data.projected_sell_through_fraction)}</b>
            </td>
            <td>
              <b data-testid="projected-revenue">{currency(data.projected_revenue)}</b>
            </td>
          </tr>
        </tbody>
      </table>
      <MarkdownMarginPanel projection={data} />
      <details className="small muted">
        <summary>How this is projected</summary>
        {data.method}
      </details>
    </div>
  );
}

export function MarkdownTab({ season }: { season: SeasonContext }) {
  const { data } = useApi<{ markdowns: Markdown[] }>(`/api/workflows/${season.id}/markdowns`, season.version);
  const { data: approvals } = useApi<{ approvals: Approval[] }>(`/api/workflows/${season.id}/approvals`, season.version);
  const markdown = data?.markdowns.at(-1);
  const approval = approvals?.approvals.find((a) => a.approval_id === markdown?.approval_id);
  const [depth, setDepth] = useState<number | null>(null);
  useEffect(() => setDepth(null), [markdown?.approval_id]);
  if (!data) return <p className="muted">Loading…</p>;
  if (!markdown || !approval)
    return <p className="muted">No markdown proposed: it comes at the checkpoint week, when sell-through is below the target.</p>;
  const shown = depth ?? markdown.decided_markdown_pct ?? markdown.recommended_markdown_pct;
  return (
    <div className="card" data-testid="markdown">
      <h2>Markdown at week {markdown.week_number}</h2>
      <div className="figures">
        <div>
          <span className="label">Sell-through</span>
          <span className="big">{fractionAsPercent(markdown.sell_through_fraction)}</span>
        </div>
        <div>
          <span className="label">Target</span>
          <span className="big">{fractionAsPercent(markdown.target_sell_through_fraction, 0)}</span>
        </div>
        <div>
          <span className="label">Recommended depth</span>
          <span className="big">{percent(markdown.recommended_markdown_pct)}</span> (max {percent(markdown.max_markdown_pct)})
        </div>
        <div>
          <span className="label">Elasticity</span>
          {markdown.elasticity_coefficient.toFixed(2)}
        </div>
      </div>
      <p className="reasoning">{markdown.reasoning}</p>
      <Projection season={season} depth={shown} />
      {approval.status === "decided" ? (
        <DecidedLine approval={approval} unit="%" />
      ) : (
        <DecisionForm
          workflowId={season.id}
          approval={approval}
          kind="markdown"
          unit="%"
          onDecided={season.refresh}
          onValueChange={setDepth}
        />
      )}
    </div>
  );
}
