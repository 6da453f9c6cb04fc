import type { Approval } from "./types";

/**
 * The approval of `kind` that can be decided or was decided, and the proposals it replaced
 * (newest first): a forecast override made while the order awaits its decision supersedes
 * the pending proposal with a new one (docs/overrides.md); the superseded ones stay listed.
 */
export function openApproval(approvals: Approval[] | undefined, kind: Approval["kind"]): { open: Approval | undefined; superseded: Approval[] } {
  const mine = (approvals ?? []).filter((a) => a.kind === kind);
  return {
    open: mine.find((a) => a.status !== "superseded"),
    superseded: mine.filter((a) => a.status === "superseded").reverse(),
  };
}

/** "The earlier proposal of 75,845 units was superseded: forecast override by pat: cold spring." */
export function supersededNote(earlier: Approval, unit: string): string {
  const amount = `${Math.round(earlier.proposed_value).toLocaleString("en-US")} ${unit}`;
  return `The earlier proposal of ${amount} was superseded${earlier.reason ? `: ${earlier.reason}` : ""}.`;
}
