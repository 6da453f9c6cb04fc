// The shapes of the gateway's answers the console reads (see /docs on the gateway).

import type { MarkdownLine } from "./markdown";
import type { MarkdownMargin, SeasonMoney } from "./stock";

export interface Me {
  name: string;
  roles: string[];
  authenticated_by: "api_key" | "session";
  can_plan: boolean;
  can_approve: boolean;
  can_operate: boolean;
  expires_at: string | null;
  csrf_token: string | null;
}

export interface WaitingFor {
  who: "approver" | "planner" | "system";
  what: string;
}

export interface SeasonOverview {
  workflow_id: string;
  name?: string | null;
  state: string;
  phase: "pre_season" | "in_season" | "completed" | "failed" | "cancelled";
  created_by: string;
  created_at: string;
  season_start_date: string | null;
  horizon_weeks: number | null;
  weeks_in: number;
  progress_fraction: number;
  pre_season_planning_done: boolean;
  pre_season_planning_done_at: string | null;
  waiting_for: WaitingFor | null;
  error: string | null;
}

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

export interface ParameterField {
  name: string;
  value: unknown;
  confidence: number;
  source: "stated" | "inferred" | "default";
  evidence: string | null;
}

export interface ExtractionIssue {
  field: string | null;
  kind: string;
  message: string;
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
  season_name?: string | null;
  proposed_overrides: ProposedOverride[];
}

export interface Workflow {
  workflow_id: string;
  name?: string | null;
  state: string;
  brief: string | null;
  parameters: SeasonParameters | null;
  pending_input: Record<string, unknown> | null;
  error: string | null;
  created_by: string;
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

export interface Approval {
  approval_id: string;
  kind: "manufacturing" | "markdown";
  /** "superseded": replaced by a newer proposal of its kind (the reason says why); never decided. */
  status: "pending" | "decided" | "superseded";
  proposal: Record<string, unknown>;
  proposed_value: number;
  min_value: number;
  max_value: number;
  action: string | null;
  decided_value: number | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
  /** Per category: the order's units or the markdown's depth (proposed, decided). */
  proposed_lines?: Record<string, number>;
  decided_lines?: Record<string, number>;
}

export interface WeekPoint {
  week_number: number;
  week_start: string | null;
  forecast_units: number | null;
  forecast_run_number: number | null;
  lower_80: number | null;
  upper_80: number | null;
  lower_95: number | null;
  upper_95: number | null;
  planned_units: number | null;
  actual_units: number | null;
  cumulative_actual_units: number | null;
  sell_through_fraction: number | null;
}

export interface Accuracy {
  weeks: number;
  forecast_units: number;
  actual_units: number;
  wape_fraction: number | null;
  bias_fraction: number | null;
}

export interface Series {
  key: string;
  name: string;
  manufactured_units: number | null;
  points: WeekPoint[];
  accuracy: Accuracy;
}

export interface VarianceMark {
  week_number: number;
  variance_fraction: number;
  threshold_fraction: number;
  exceeded: boolean;
  by_category_fraction: Record<string, number>;
  exceeded_categories: string[];
  reforecast_run_number: number | null;
}

export interface RunMark {
  run_number: number;
  reason: string;
  after_week: number;
  season_total: number;
  created_at: string;
}

export interface WeeklyChart {
  horizon_weeks: number;
  weeks_in: number[];
  checkpoint_week: number;
  target_sell_through_fraction: number;
  variance_threshold_fraction: number | null;
  series: Series[];
  variance: VarianceMark[];
  runs: RunMark[];
}

export interface ForecastCurvePoint {
  week_number: number;
  week_start: string;
  /** The statistical forecast. */
  forecast_units: number;
  /** The final forecast: the statistical one adjusted by the active overrides. */
  final_units: number;
  lower_80: number;
  upper_80: number;
  lower_95: number;
  upper_95: number;
}

export interface CategoryForecastChart {
  category_code: string;
  category_name: string;
  run_number: number;
  method: string;
  season_total: number;
  final_season_total: number;
  weights: Record<string, number>;
  backtest_errors: Record<string, number>;
  history: { week_start: string; units: number }[];
  forecast: ForecastCurvePoint[];
}

export interface ForecastChart {
  run_number: number | null;
  runs: RunMark[];
  categories: CategoryForecastChart[];
  overrides: ForecastOverride[];
}

/** A planner's adjustment of the forecast (docs/overrides.md). */
export interface ForecastOverride {
  id: string;
  scope: "category" | "cluster" | "store";
  code: string;
  name: string;
  category_code: string | null;
  weeks: number[];
  percent: number | null;
  units: number | null;
  reason: string;
  source: "planner" | "brief";
  created_by: string;
  created_at: string;
  active: boolean;
  withdrawn_by: string | null;
  withdrawn_at: string | null;
  withdrawn_reason: string | null;
  takes_effect?: string | null;
}

export interface OverrideCreate {
  scope: "category" | "cluster" | "store";
  code: string;
  category_code: string | null;
  weeks: number[] | null;
  percent: number | null;
  units: number | null;
  reason: string;
  source: "planner" | "brief";
}

/** An adjustment a brief asks for, to accept or not. */
export interface ProposedOverride {
  category: string;
  category_code: string | null;
  percent: number;
  weeks: number[] | null;
  reason: string;
  evidence: string;
  confidence: number;
  note: string | null;
}

export interface Cluster {
  cluster_id: string;
  cluster_name: string;
  store_count: number;
  stores: string[];
  total_units: number | null;
  allocation_fraction: number | null;
}

export interface AllocationChart {
  manufactured_units: number | null;
  initial_units: number;
  holdback_units: number | null;
  dc_holdback_pct: number | null;
  clusters: {
    cluster_name: string;
    store_count: number;
    initial_units: number;
    replenishment_units: number;
    by_category: Record<string, number>;
  }[];
  dc_by_week: {
    week_number: number;
    shipped_units: number;
    dc_units: number;
    by_category: Record<string, number>;
  }[];
}

export interface StoreAllocation {
  store_id: string;
  store_name: string;
  cluster_name: string | null;
  initial_allocation: number;
  replenishment_units: number;
  total_season_allocation: number;
  by_category: Record<string, number>;
}

export interface StoreDetail {
  store_code: string;
  store_name: string;
  region: string;
  format: string;
  size_sqft: number;
  cluster_name: string | null;
  categories: {
    category_code: string;
    initial_units: number;
    replenishment_by_week: Record<string, number>;
    actual_by_week: Record<string, number>;
    sold_units: number;
    received_units: number;
    sell_through_fraction: number | null;
  }[];
}

export interface Markdown {
  approval_id: string;
  status: string;
  week_number: number;
  sell_through_fraction: number;
  target_sell_through_fraction: number;
  gap_fraction: number;
  elasticity_coefficient: number;
  recommended_markdown_pct: number;
  max_markdown_pct: number;
  decided_markdown_pct: number | null;
  decided_by: string | null;
  reasoning: string;
  /** The seed rule's parameter (elasticity_coefficient's newer name). */
  markdown_points_per_gap_point?: number | null;
  lines?: MarkdownLine[];
  decided_lines?: Record<string, number>;
}

export interface MarkdownProjection extends MarkdownMargin {
  markdown_pct: number;
  sell_through_fraction: number;
  target_sell_through_fraction: number;
  baseline_sell_through_fraction: number;
  projected_sell_through_fraction: number;
  baseline_revenue: number;
  projected_revenue: number;
  method: string;
  categories: {
    category_code: string;
    markdown_pct?: number | null;
    best_for_margin_pct?: number | null;
    baseline_sell_through_fraction: number;
    projected_sell_through_fraction: number;
    baseline_revenue: number;
    projected_revenue: number;
    projected_units: number;
    projected_leftover_units?: number | null;
    projected_season_margin?: number | null;
  }[];
}

export interface CategoryOutcome {
  category_code: string;
  category_name: string;
  planned_units: number | null;
  final_forecast_units: number | null;
  recommended_units: number | null;
  manufactured_units: number | null;
  actual_units: number;
  weeks_in: number;
  sell_through_fraction: number | null;
  wape_fraction: number | null;
  bias_fraction: number | null;
}

export interface SeasonReport {
  workflow_id: string;
  state: string;
  horizon_weeks: number;
  weeks_in: number;
  categories: CategoryOutcome[];
  decisions: (Approval & { unit: "units" | "percent" })[];
  forecast_runs: RunMark[];
  weeks_over_threshold: number[];
  money?: SeasonMoney | null;
  name?: string | null;
  replay?: ReplayReport | null;
}

export interface ReplayLine {
  category_code: string;
  planned_units: number | null;
  bought_units: number | null;
  history_units: number;
  sold_units: number;
  lost_sales_units: number;
  fill_fraction: number | null;
  revenue: number;
  gross_margin: number | null;
  history_revenue_at_full_price: number | null;
}

export type ReplayStatus = "running" | "waiting" | "paused" | "finished" | "failed";

export interface ReplayReport {
  label: string;
  status: ReplayStatus;
  decisions: "automatic" | "approver";
  decided_by: string | null;
  history_from: string;
  weeks_replayed: number;
  lines: ReplayLine[];
}

export interface ReplayRead {
  workflow_id: string;
  status: ReplayStatus;
  decisions: "automatic" | "approver";
  weeks_done: number;
  weeks_target: number;
  horizon_weeks: number;
  history_from: string;
  message: string | null;
}

export interface SeasonColumn {
  workflow_id: string;
  name: string | null;
  state: string;
  season_start_date: string | null;
  horizon_weeks: number;
  weeks_in: number;
  replayed: boolean;
}

export interface ComparisonRow {
  metric: string;
  label: string;
  unit: "units" | "fraction" | "currency" | "ratio";
  values: (number | null)[];
}

export interface SeasonComparison {
  seasons: SeasonColumn[];
  rows: ComparisonRow[];
}

export interface UploadAnswer {
  week_number: number;
  row_count: number;
  units_sold: number;
  replaced_previous: boolean;
  zero_filled?: number;
}
