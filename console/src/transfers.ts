import { LOCALE, parseNumber } from "./locale";

// Transfers: the week's proposed moves (DC releases and store-to-store), edited by an approver
// before deciding. The checks here mirror the server's (docs/transfers.md) so a bad edit is
// named while it is typed; the server checks again and answers 422 with the move it refuses.

export interface TransferMove {
  category: string;
  from_location: string;
  to_store: string;
  units: number;
  ship_week: number;
  arrival_week: number;
  margin_saved: number;
  why: string;
}

/** What a location may give of a category this week (the rules' limit). */
export interface TransferDonor {
  category: string;
  location: string;
  max_units: number;
  stock: number;
}

export interface TransferPlan {
  week_number: number;
  status: "proposed" | "approved" | "rejected" | "superseded" | string;
  strategy: string;
  moves: TransferMove[];
  approved_moves: TransferMove[];
  units: number;
  donors?: TransferDonor[];
  lost_sales_before: number;
  lost_sales_after: number;
  margin_saved: number;
  transfer_cost_per_unit: number;
  rationale: string;
  decided_by: string | null;
  reason: string | null;
  decided_at: string | null;
  created_at: string;
}

export interface TransfersView {
  workflow_id: string;
  strategy: string;
  projected_lost_sales: number | null;
  proposals: TransferPlan[];
}

/** A row of the edit: a proposed move with the units the approver keeps (0 drops it), and
 * the text typed for them (NaN units while it is not a number). */
export interface EditedMove {
  move: TransferMove;
  units: number;
  text?: string;
}

/** Units typed for a move, read in the browser's locale ("1,200" is 1200, never "1.5" as 15). */
export function typedUnits(edit: EditedMove, text: string, locale: string = LOCALE): EditedMove {
  const parsed = parseNumber(text, locale);
  return { ...edit, text, units: parsed.value ?? Number.NaN };
}

export const MIN_UNITS = 50;
export const MAX_UNITS = 300;

/** The proposal open for a decision, if any (the newest week's, while proposed). */
export function openProposal(view: TransfersView | null | undefined): TransferPlan | null {
  const newest = view?.proposals[0];
  return newest && newest.status === "proposed" ? newest : null;
}

export function startEdit(plan: TransferPlan): EditedMove[] {
  return plan.moves.map((move) => ({ move, units: move.units }));
}

/** Why the edit cannot be sent, one line per problem; empty when it can. A donor may give up
 * to its limit this week (30 % of a store's stock, the DC above 20 % of its holdback), as the
 * server checks; where the proposal carries no limits, up to what the proposal had it give. */
export function editProblems(edits: EditedMove[], donors: TransferDonor[] = []): string[] {
  const problems: string[] = [];
  const given = new Map<string, number>();
  const proposed = new Map<string, number>();
  const limits = new Map(donors.map((d) => [`${d.category} from ${d.location}`, d.max_units]));
  edits.forEach(({ move, units, text }) => {
    const key = `${move.category} from ${move.from_location}`;
    proposed.set(key, (proposed.get(key) ?? 0) + move.units);
    if (Number.isNaN(units)) {
      problems.push(`${move.category} ${move.from_location} → ${move.to_store}: “${(text ?? "").trim()}” is not a number of units`);
      return;
    }
    if (units === 0) return;
    if (!Number.isInteger(units) || units < MIN_UNITS || units > MAX_UNITS)
      problems.push(`${move.category} ${move.from_location} → ${move.to_store}: ${units} units is outside ${MIN_UNITS}–${MAX_UNITS} a move (0 drops it)`);
    given.set(key, (given.get(key) ?? 0) + units);
  });
  given.forEach((units, key) => {
    const limit = limits.get(key);
    if (limit !== undefined) {
      if (units > limit) problems.push(`${key}: ${units} units is more than the ${limit} it may give this week`);
      return;
    }
    const cap = proposed.get(key) ?? 0;
    if (units > cap) problems.push(`${key}: ${units} units is more than the ${cap} proposed`);
  });
  return problems;
}

/** The edit as the API's `moves` (dropped moves left out). */
export function editedMoves(edits: EditedMove[]) {
  return edits
    .filter((e) => e.units > 0 && Number.isInteger(e.units))
    .map(({ move, units }) => ({ category: move.category, from_location: move.from_location, to_store: move.to_store, units }));
}

/** Units and margin saved of the edit, the margin scaled to the units kept. */
export function editTotals(edits: EditedMove[]): { units: number; margin: number; moves: number } {
  let units = 0;
  let margin = 0;
  let moves = 0;
  for (const { move, units: kept } of edits) {
    if (!(kept > 0)) continue; // dropped, or not a number yet
    moves += 1;
    units += kept;
    margin += move.units > 0 ? (move.margin_saved * Math.min(kept, move.units)) / move.units : 0;
  }
  return { units, margin, moves };
}

export function sourceLabel(location: string): string {
  return location === "DC" ? "DC (release)" : location;
}

const STRATEGIES: Record<string, string> = {
  hybrid: "DC releases and store-to-store moves",
  dc_only: "DC releases only",
  none: "no transfers",
};

/** The season's transfer strategy as the new-season form offers it, not its API spelling. */
export function strategyLabel(strategy: string): string {
  return STRATEGIES[strategy] ?? strategy.replace(/_/g, " ");
}

const STATUSES: Record<string, string> = {
  proposed: "waiting for a decision",
  approved: "approved",
  rejected: "rejected",
  superseded: "not decided (a later week's proposal replaced it)",
};

/** A proposal's status in words. */
export function statusLabel(status: string): string {
  return STATUSES[status] ?? status.replace(/_/g, " ");
}

/** The edit's totals in a sentence: "1 move, 50 units, margin saved $2,675". */
export function totalsLine(totals: { units: number; margin: number; moves: number }, locale: string = LOCALE): string {
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  return `${count.format(totals.moves)} ${totals.moves === 1 ? "move" : "moves"}, ${count.format(totals.units)} units, margin saved ${money.format(totals.margin)}`;
}
