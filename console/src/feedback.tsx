// How the console says that something went wrong: in the planner's words (messages.ts), with
// what failed and a way on (a retry, or back to the seasons).

import { Link } from "react-router-dom";

import type { ApiError } from "./api";
import { type ControlNames, plannerMessage } from "./messages";

export function ErrorBox({
  error,
  what,
  controls,
  onRetry,
  testId = "error",
}: {
  error: ApiError;
  what: string;
  controls?: ControlNames;
  onRetry?: () => void;
  testId?: string;
}) {
  const message = plannerMessage(error, what, controls);
  return (
    <div className="error" role="alert" data-testid={testId}>
      <p>{message.summary}</p>
      {message.lines.map((line, i) => (
        <p key={i} className="small">
          {line}
        </p>
      ))}
      {onRetry && (
        <button className="secondary" onClick={onRetry} data-testid="retry">
          Try again
        </button>
      )}
    </div>
  );
}

/** A read that failed: what it was, and a retry. A season that does not exist is not found. */
export function LoadFailed({ error, what, onRetry }: { error: ApiError; what: string; onRetry: () => void }) {
  if (error.status === 404) return <NotFound what={what} />;
  return <ErrorBox error={error} what={`loading the ${what}`} onRetry={onRetry} testId="load-failed" />;
}

export function NotFound({ what }: { what: string }) {
  return (
    <div className="card" data-testid="not-found">
      <h2>Not found</h2>
      <p>
        There is no {what} at this address: it may have been mistyped, or the link is to another installation.
      </p>
      <Link className="button" to="/">
        Back to the seasons
      </Link>
    </div>
  );
}
