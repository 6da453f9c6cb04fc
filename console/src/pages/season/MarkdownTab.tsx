import { useEffect, useState } from "react";

import { ErrorBox, LoadFailed } from "../../feedback";
import { type Checkpoint, checkpointLine, currency, fractionAsPercent, latestCheckpoint, percent } from "../../format";
import { useApi } from "../../hooks";
import { decisionFigure } from "../../report";
import type { Approval, Markdown, MarkdownProjection } from "../../types";
import type { SeasonContext } from "../SeasonPage";
import { DecidedLine, DecisionForm, Reasoning } from "./Decision";
import { MarkdownLines } from "./MarkdownLines";
import { MarkdownMarginPanel } from "./MoneySection";

type EventPage = { events: { envelope: Record<string, unknown> }[] };

/** The checkpoint's outcome, whether or not it proposed a markdown. */
export function useCheckpoint(season: SeasonContext): Checkpoint | null {
  const { data } = useApi<EventPage>(`/api/workflows/${season.id}/events?type=sell_through.computed`, season.version);
  return latestCheckpoint(data);
}

export function CheckpointLine({ checkpoint }: { checkpoint: Checkpoint }) {
  return (
    <p className={checkpoint.below_target ? "warning" : "ok"} data-testid="checkpoint">
      {checkpointLine(checkpoint)}
    </p>
  );
}

function Projection({ season, depth }: { season: SeasonContext; depth: number }) {
  const { data, error, reload } = useApi<MarkdownProjection>(
    `/api/workflows/${season.id}/markdowns/projection?markdown_pct=${depth}`,
    season.version,
  );
  if (error) return <ErrorBox error={error} what="the projection" onRetry={reload} />;
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
  const { data, error, reload } = useApi<{ markdowns: Markdown[] }>(`/api/workflows/${season.id}/markdowns`, season.version);
  const { data: approvals } = useApi<{ approvals: Approval[] }>(`/api/workflows/${season.id}/approvals`, season.version);
  const checkpoint = useCheckpoint(season);
  const markdown = data?.markdowns.at(-1);
  const approval = approvals?.approvals.find((a) => a.approval_id === markdown?.approval_id);
  const [depth, setDepth] = useState<number | null>(null);
  useEffect(() => setDepth(null), [markdown?.approval_id]);
  if (!data && error) return <LoadFailed error={error} what="markdowns" onRetry={reload} />;
  if (!data) return <p className="muted">Loading the markdowns…</p>;
  if (!markdown || !approval)
    return (
      <div className="card" data-testid="markdown">
        <h2>Markdown</h2>
        {checkpoint ? (
          <CheckpointLine checkpoint={checkpoint} />
        ) : (
          <p className="muted">
            {season.workflow?.parameters?.markdown_checkpoint_week
              ? `No checkpoint yet: at week ${season.workflow.parameters.markdown_checkpoint_week}, sell-through is compared with the target, and a markdown is proposed if it is below.`
              : "No markdown checkpoint this season."}
          </p>
        )}
      </div>
    );
  const shown = depth ?? markdown.decided_markdown_pct ?? markdown.recommended_markdown_pct;
  const lines = markdown.lines ?? [];
  const byCategory = lines.length > 0;
  // Decided by category: the lines' tables show each category's chosen depth; one depth for
  // every category would only be one of them.
  const decidedByCategory = approval.status === "decided" && Object.keys(approval.decided_lines ?? {}).length > 0;
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
        {byCategory ? (
          <div>
            <span className="label">Recommended by category</span>
            <span className="big" data-testid="recommended-lines">
              {decisionFigure(0, "percent", Object.fromEntries(lines.map((l) => [l.category_code, l.percentage])))}
            </span>
          </div>
        ) : (
          <div>
            <span className="label">Recommended depth</span>
            <span className="big">{percent(markdown.recommended_markdown_pct)}</span> (max {percent(markdown.max_markdown_pct)})
          </div>
        )}
        <div>
          <span className="label">Rule: markdown points per point of gap</span>
          {(markdown.markdown_points_per_gap_point ?? markdown.elasticity_coefficient).toFixed(2)}
        </div>
      </div>
      {checkpoint && <CheckpointLine checkpoint={checkpoint} />}
      <Reasoning text={markdown.reasoning} />
      {byCategory && <MarkdownLines season={season} lines={lines} approval={approval} />}
      {decidedByCategory ? null : (
        <>
          <h3>{byCategory ? "Or one depth for every category" : "One depth for every category"}</h3>
          <Projection season={season} depth={shown} />
        </>
      )}
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
