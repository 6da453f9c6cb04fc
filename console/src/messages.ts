// What the gateway says, in a planner's words. The API answers with an error code, a message
// written for API clients (field names, `missing_as_zero=true`, enum spellings, the validation
// library's "Value error, ...") and details per field or per CSV cell; the console shows none of
// that as is. Each screen passes the names of its own controls for the API's fields.

import type { ApiError, ErrorDetail } from "./api";

/** A message for the screen: one sentence, and the specifics under it. */
export interface PlannerMessage {
  summary: string;
  lines: string[];
}

/** The API's field name -> the control's label on the screen that sent it. */
export type ControlNames = Record<string, string>;

// API spellings a planner never sees, wherever they turn up in a sentence (server messages,
// agents' reasoning): the console's own control or the plain word.
const SPELLINGS: [RegExp, string][] = [
  [/send missing_as_zero=true/g, "tick “stores left out sold nothing”"],
  [/missing_as_zero(=true)?/g, "“stores left out sold nothing”"],
  [/send allow_implausible=true/g, "tick “the figures are right”"],
  [/allow_implausible(=true)?/g, "“the figures are right”"],
  [/\bbi_weekly\b/g, "every two weeks"],
  [/\bunits_sold\b/g, "units sold"],
  [/\bstore\/category pairs\b/g, "store and category pairs"],
  [/\bValue error, /g, ""],
  [/\baction 'modify' needs a value\b/g, "type the new value"],
  [/\baction 'modify'/g, "Modify"],
  [/'accept'/g, "Accept"],
];

/** Replace API spellings inside a sentence by the planner's words. */
export function plainWords(text: string): string {
  return SPELLINGS.reduce((t, [pattern, words]) => t.replace(pattern, words), text);
}

function sentence(text: string): string {
  const t = plainWords(text).trim();
  if (t === "") return t;
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

// The validation library's phrases (pydantic), as a planner would be told.
const LIBRARY_PHRASES: [RegExp, string | ((m: RegExpMatchArray) => string)][] = [
  [/^Field required$/i, "is needed"],
  [/^Input should be a valid (number|integer).*$/i, "must be a number"],
  [/^Input should be greater than or equal to (.+)$/i, (m) => `must be at least ${m[1]}`],
  [/^Input should be less than or equal to (.+)$/i, (m) => `must be at most ${m[1]}`],
  [/^Input should be greater than (.+)$/i, (m) => `must be more than ${m[1]}`],
  [/^Input should be less than (.+)$/i, (m) => `must be less than ${m[1]}`],
  [/^String should have at most (\d+) characters?$/i, (m) => `must be at most ${m[1]} characters`],
  [/^Input should be a valid date.*$/i, "must be a date"],
  [/^Input should be (.+)$/i, (m) => `must be ${plainWords(m[1]).replace(/'/g, "")}`],
  [/^Extra inputs are not permitted$/i, "is not expected here"],
  [/^Value error, (.+)$/i, (m) => m[1]],
];

function libraryPhrase(message: string): string {
  for (const [pattern, words] of LIBRARY_PHRASES) {
    const m = message.match(pattern);
    if (m) return typeof words === "string" ? words : words(m);
  }
  return message;
}

/** One field problem: "New value: must be a number". The API's path ("body.value") never shows. */
export function fieldLine(detail: ErrorDetail, controls: ControlNames): string {
  const path = (detail.field ?? "").split(".").filter((p) => p !== "body" && p !== "query" && p !== "form");
  const name = path.length ? controls[path.join(".")] ?? controls[path[path.length - 1]] : undefined;
  const reason = plainWords(libraryPhrase(detail.message));
  if (name) return sentence(`${name}: ${reason}`);
  // A problem of the whole request (a model rule) or of a field this screen does not name.
  return sentence(reason);
}

/** The screen's message for a failed request. `what` names what was asked ("the decision"). */
export function plannerMessage(error: ApiError, what: string, controls: ControlNames = {}): PlannerMessage {
  const lines = error.details.filter((d) => d.row === undefined || d.row === null).map((d) => fieldLine(d, controls));
  switch (error.code) {
    case "network":
      return { summary: `The gateway did not answer, so ${what} could not be sent or read. Check the connection and try again.`, lines: [] };
    case "unauthorized":
    case "session_expired":
    case "unknown_api_key":
      return { summary: "Your session has ended: sign in again.", lines: [] };
    case "forbidden":
    case "not_your_workflow":
      return { summary: `Your roles do not allow ${what}.`, lines: [sentence(error.message)] };
    case "not_found":
      return { summary: `${sentence(what).slice(0, -1)} was not found.`, lines: [] };
    case "csrf_failed":
      return { summary: "The page is out of date: reload it and try again.", lines: [] };
    case "service_unavailable":
    case "gateway_timeout":
    case "bad_gateway":
    case "reader_unavailable":
      return { summary: `A service is not answering, so ${what} did not go through. Try again in a moment.`, lines: [] };
    case "validation_error":
      return { summary: `${sentence(what).slice(0, -1)} was not sent: ${lines.length === 1 ? "one thing to fix" : `${lines.length} things to fix`}.`, lines };
    case "invalid_csv":
    case "payload_too_large":
      return { summary: `The file was not stored: ${fileProblems(error)}.`, lines };
    case "incomplete_week":
      return { summary: incompleteWeek(error.message), lines: [] };
    case "implausible_quantity":
      return {
        summary: sentence(error.message.replace(/;? ?If the figures are right.*$/, "")).replace(/\.$/, "") +
          ". If the figures are right, tick “the figures are right” and upload again.",
        lines: [],
      };
    default:
      return { summary: sentence(error.message), lines };
  }
}

function fileProblems(error: ApiError): string {
  const total = error.message.match(/has (\d+) problems?/);
  const n = total ? Number(total[1]) : error.details.length;
  return n === 1 ? "one problem" : `${n} problems`;
}

function incompleteWeek(message: string): string {
  // "week 5 is incomplete: 3 of 150 store/category pairs of the season have no row: (S001, DRES), ...;
  //  nothing was stored. Upload a row for every ..., or send missing_as_zero=true if ..."
  const what = message.split("; nothing was stored")[0];
  return (
    sentence(what).replace(/\.$/, "") +
    ". Nothing was stored. Add a row for each of them (0 units where nothing sold), or tick “stores left out sold nothing” if they sold nothing."
  );
}

// ------------------------------------------------------------------ a file's errors, by kind
export interface FileProblem {
  row: number | null;
  column: string | null;
  value: string | null;
  message: string;
}

export interface ProblemGroup {
  kind: "values" | "repeated" | "stores" | "categories" | "weeks" | "missing" | "file";
  title: string;
  problems: FileProblem[];
}

const GROUP_TITLES: Record<ProblemGroup["kind"], string> = {
  file: "The file as a whole",
  values: "Values that cannot be read",
  repeated: "Rows given twice",
  stores: "Stores not known",
  categories: "Categories not known or not in this season",
  weeks: "Rows for another week",
  missing: "Stores and categories without a row",
};
const GROUP_ORDER: ProblemGroup["kind"][] = ["file", "values", "repeated", "stores", "categories", "weeks", "missing"];

function kindOf(d: ErrorDetail): ProblemGroup["kind"] {
  const m = d.message;
  if (/^unknown store/.test(m)) return "stores";
  if (/^unknown category|^not planned in this workflow/.test(m)) return "categories";
  if (/^same .* as row \d+/.test(m)) return "repeated";
  if (/^this upload is for week|is outside this|starts on/.test(m)) return "weeks";
  if (/^no row for this store and category/.test(m)) return "missing";
  if (d.row === null || d.row === undefined || d.row === 1) return "file";
  return "values";
}

function problemMessage(d: ErrorDetail, kind: ProblemGroup["kind"]): string {
  if (kind === "stores") return `${d.value ?? "this store"} is not a known store: load it with the stores first.`;
  if (kind === "categories") return sentence(d.message.replace(/^not planned in this workflow/, `${d.value ?? "this category"} is not planned this season`).replace(/^unknown category/, `${d.value ?? "this category"} is not a known category`));
  if (kind === "repeated") return sentence(d.message.replace(/^same (.*) as row/, "the same store, category and week as row"));
  return sentence(d.message);
}

/** The gateway's problems with a file, grouped by kind (in the order a planner fixes them),
 * each on its spreadsheet row and column. */
export function groupFileProblems(details: ErrorDetail[]): ProblemGroup[] {
  const groups = new Map<ProblemGroup["kind"], FileProblem[]>();
  for (const d of details) {
    const kind = kindOf(d);
    const list = groups.get(kind) ?? [];
    list.push({ row: d.row ?? null, column: d.column ?? null, value: d.value ?? null, message: problemMessage(d, kind) });
    groups.set(kind, list);
  }
  return GROUP_ORDER.filter((k) => groups.has(k)).map((kind) => ({
    kind,
    title: GROUP_TITLES[kind],
    problems: [...(groups.get(kind) ?? [])].sort((a, b) => (a.row ?? 0) - (b.row ?? 0)),
  }));
}
