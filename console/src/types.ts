// The shapes of the gateway's answers the console reads: the generated types of the gateway's
// OpenAPI document (api-types.ts, `make console-types`) under the names the console uses.
// Hand-written only where the document cannot say more: the season parameters (served as a
// JSON object) and the WebSocket's messages (not in the document).

import type { components } from "./api-types";
import type { MarkdownLine } from "./markdown";

type Schemas = components["schemas"];
/** A schema's fields that have a default: optional in the document, always in the answer. */
type Served<T, K extends keyof T> = T & Required<Pick<T, K>>;

export type Me = Schemas["MeRead"];
export type WaitingFor = Schemas["WaitingFor"];
export type SeasonOverview = Schemas["SeasonOverview"];

/** Served as a JSON object in the document; the fields are the season's SeasonParameters. */
export interface SeasonParameters {
  forecast_horizon_weeks: number;
  season_start_date: string;
  replenishment_strategy: "none" | "weekly" | "bi_weekly";
  dc_holdback_percentage: number;
  /** null: no markdown this season (no checkpoint, no pricing step). */
  markdown_checkpoint_week: number | null;
  markdown_threshold: number;
  /** Which stock moves the weekly transfer proposal may make (default hybrid). */
  transfer_strategy?: "none" | "dc_only" | "hybrid";
  season_end_date?: string;
}

export type ParameterField = Schemas["ParameterField"];
export type ExtractionIssue = Schemas["ExtractionIssue"];
export type Extraction = Served<Schemas["ExtractionRead"], "proposed_overrides">;
export type Workflow = Omit<Schemas["WorkflowRead"], "parameters"> & {
  parameters: SeasonParameters | null;
};

/** A WebSocket message (the socket is not in the OpenAPI document; docs/websocket.md). */
export interface LiveMessage {
  type: string;
  workflow_id?: string;
  timestamp?: string;
  event_id: string | null;
  event_type?: string;
  agent?: string | null;
  message?: string;
  code?: string;
  [key: string]: unknown;
}

export type Approval = Schemas["ApprovalRead"];
export type WeekPoint = Schemas["WeekPoint"];
export type Accuracy = Schemas["Accuracy"];
export type Series = Schemas["Series"];
export type VarianceMark = Schemas["VarianceMark"];
export type RunMark = Schemas["RunMark"];
export type WeeklyChart = Schemas["WeeklyChart"];
export type ForecastCurvePoint = Schemas["ForecastCurvePoint"];
export type CategoryForecastChart = Schemas["CategoryForecastChart"];
export type ForecastChart = Served<Schemas["ForecastChart"], "overrides">;
export type ForecastOverride = Schemas["OverrideRead"];
export type OverrideCreate = Schemas["OverrideCreate"];
export type ProposedOverride = Schemas["ProposedOverrideRead"];
export type Cluster = Schemas["ClusterRead"];
export type AllocationChart = Schemas["AllocationChart"];
export type StoreAllocation = Schemas["StoreAllocationRead"];
export type StoreDetail = Schemas["StoreDetail"];
// Each line's candidates are always served (the document's default makes them optional).
export type Markdown = Omit<Schemas["MarkdownRead"], "lines"> & { lines?: MarkdownLine[] };
export type MarkdownProjection = Schemas["MarkdownProjection"];
export type CategoryOutcome = Schemas["CategoryOutcome"];
export type SeasonReport = Schemas["SeasonReport"];
export type ReplayLine = Schemas["ReplayLine"];
export type ReplayStatus = Schemas["ReplayRead"]["status"];
export type ReplayReport = Schemas["ReplayReport"];
export type ReplayRead = Schemas["ReplayRead"];
export type SeasonColumn = Schemas["SeasonColumn"];
export type ComparisonRow = Schemas["ComparisonRow"];
export type SeasonComparison = Schemas["SeasonComparison"];
export type UploadAnswer = Schemas["WeeklyActualsUploaded"];
