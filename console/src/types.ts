// The shapes of the gateway's answers the console reads: generated from the gateway's OpenAPI
// document (api-types.ts, `make console-types`), named here as the pages use them. Only what
// the OpenAPI document does not describe is written by hand: the parameters form and the
// socket's messages.

import type { components } from "./api-types";

type Schemas = components["schemas"];

export type Me = Schemas["MeRead"];
export type WaitingFor = Schemas["WaitingFor"];
export type SeasonOverview = Schemas["SeasonOverview"];
export type ParameterField = Schemas["ParameterField"];
export type ExtractionIssue = Schemas["ExtractionIssue"];
// The API types a season's parameters as an open object (they are stored as sent); the
// console reads them as the form wrote them.
export type Workflow = Omit<Schemas["WorkflowRead"], "parameters"> & {
  parameters: SeasonParameters | null;
};
export type Approval = Schemas["ApprovalRead"];
export type WeekPoint = Schemas["WeekPoint"];
export type Accuracy = Schemas["Accuracy"];
export type Series = Schemas["Series"];
export type VarianceMark = Schemas["VarianceMark"];
export type RunMark = Schemas["RunMark"];
export type WeeklyChart = Schemas["WeeklyChart"];
export type ForecastCurvePoint = Schemas["ForecastCurvePoint"];
export type CategoryForecastChart = Schemas["CategoryForecastChart"];
export type ForecastChart = Schemas["ForecastChart"];
export type Cluster = Schemas["ClusterRead"];
export type AllocationChart = Schemas["AllocationChart"];
export type StoreAllocation = Schemas["StoreAllocationRead"];
export type StoreDetail = Schemas["StoreDetail"];
export type Markdown = Schemas["MarkdownRead"];
export type MarkdownProjection = Schemas["MarkdownProjection"];
export type CategoryOutcome = Schemas["CategoryOutcome"];
export type SeasonReport = Schemas["SeasonReport"];
export type UploadAnswer = Schemas["WeeklyActualsUploaded"];

export interface SeasonParameters {
  forecast_horizon_weeks: number;
  season_start_date: string;
  replenishment_strategy: "none" | "weekly" | "bi_weekly";
  dc_holdback_percentage: number;
  /** null: no markdown this season (no checkpoint, no pricing step). */
  markdown_checkpoint_week: number | null;
  markdown_threshold: number;
  season_end_date?: string;
}

export interface Extraction {
  parameters: SeasonParameters;
  fields: Record<string, ParameterField>;
  issues: ExtractionIssue[];
  extractor: "offline" | "llm";
  confidence: number;
  confidence_level: string;
  reasoning: string;
  needs_review: boolean;
}

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
