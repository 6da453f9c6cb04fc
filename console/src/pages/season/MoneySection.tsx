import { useState } from "react";

import { fractionAsPercent, units } from "../../format";
import { type MarkdownMargin, type SeasonMoney, bestDepth, moneyLines, moneyValue, signedDollars } from "../../stock";

/** The report's money: planned (the buy's plan) vs actual (the weeks in) vs projected. */
export function MoneySection({ money }: { money: SeasonMoney | null | undefined }) {
  const [category, setCategory] = useState("TOTAL");
  if (!money) return null;
  const lines = moneyLines(money).filter((l) => l.category === category);
  const codes = ["TOTAL", ...money.projected.by_category.map((c) => c.category_code)];
  return (
    <div data-testid="report-money">
      <div className="row between">
        <h3>Money</h3>
        <select value={category} onChange={(e) => setCategory(e.target.value)} name="money-category">
          {codes.map((c) => (
            <option key={c} value={c}>
              {c === "TOTAL" ? "All categories" : c}
            </option>
          ))}
        </select>
      </div>
      <p className="muted small">
        Planned: the plan the order was decided on. Actual: weeks 1–{money.weeks_in} as sold, leftover = the stock held now.
        Projected: the weeks in, then the forward plan with the decided markdown, leftover cleared at salvage value.
      </p>
      <table className="table compact" data-testid="money-table">
        <thead>
          <tr>
            <th></th>
            <th>Planned</th>
            <th>Actual (weeks 1–{money.weeks_in})</th>
            <th>Projected</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.measure} className={l.measure === "season_margin" ? "total" : ""}>
              <td>{l.label}</td>
              <td>{moneyValue(l.measure, l.planned)}</td>
              <td>{moneyValue(l.measure, l.actual)}</td>
              <td>{moneyValue(l.measure, l.projected)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Projected by category</h3>
      <table className="table compact" data-testid="money-categories">
        <thead>
          <tr>
            <th>Category</th>
            <th>Sold</th>
            <th>Lost sales</th>
            <th>Leftover</th>
            <th>Sell-through</th>
            <th>Revenue</th>
            <th>Gross margin</th>
            <th>Markdown cost</th>
            <th>Leftover value</th>
            <th>Season margin</th>
            <th>GMROI</th>
          </tr>
        </thead>
        <tbody>
          {[...money.projected.by_category, money.projected.total].map((m) => (
            <tr key={m.category_code} className={m.category_code === "TOTAL" ? "total" : ""}>
              <td>{m.category_code === "TOTAL" ? "All categories" : m.category_code}</td>
              <td>{units(m.units_sold)}</td>
              <td>{units(m.lost_sales)}</td>
              <td>{units(m.leftover_units)}</td>
              <td>{fractionAsPercent(m.sell_through_fraction)}</td>
              <td>{moneyValue("revenue", m.revenue)}</td>
              <td>{moneyValue("gross_margin", m.gross_margin)}</td>
              <td>{moneyValue("markdown_cost", m.markdown_cost)}</td>
              <td>{moneyValue("leftover_value", m.leftover_value)}</td>
              <td>{moneyValue("season_margin", m.season_margin)}</td>
              <td>{moneyValue("gmroi", m.gmroi)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {money.missing.length > 0 && (
        <div className="warning small" data-testid="money-missing">
          <p>Some figures show “–” because reference data is missing (upload categories.csv with the cost and salvage value):</p>
          <ul>
            {money.missing.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** What the markdown does to the season's margin, and every depth to the cap. */
export function MarkdownMarginPanel({ projection }: { projection: MarkdownMargin }) {
  if (projection.baseline_season_margin === undefined && !projection.candidates?.length) return null;
  const best = bestDepth(projection);
  const gain = projection.margin_gain;
  return (
    <div data-testid="markdown-margin">
      <h3>Season margin</h3>
      <div className="figures">
        <div>
          <span className="label">Without markdown</span>
          <span className="big">{moneyValue("season_margin", projection.baseline_season_margin)}</span>
        </div>
        <div>
          <span className="label">With {projection.markdown_pct}%</span>
          <span className="big">{moneyValue("season_margin", projection.projected_season_margin)}</span>
        </div>
        <div>
          <span className="label">What the markdown gains</span>
          <span className={`big ${gain !== null && gain !== undefined && gain < 0 ? "warning" : "ok"}`} data-testid="margin-gain">
            {signedDollars(gain)}
          </span>
        </div>
      </div>
      {gain !== null && gain !== undefined && gain < 0 && (
        <p className="warning small">This depth lowers the expected season margin against no markdown.</p>
      )}
      {(projection.candidates?.length ?? 0) > 0 && (
        <table className="table compact" data-testid="markdown-candidates">
          <thead>
            <tr>
              <th>Depth</th>
              <th>Sell-through</th>
              <th>Revenue</th>
              <th>Season margin</th>
              <th>Leftover</th>
              <th>Lost sales</th>
            </tr>
          </thead>
          <tbody>
            {projection.candidates?.map((c) => (
              <tr key={c.markdown_pct} className={c.markdown_pct === best ? "best-depth" : ""}>
                <td>
                  {c.markdown_pct}%{c.markdown_pct === best ? " ★ best for margin" : ""}
                </td>
                <td>{fractionAsPercent(c.sell_through_fraction)}</td>
                <td>{moneyValue("revenue", c.revenue)}</td>
                <td>{moneyValue("season_margin", c.season_margin)}</td>
                <td>{units(c.leftover_units)}</td>
                <td>{units(c.lost_sales)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
