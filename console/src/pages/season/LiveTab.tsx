import { useState } from "react";

import { type Step, feedSteps } from "../../feed";
import type { FeedStatus } from "../../live";
import { formatTime } from "../../locale";
import { plainWords } from "../../messages";
import type { LiveMessage } from "../../types";

function time(timestamp?: string): string {
  return timestamp ? formatTime(timestamp) : "";
}

const MARKS: Record<Step["kind"], string> = {
  working: "…",
  done: "✓",
  needed: "!",
  decided: "✓",
  event: "·",
  error: "✗",
  complete: "★",
};

function StepLine({ step }: { step: Step }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={`step step-${step.kind}`} data-testid="step">
      <div className="step-head">
        <span className="t">{time(step.timestamp)}</span>
        <span className="mark">{MARKS[step.kind]}</span>
        <span className="agent">{step.who}</span>
        <span className="text">{step.headline}</span>
        {step.detail.length > 1 || (step.detail.length === 1 && step.kind === "needed") ? (
          <button className="link small" onClick={() => setOpen(!open)} data-testid="step-toggle">
            {open ? "hide the detail" : `detail (${step.detail.length})`}
          </button>
        ) : null}
      </div>
      {/* Folded, the detail is still in the page: every event the feed received is listed. */}
      <ol className="detail" hidden={!open}>
        {step.detail.map((m, i) => (
          <li key={m.event_id ?? `c${i}`} data-event-id={m.event_id ?? ""} className={`msg msg-${m.type}`}>
            <span className="t">{time(m.timestamp)}</span>
            <span className="agent">{m.agent ?? "System"}</span>
            <span className="text">{plainWords(m.message ?? m.code ?? "")}</span>
          </li>
        ))}
      </ol>
    </li>
  );
}

export function LiveTab({ messages, status }: { messages: LiveMessage[]; status: FeedStatus }) {
  const steps = feedSteps(messages).reverse();
  return (
    <div className="card">
      <div className="row between">
        <h2>What happened</h2>
        <span className="muted small">
          {steps.length} steps · {status === "live" ? "live" : status}
        </span>
      </div>
      {steps.length === 0 && <p className="muted">Waiting for the first event…</p>}
      <ol className="feedlist" data-testid="feed">
        {steps.map((s) => (
          <StepLine key={s.id} step={s} />
        ))}
      </ol>
    </div>
  );
}
