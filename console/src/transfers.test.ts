import { describe, expect, it } from "vitest";

import { type TransferMove, type TransferPlan, editedMoves, editProblems, editTotals, openProposal, startEdit } from "./transfers";

function move(over: Partial<TransferMove>): TransferMove {
  return {
    category: "OUTW",
    from_location: "DC",
    to_store: "S001",
    units: 200,
    ship_week: 4,
    arrival_week: 5,
    margin_saved: 9000,
    why: "S001 sells 1.40x its plan",
    ...over,
  };
}

function plan(status: string, moves: TransferMove[]): TransferPlan {
  return {
    week_number: 4,
    status,
    strategy: "hybrid",
    moves,
    approved_moves: [],
    units: moves.reduce((s, m) => s + m.units, 0),
    lost_sales_before: 5000,
    lost_sales_after: 4000,
    margin_saved: 12000,
    transfer_cost_per_unit: 1.5,
    rationale: "",
    decided_by: null,
    reason: null,
    decided_at: null,
    created_at: "2026-03-30T00:00:00Z",
  };
}

describe("transfers", () => {
  const proposal = plan("proposed", [move({}), move({ from_location: "S020", to_store: "S002", units: 100, margin_saved: 4000 })]);

  it("offers only the newest proposal while it is undecided", () => {
    expect(openProposal({ workflow_id: "w", strategy: "hybrid", projected_lost_sales: 1, proposals: [proposal] })).toBe(proposal);
    expect(openProposal({ workflow_id: "w", strategy: "hybrid", projected_lost_sales: 1, proposals: [plan("approved", [])] })).toBeNull();
  });

  it("accepts the proposal as it is and drops a move set to 0", () => {
    const edits = startEdit(proposal);
    expect(editProblems(edits)).toEqual([]);
    edits[1].units = 0;
    expect(editedMoves(edits)).toEqual([{ category: "OUTW", from_location: "DC", to_store: "S001", units: 200 }]);
    expect(editTotals(edits)).toEqual({ units: 200, margin: 9000, moves: 1 });
  });

  it("names a move outside 50-300 units and a donor giving more than proposed", () => {
    const edits = startEdit(proposal);
    edits[0].units = 30;
    expect(editProblems(edits)[0]).toContain("outside 50–300");
    edits[0].units = 250;
    expect(editProblems(edits)).toEqual(["OUTW from DC: 250 units is more than the 200 proposed"]);
  });

  it("scales the margin saved to the units kept", () => {
    const edits = startEdit(proposal);
    edits[0].units = 100;
    expect(editTotals(edits).margin).toBe(4500 + 4000);
  });
});
