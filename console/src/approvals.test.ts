import { describe, expect, it } from "vitest";

import { openApproval, supersededNote } from "./approvals";
import type { Approval } from "./types";

function approval(over: Partial<Approval>): Approval {
  return {
    approval_id: "a",
    workflow_id: "w",
    created_at: "2026-03-02T09:00:00Z",
    kind: "manufacturing",
    status: "pending",
    proposal: {},
    proposed_value: 75845,
    min_value: 60000,
    max_value: 90000,
    action: null,
    decided_value: null,
    reason: null,
    decided_by: null,
    decided_at: null,
    ...over,
  };
}

describe("the approval a form decides", () => {
  it("is the new proposal once an override superseded the pending one", () => {
    const old = approval({ approval_id: "old", status: "superseded", reason: "forecast override by pat: cold spring" });
    const fresh = approval({ approval_id: "new", proposed_value: 77010 });
    const markdown = approval({ approval_id: "md", kind: "markdown" });
    const { open, superseded } = openApproval([old, markdown, fresh], "manufacturing");
    expect(open?.approval_id).toBe("new");
    expect(superseded.map((a) => a.approval_id)).toEqual(["old"]);
    expect(supersededNote(superseded[0], "units")).toBe("The earlier proposal of 75,845 units was superseded: forecast override by pat: cold spring.");
  });

  it("is the only one when nothing was superseded, decided or not", () => {
    const decided = approval({ status: "decided" });
    expect(openApproval([decided], "manufacturing")).toEqual({ open: decided, superseded: [] });
    expect(openApproval(undefined, "manufacturing")).toEqual({ open: undefined, superseded: [] });
  });
});
