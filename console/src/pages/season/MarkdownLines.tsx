// The markdown by category: every candidate depth of each category side by side (sell-through,
// leftover, revenue, season margin), the one best for margin and the rule's marked; a depth typed
// for a category is recomputed at once (from the proposal's candidates, or the gateway's
// projection when it is off the 5 % grid), and the decision sends the lines.

import { useState } from "react";

import { ApiError, api } from "../../api";
import { useAuth } from "../../auth";
import { ErrorBox } from "../../feedback";
import { currency, fractionAsPercent, percent } from "../../format";
import { useApi } from "../../hooks";
import {
  type MarkdownCandidateFigures,
  type MarkdownLine,
  candidateRows,
  decisionBody,
  elasticityText,
  fromProjection,
  projectionQuery,
  readDepth,
  totalMargin,
} from "../../markdown";
import { signedDollars } from "../../stock";
import type { Approval, MarkdownProjection } from "../../types";
import type { SeasonContext } from "../SeasonPage";

type Figures = Record<string, MarkdownCandidateFigures>;

function LineTable({ line, typed, figures }: { line: MarkdownLine; typed: number | null; figures: MarkdownCandidateFigures | null }) {
  return (
    <table className="table compact" data-testid={`markdown-line-${line.category_code}`}>
      <thead>
        <tr>
          <th>Depth</th>
          <th>Sell-through</th>
          <th>Leftover</th>
          <th>Revenue</th>
          <th>Season margin</th>
          <th>vs no markdown</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {candidateRows(line, typed, figures).map((row) => (
          <tr key={row.percentage} className={row.typed ? "chosen" : undefined} data-depth={row.percentage}>
            <td>{percent(row.percentage)}</td>
            <td>{fractionAsPercent(row.sell_through)}</td>
            <td>{Math.round(row.leftover_units).toLocaleString()}</td>
            <td>{currency(row.revenue)}</td>
            <td>{currency(row.season_margin)}</td>
            <td>{signedDollars(row.margin_gain)}</td>
            <td className="small">
              {[row.recommended && "best for margin", row.rule && "rule", row.typed && "chosen"].filter(Boolean).join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MarkdownLines({
  season,
  lines,
  approval,
}: {
  season: SeasonContext;
  lines: MarkdownLine[];
  approval: Approval;
}) {
  const { me } = useAuth();
  const decided = approval.status === "decided";
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const depths: Record<string, number> = {};
  const problems: string[] = [];
  for (const line of lines) {
    const fallback = decided ? (approval.decided_lines?.[line.category_code] ?? line.percentage) : line.percentage;
    const text = texts[line.category_code];
    if (text === undefined) depths[line.category_code] = fallback;
    else {
      const read = readDepth(text, line);
      if (read.error !== null) problems.push(read.error);
      else depths[line.category_code] = read.depth;
    }
  }
  const query = projectionQuery(depths, lines);
  const { data: projection } = useApi<MarkdownProjection>(
    query ? `/api/workflows/${season.id}/markdowns/projection?${query}` : null,
    season.version,
  );
  const typed: Figures = {};
  for (const c of projection?.categories ?? []) typed[c.category_code] = fromProjection(c);
  const body = decisionBody(season.id, lines, depths, reason);
  const margin = totalMargin(lines, depths, typed);
  const needsReason = body.action === "modify" && reason.trim() === "";

  async function decide() {
    setBusy(true);
    setError(null);
    try {
      await api.post("/api/approvals/markdown", body);
      setConfirming(false);
      season.refresh();
    } catch (e) {
      setConfirming(false);
      setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div data-testid="markdown-lines">
      <h3>By category: each its own depth for margin</h3>
      {lines.map((line) => (
        <div key={line.category_code} className="markdown-line">
          <h4>
            {line.category_code}: sell-through {fractionAsPercent(line.sell_through)} against {fractionAsPercent(line.target, 0)}; best for
            margin {percent(line.percentage)}, the rule's {percent(line.rule_percentage)} (cap {percent(line.max_percentage)})
          </h4>
          <p className="small muted">Demand's price elasticity {elasticityText(line)}</p>
          {!decided && me?.can_approve && (
            <label>
              Depth for {line.category_code} (%)
              <input
                name={`depth-${line.category_code}`}
                inputMode="decimal"
                value={texts[line.category_code] ?? String(depths[line.category_code] ?? line.percentage)}
                onChange={(e) => setTexts({ ...texts, [line.category_code]: e.target.value })}
              />
            </label>
          )}
          <LineTable line={line} typed={depths[line.category_code] ?? null} figures={typed[line.category_code] ?? null} />
        </div>
      ))}
      <p data-testid="lines-margin">
        Expected season margin at these depths: <b>{currency(margin)}</b>
      </p>
      {problems.map((p) => (
        <p key={p} className="error small">
          {p}
        </p>
      ))}
      {!decided && me?.can_approve && (
        <div className="decision">
          {body.action === "modify" && (
            <label>
              Reason (recorded with your name)
              <textarea name="lines-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
          )}
          {confirming ? (
            <div className="row gap" data-testid="lines-confirm-panel">
              <b>
                Mark down{" "}
                {lines.map((l) => `${l.category_code} ${percent(depths[l.category_code] ?? l.percentage)}`).join(", ")}? It cannot be taken back
                this season.
              </b>
              <button onClick={() => void decide()} disabled={busy} data-testid="lines-confirm">
                Yes, commit
              </button>
              <button className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
                Go back
              </button>
            </div>
          ) : (
            <button onClick={() => setConfirming(true)} disabled={busy || problems.length > 0 || needsReason} data-testid="lines-submit">
              {body.action === "accept" ? "Accept the depths by category…" : "Decide these depths…"}
            </button>
          )}
        </div>
      )}
      {error && <ErrorBox error={error} what="the decision" controls={{ reason: "Reason" }} />}
    </div>
  );
}
