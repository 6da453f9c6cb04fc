import { useState, type FormEvent } from "react";

import { ApiError } from "../api";
import { useAuth } from "../auth";
import { plannerMessage } from "../messages";

export function SignIn() {
  const { signIn } = useAuth();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
      setError(error.status === 401 ? "That API key is not known." : plannerMessage(error, "signing in").summary);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h1>Season Planner</h1>
        <p className="muted">Sign in with your API key. The console keeps you signed in for the session only.</p>
        <label>
          API key
          <input
            name="api_key"
            type="password"
            autoComplete="current-password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoFocus
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || key.trim() === ""}>
          Sign in
        </button>
        <p className="muted small">
          Development keys: <code>dev-planner-key</code> plans and uploads, <code>dev-approver-key</code> decides.
        </p>
      </form>
    </div>
  );
}
