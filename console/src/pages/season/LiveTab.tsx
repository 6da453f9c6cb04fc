import type { FeedStatus } from "../../live";
import type { LiveMessage } from "../../types";

function time(timestamp?: string): string {
  return timestamp ? new Date(timestamp).toLocaleTimeString("en-GB") : "";
}

export function LiveTab({ messages, status }: { messages: LiveMessage[]; status: FeedStatus }) {
  const shown = [...messages].reverse();
  return (
    <div className="card">
      <div className="row between">
        <h2>Agent activity</h2>
        <span className="muted small">
          {messages.length} messages · {status === "live" ? "live" : status}
        </span>
      </div>
      {shown.length === 0 && <p className="muted">Waiting for the first event…</p>}
      <ol className="feedlist" data-testid="feed">
        {shown.map((m, i) => (
          <li key={m.event_id ?? `c${i}`} data-event-id={m.event_id ?? ""} className={`msg msg-${m.type}`}>
            <span className="t">{time(m.timestamp)}</span>
            <span className="agent">{m.agent ?? "System"}</span>
            <span className="kind">{m.type.replace(/_/g, " ")}</span>
            <span className="text">{m.message ?? m.code ?? ""}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
