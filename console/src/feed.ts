// The live feed at the planner's level: one line per step (what happened, what is needed and
// from whom), the agents' own work (tool calls, progress, bookkeeping events) folded under the
// step it belongs to, one click away.

import { plainWords } from "./messages";
import type { LiveMessage } from "./types";

export type StepKind = "working" | "done" | "needed" | "decided" | "event" | "error" | "complete";

export interface Step {
  id: string;
  kind: StepKind;
  who: string;
  /** The sentence shown: what happened, or what is needed. */
  headline: string;
  /** Who must act next, when the step waits for someone. */
  needs: "approver" | "planner" | null;
  timestamp?: string;
  detail: LiveMessage[];
}

// Events a planner reads as a step of the season; any other event without an agent is
// bookkeeping (state changes, commands sent) and goes under the step before it.
const PLANNER_EVENTS = new Set([
  "workflow.requested",
  "workflow.reforecast_requested",
  "workflow.cancel_requested",
  "workflow.cancelled",
  "extraction.completed",
  "forecast.completed",
  "allocation.completed",
  "actuals.uploaded",
  "variance.checked",
  "sell_through.computed",
  "approval.decided",
  "approval.decision_refused",
]);

// Services that report progress without a start and end with a result event (forecast.completed,
// extraction.completed): their progress is work under way until that event.
const SERVICES = new Set(["forecast", "extraction"]);

const NEEDED: Record<string, string> = {
  manufacturing: "the manufacturing order",
  markdown: "the markdown",
};

function sentence(text: string): string {
  const t = plainWords(text).trim();
  return t ? t[0].toUpperCase() + t.slice(1) : t;
}

function figure(value: unknown, unit: string): string {
  return typeof value === "number" ? `${value.toLocaleString()}${unit}` : "";
}

function neededHeadline(m: LiveMessage): string {
  const kind = String(m.kind ?? "");
  const data = (m.data ?? {}) as Record<string, unknown>;
  const proposed =
    kind === "manufacturing" ? figure(data.quantity, " units") : kind === "markdown" ? figure(data.percentage, "%") : "";
  return `An approver's decision is needed on ${NEEDED[kind] ?? kind}${proposed ? ` (proposed: ${proposed})` : ""}`;
}

/** The messages in the order they happened: after a dropped connection the replay may deliver
 * some after later ones. A message without a time keeps its place after the one before it. */
function inOrder(messages: LiveMessage[]): LiveMessage[] {
  let last = 0;
  const timed = messages.map((m, i) => {
    const t = m.timestamp ? Date.parse(m.timestamp) : Number.NaN;
    if (!Number.isNaN(t)) last = t;
    return { m, t: Number.isNaN(t) ? last : t, i };
  });
  return timed.sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.m);
}

/** The first sentence of an agent's summary: the rest is in the step's detail. */
export function firstSentence(text: string): string {
  const end = text.search(/[.;]\s+(?=[A-Z])/);
  return end > 0 ? `${text.slice(0, end)}.` : text;
}

/** The messages (oldest first) as planner-level steps (oldest first). */
export function feedSteps(messages: LiveMessage[]): Step[] {
  const steps: Step[] = [];
  const open = new Map<string, Step>(); // an agent's step under way, by agent key
  const push = (step: Step) => {
    steps.push(step);
    return step;
  };
  const base = (m: LiveMessage, kind: StepKind, headline: string, needs: Step["needs"] = null): Step => ({
    id: m.event_id ?? `${steps.length}`,
    kind,
    who: m.agent ?? "System",
    headline,
    needs,
    timestamp: m.timestamp,
    detail: [],
  });

  for (const m of inOrder(messages)) {
    const agentKey = typeof m.agent_key === "string" ? m.agent_key : null;
    if (m.type === "human_input_required") {
      const step = push(base(m, "needed", neededHeadline(m), "approver"));
      step.who = "Approver";
      step.detail.push(m);
      continue;
    }
    if (m.type === "workflow_complete") {
      push(base(m, "complete", sentence(m.message ?? "The season is complete"))).detail.push(m);
      continue;
    }
    if (m.type === "error") {
      push(base(m, "error", sentence(m.message ?? "A step failed"))).detail.push(m);
      continue;
    }
    if (agentKey === "orchestrator" && m.type === "agent_progress") {
      // The orchestrator's routing ("Handed propose_manufacturing to the inventory agent") is
      // how the work got to an agent, not a step of the season: under the step before it.
      const last = steps.at(-1);
      if (last) last.detail.push(m);
      else push(base(m, "event", sentence(m.message ?? ""))).detail.push(m);
      continue;
    }
    if (agentKey && (m.type === "agent_started" || m.type === "agent_progress" || m.type === "agent_completed")) {
      let step = open.get(agentKey);
      if (!step && m.type === "agent_progress" && !SERVICES.has(agentKey)) {
        // An agent's word outside a run ("Sell-through 35% meets the target 20%: no markdown
        // needed") is a step of its own, not work under way.
        push(base(m, "event", sentence(m.message ?? ""))).detail.push(m);
        continue;
      }
      if (!step) {
        step = push(base(m, "working", `${m.agent ?? agentKey} is at work: ${plainWords(m.message ?? "")}`));
        open.set(agentKey, step);
      }
      step.detail.push(m);
      if (m.type === "agent_completed") {
        step.kind = "done";
        step.headline = firstSentence(sentence(m.message ?? `${m.agent} finished`));
        step.timestamp = m.timestamp;
        open.delete(agentKey);
      }
      continue;
    }
    if (m.event_type && PLANNER_EVENTS.has(m.event_type)) {
      // A service's result closes the work it showed under way (the forecast engine's fits).
      const working = [...open.entries()].find(([, step]) => step.who === m.agent);
      if (working) {
        const [key, step] = working;
        step.kind = "done";
        step.headline = sentence(m.message ?? m.event_type);
        step.timestamp = m.timestamp;
        step.detail.push(m);
        open.delete(key);
        continue;
      }
      const kind: StepKind = m.event_type === "approval.decided" ? "decided" : "event";
      push(base(m, kind, sentence(m.message ?? m.event_type))).detail.push(m);
      continue;
    }
    // Bookkeeping: under the latest step, or a first step of its own.
    const last = steps.at(-1);
    if (last) last.detail.push(m);
    else push(base(m, "event", sentence(m.message ?? m.type))).detail.push(m);
  }
  return steps;
}

/** What the season waits for now, from the feed: the last step that needs someone, if nothing
 * came after it but bookkeeping. */
export function waitingStep(steps: Step[]): Step | null {
  const last = steps.at(-1);
  return last && last.kind === "needed" ? last : null;
}
