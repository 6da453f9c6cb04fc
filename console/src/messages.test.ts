import { describe, expect, it } from "vitest";

import { ApiError } from "./api";
import { feedSteps, waitingStep } from "./feed";
import { checkpointLine, latestCheckpoint, niceTop, tooltipUnits } from "./format";
import { groupFileProblems, plainWords, plannerMessage } from "./messages";
import { commitment } from "./pages/season/Decision";
import type { LiveMessage } from "./types";

describe("every message in the planner's words", () => {
  it("names the control, not the API's field, and drops the validation library's text", () => {
    const error = new ApiError(422, "validation_error", "the request has 1 problem", [
      { field: "body", message: "Value error, action 'modify' needs a value" },
      { field: "body.value", message: "Input should be a valid number, unable to parse string as a number" },
    ]);
    const message = plannerMessage(error, "the decision", { value: "New value" });
    expect(message.summary).toBe("The decision was not sent: 2 things to fix.");
    expect(message.lines).toEqual(["Type the new value.", "New value: must be a number."]);
    const all = [message.summary, ...message.lines].join(" ");
    expect(all).not.toMatch(/body|Value error|action 'modify'|Input should/);
  });

  it("tells an incomplete week's remedy by the console's own checkbox", () => {
    const error = new ApiError(
      422,
      "incomplete_week",
      "week 5 is incomplete: 2 of 150 store/category pairs of the season have no row: (S001, DRES), (S002, DRES); " +
        "nothing was stored. Upload a row for every store and category of the season (units_sold 0 where nothing sold), " +
        "or send missing_as_zero=true if the missing ones sold nothing",
    );
    const { summary } = plannerMessage(error, "the upload");
    expect(summary).toContain("Week 5 is incomplete: 2 of 150 store and category pairs");
    expect(summary).toContain("tick “stores left out sold nothing”");
    expect(summary).not.toContain("missing_as_zero");
  });

  it("replaces enum spellings and flags in any sentence", () => {
    expect(plainWords("replenish bi_weekly from the DC")).toBe("replenish every two weeks from the DC");
    expect(plainWords("If the figures are right, send allow_implausible=true")).toBe(
      "If the figures are right, tick “the figures are right”",
    );
  });

  it("says what failed when the gateway is away, and not found as not found", () => {
    expect(plannerMessage(new ApiError(0, "network", "TypeError: Failed to fetch"), "loading the forecast").summary).toBe(
      "The gateway did not answer, so loading the forecast could not be sent or read. Check the connection and try again.",
    );
    expect(plannerMessage(new ApiError(404, "not_found", "workflow x not found"), "the season").summary).toBe(
      "The season was not found.",
    );
    expect(plannerMessage(new ApiError(503, "service_unavailable", "database down"), "the upload").summary).toContain(
      "Try again in a moment",
    );
  });
});

describe("a file's errors all at once, grouped by kind", () => {
  const details = [
    { row: 6, column: "store_code", message: "unknown store: load it with the stores first", value: "S999" },
    { row: 2, column: "units_sold", message: "must not be negative", value: "-4" },
    { row: 7, column: "category_code", message: "unknown category: load it with the categories first", value: "HATS" },
    { row: 5, column: "store_code, category_code, week_number", message: "same store_code, category_code and week_number as row 4", value: "S002 / DRES / 1" },
    { row: 3, column: "week_number", message: "must be a whole number", value: "one" },
  ];

  it("puts each kind in its group, in the order a planner fixes them, rows in order", () => {
    const groups = groupFileProblems(details);
    expect(groups.map((g) => g.kind)).toEqual(["values", "repeated", "stores", "categories"]);
    expect(groups[0].problems.map((p) => [p.row, p.column])).toEqual([
      [2, "units_sold"],
      [3, "week_number"],
    ]);
    expect(groups[0].problems[0].message).toBe("Must not be negative.");
    expect(groups[1].problems[0].message).toBe("The same store, category and week as row 4.");
    expect(groups[2].problems[0].message).toBe("S999 is not a known store: load it with the stores first.");
    expect(groups[3].problems[0].message).toBe("HATS is not a known category: load it with the categories first.");
  });

  it("keeps header and whole-file problems apart", () => {
    const groups = groupFileProblems([
      { row: 1, column: "units_sold", message: "required column is missing" },
      { row: null, column: null, message: "no row for this store and category", value: "S001,DRES" },
    ]);
    expect(groups.map((g) => g.kind)).toEqual(["file", "missing"]);
  });
});

describe("the checkpoint leaves a trace", () => {
  it("says a passed checkpoint as passed, without markdown", () => {
    expect(checkpointLine({ week_number: 8, sell_through: 0.652, target: 0.55, below_target: false })).toBe(
      "Checkpoint week 8: 65.2% against 55%, no markdown",
    );
    expect(checkpointLine({ week_number: 6, sell_through: 0.41, target: 0.6, below_target: true })).toBe(
      "Checkpoint week 6: 41.0% against 60%, below the target: markdown proposed",
    );
  });

  it("reads the newest stored sell-through event", () => {
    const payload = { week_number: 8, sell_through: 0.65, target: 0.55, below_target: false };
    expect(latestCheckpoint({ events: [{ envelope: { payload } }] })).toEqual(payload);
    expect(latestCheckpoint({ events: [] })).toBeNull();
  });
});

describe("charts", () => {
  it("fit the axis to the data with room above the highest point", () => {
    expect(niceTop([6524.6, 7460.3, 9100])).toBe(10000);
    expect(niceTop([null, 0])).toBe(1);
    expect(niceTop([120])).toBeGreaterThanOrEqual(120 * 1.08);
  });

  it("round tooltips as the tables do", () => {
    expect(tooltipUnits(6524.6)).toBe("6,525");
    expect(tooltipUnits([5588.8, 7460.3])).toBe("5,589 – 7,460");
  });
});

describe("the live feed at the planner's level", () => {
  const at = (n: number) => `2026-03-02T10:00:${String(n).padStart(2, "0")}Z`;
  const messages: LiveMessage[] = [
    { type: "agent_progress", event_id: "1", event_type: "workflow.requested", agent: "Gateway", message: "workflow requested by dev-planner", timestamp: at(1) },
    { type: "agent_progress", event_id: "2", event_type: "workflow.state_changed", agent: "Orchestrator", message: "state pending -> forecasting", timestamp: at(2) },
    { type: "agent_started", event_id: "3", event_type: "agent.started", agent: "Inventory Agent", agent_key: "inventory", message: "size the order", timestamp: at(3) },
    { type: "agent_progress", event_id: "4", event_type: "agent.progress", agent: "Inventory Agent", agent_key: "inventory", message: "Calling get_manufacturing_recommendation() to read the forecast", timestamp: at(4) },
    { type: "agent_completed", event_id: "5", event_type: "agent.completed", agent: "Inventory Agent", agent_key: "inventory", message: "order 75,845 units, replenish bi_weekly", timestamp: at(5) },
    { type: "human_input_required", event_id: "6", event_type: "approval.pending", agent: "Inventory Agent", agent_key: "inventory", kind: "manufacturing", data: { quantity: 75845 }, message: "the rationale", timestamp: at(6) },
  ];

  it("shows what happened and what is needed, the tool calls folded under their step", () => {
    const steps = feedSteps(messages);
    expect(steps.map((s) => s.kind)).toEqual(["event", "done", "needed"]);
    expect(steps[0].detail.map((m) => m.event_id)).toEqual(["1", "2"]); // the state change folded
    expect(steps[1].headline).toBe("Order 75,845 units, replenish every two weeks");
    expect(steps[1].who).toBe("Inventory Agent");
    expect(steps[1].detail.map((m) => m.event_id)).toEqual(["3", "4", "5"]);
    expect(steps[2].headline).toBe("An approver's decision is needed on the manufacturing order (proposed: 75,845 units)");
    expect(steps[2].needs).toBe("approver");
    expect(waitingStep(steps)?.id).toBe("6");
    // Nothing is lost: every message is under exactly one step.
    expect(steps.flatMap((s) => s.detail).length).toBe(messages.length);
  });

  it("folds the orchestrator's routing, closes a service's work with its result, and keeps the first sentence", () => {
    const steps = feedSteps([
      { type: "agent_progress", event_id: "a", agent: "Orchestrator", agent_key: "orchestrator", message: "Planning the season: reading what was given" },
      { type: "agent_progress", event_id: "b", agent: "Forecast Engine", agent_key: "forecast", message: "Fitting 5 models for 4 categories" },
      { type: "agent_progress", event_id: "c", event_type: "forecast.completed", agent: "Forecast Engine", message: "forecast run 1 (initial): season total 78,479 units" },
      { type: "agent_progress", event_id: "d", agent: "Orchestrator", agent_key: "orchestrator", message: "Routing review_forecast to the demand agent" },
      { type: "agent_completed", event_id: "e", agent: "Demand Agent", agent_key: "demand", message: "Forecast run 1: 78,479 units. By category: DRES 31,312 (40%)" },
    ]);
    expect(steps.map((s) => [s.kind, s.headline])).toEqual([
      ["event", "Planning the season: reading what was given"],
      ["done", "Forecast run 1 (initial): season total 78,479 units"],
      ["done", "Forecast run 1: 78,479 units."],
    ]);
    expect(steps[1].detail.map((m) => m.event_id)).toEqual(["b", "c", "d"]);
  });

  it("says an agent's word outside a run as a step of its own", () => {
    const steps = feedSteps([
      { type: "agent_progress", event_id: "p", agent: "Pricing Agent", agent_key: "pricing", message: "Sell-through 35% meets the target 20%: no markdown needed" },
    ]);
    expect(steps.map((s) => [s.kind, s.headline])).toEqual([["event", "Sell-through 35% meets the target 20%: no markdown needed"]]);
  });

  it("puts a replayed message back in the order it happened", () => {
    const late = messages.slice(0, 5).reverse();
    expect(feedSteps(late).map((s) => s.kind)).toEqual(["event", "done"]);
  });

  it("keeps an agent at work as a step under way", () => {
    const steps = feedSteps(messages.slice(2, 4));
    expect(steps).toHaveLength(1);
    expect(steps[0].kind).toBe("working");
    expect(steps[0].headline).toBe("Inventory Agent is at work: size the order");
  });
});

describe("an irreversible decision names what it commits", () => {
  const approval = {
    approval_id: "a",
    workflow_id: "w",
    created_at: "2027-04-12T08:00:00Z",
    kind: "markdown" as const,
    status: "pending" as const,
    proposal: { week_number: 6 },
    proposed_value: 15,
    min_value: 0,
    max_value: 40,
    action: null,
    decided_value: null,
    reason: null,
    decided_by: null,
    decided_at: null,
  };

  it("says the order's quantity and the markdown's depth and start", () => {
    expect(commitment("manufacturing", 82000, { ...approval, kind: "manufacturing" })).toBe(
      "Order 82,000 units from manufacturing? The stores' allocation starts from this quantity at once; the order cannot be changed afterwards.",
    );
    expect(commitment("markdown", 15, approval)).toBe(
      "Mark prices down by 15% from week 7 in every store? The markdown cannot be taken back this season.",
    );
  });
});
