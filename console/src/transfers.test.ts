import { describe, expect, it } from "vitest";

import {
  type TransferMove,
  type TransferPlan,
  editedMoves,
  editProblems,
  editTotals,
  openProposal,
  startEdit,
  statusLabel,
  strategyLabel,
  totalsLine,
  typedUnits,
} from "./transfers";

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

describe("transfers as typed and said", () => {
  const proposal = plan("proposed", [move({}), move({ from_location: "S020", to_store: "S002", units: 100, margin_saved: 4000 })]);

  it("reads units as the page writes numbers, never a decimal as a larger whole", () => {
    const [first] = startEdit(proposal);
    expect(typedUnits(first, "150", "en-US").units).toBe(150);
    expect(typedUnits(first, "1,200", "en-US").units).toBe(1200);
    // "80.5" once became 805 units (every non-digit dropped); now it is 80.5, refused as a move.
    const decimal = typedUnits(first, "80.5", "en-US");
    expect(decimal.units).toBe(80.5);
    expect(editProblems([decimal])).toEqual(["OUTW DC → S001: 80.5 units is outside 50–300 a move (0 drops it)"]);
  });

  it("names a text that is not a number, sends nothing for it and counts none of it", () => {
    const [first, second] = startEdit(proposal);
    const typed = typedUnits(first, "lots", "en-US");
    expect(typed.units).toBeNaN();
    expect(editProblems([typed, second])).toEqual(["OUTW DC → S001: “lots” is not a number of units"]);
    expect(editedMoves([typed, second])).toEqual([{ category: "OUTW", from_location: "S020", to_store: "S002", units: 100 }]);
    expect(editTotals([typed, second])).toEqual({ units: 100, margin: 4000, moves: 1 });
  });

  it("says the strategy and a proposal's status in words, not their API spellings", () => {
    expect(strategyLabel("dc_only")).toBe("DC releases only");
    expect(strategyLabel("hybrid")).toBe("DC releases and store-to-store moves");
    expect(strategyLabel("none")).toBe("no transfers");
    expect(statusLabel("superseded")).toBe("not decided (a later week's proposal replaced it)");
    expect(statusLabel("approved")).toBe("approved");
  });
});

describe("a donor's limit", () => {
  const donors = [
    { category: "OUTW", location: "DC", max_units: 364, stock: 1595 },
    { category: "OUTW", location: "S020", max_units: 120, stock: 400 },
  ];
  const proposal = plan("proposed", [move({ units: 50 }), move({ from_location: "S020", to_store: "S002", units: 100, margin_saved: 4000 })]);

  it("lets a move grow up to what its donor may give this week, as the server checks", () => {
    const [dc, store] = startEdit(proposal);
    // Once refused: the 50 units the proposal moved were taken for the DC's limit.
    expect(editProblems([typedUnits(dc, "200", "en-US"), store], donors)).toEqual([]);
    expect(editProblems([typedUnits(dc, "300", "en-US"), typedUnits(store, "150", "en-US")], donors)).toEqual([
      "OUTW from S020: 150 units is more than the 120 it may give this week",
    ]);
  });

  it("falls back on what the proposal moved when the limits are not known", () => {
    const [dc] = startEdit(proposal);
    expect(editProblems([typedUnits(dc, "60", "en-US")])).toEqual(["OUTW from DC: 60 units is more than the 50 proposed"]);
  });
});

describe("the edit's totals", () => {
  it("counts one move as one move", () => {
    expect(totalsLine({ moves: 1, units: 50, margin: 2675 }, "en-US")).toBe("1 move, 50 units, margin saved $2,675");
    expect(totalsLine({ moves: 2, units: 1250, margin: 12000.4 }, "en-US")).toBe("2 moves, 1,250 units, margin saved $12,000");
  });
});
