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

export interface TransferPlan {
  week_number: number;
  status: "proposed" | "approved" | "rejected" | "superseded" | string;
  strategy: string;
  moves: TransferMove[];
  approved_moves: TransferMove[];
  units: number;
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

/** A row of the edit: a proposed move with the units the approver keeps (0 drops it). */
export interface EditedMove {
  move: TransferMove;
  units: number;
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

/** Why the edit cannot be sent, one line per problem; empty when it can. A donor may not give
 * more in total than the proposal had it give (its 30 % or the DC's floor bound it). */
export function editProblems(edits: EditedMove[]): string[] {
  const problems: string[] = [];
  const given = new Map<string, number>();
  const proposed = new Map<string, number>();
  edits.forEach(({ move, units }) => {
    const key = `${move.category} from ${move.from_location}`;
    proposed.set(key, (proposed.get(key) ?? 0) + move.units);
    if (units === 0) return;
    if (!Number.isInteger(units) || units < MIN_UNITS || units > MAX_UNITS)
      problems.push(`${move.category} ${move.from_location} → ${move.to_store}: ${units} units is outside ${MIN_UNITS}–${MAX_UNITS} a move (0 drops it)`);
    given.set(key, (given.get(key) ?? 0) + units);
  });
  given.forEach((units, key) => {
    const cap = proposed.get(key) ?? 0;
    if (units > cap) problems.push(`${key}: ${units} units is more than the ${cap} proposed`);
  });
  return problems;
}

/** The edit as the API's `moves` (dropped moves left out). */
export function editedMoves(edits: EditedMove[]) {
  return edits
    .filter((e) => e.units > 0)
    .map(({ move, units }) => ({ category: move.category, from_location: move.from_location, to_store: move.to_store, units }));
}

/** Units and margin saved of the edit, the margin scaled to the units kept. */
export function editTotals(edits: EditedMove[]): { units: number; margin: number; moves: number } {
  let units = 0;
  let margin = 0;
  let moves = 0;
  for (const { move, units: kept } of edits) {
    if (kept <= 0) continue;
    moves += 1;
    units += kept;
    margin += move.units > 0 ? (move.margin_saved * Math.min(kept, move.units)) / move.units : 0;
  }
  return { units, margin, moves };
}

export function sourceLabel(location: string): string {
  return location === "DC" ? "DC (release)" : location;
}
