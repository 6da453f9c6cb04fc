// The gateway's public API, as the console calls it: same origin, the session cookie, and the
// CSRF token repeated in a header on every write (the gateway refuses a write without it).

export interface ErrorDetail {
  message: string;
  field?: string | null;
  row?: number | null;
  column?: string | null;
  value?: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export const CSRF_COOKIE = "planner_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export async function parseError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status text
  }
  const error = (body as { error?: { code?: string; message?: string; details?: ErrorDetail[] } })
    ?.error;
  return new ApiError(
    response.status,
    error?.code ?? "http_" + response.status,
    error?.message ?? response.statusText ?? "request failed",
    error?.details ?? [],
  );
}

let onUnauthorized: (() => void) | null = null;

/** What to do when the session has expired (the app goes back to sign-in). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  init: { form?: FormData; raw?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== "GET") {
    const csrf = readCookie(document.cookie, CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let payload: BodyInit | undefined;
  if (init.form) payload = init.form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (!response.ok) {
    const error = await parseError(response);
    if (response.status === 401 && path !== "/api/session" && onUnauthorized) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  if (init.raw) return (await response.text()) as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
  upload: <T>(path: string, form: FormData) => request<T>("POST", path, undefined, { form }),
  text: (path: string) => request<string>("GET", path, undefined, { raw: true }),
};
