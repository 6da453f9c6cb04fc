import { useEffect, useMemo, useState } from "react";
import { NavLink, Navigate, Route, Routes, useParams } from "react-router-dom";

import { LoadFailed } from "../feedback";
import { fractionAsPercent, stateLabel } from "../format";
import { useApi } from "../hooks";
import { formatDate, isoWeekLabel } from "../locale";
import { plainWords } from "../messages";
import { type FeedStatus, LiveFeed, socketBase } from "../live";
import type { LiveMessage, SeasonOverview, Workflow } from "../types";
import { AllocationTab } from "./season/AllocationTab";
import { ForecastTab } from "./season/ForecastTab";
import { InSeasonTab } from "./season/InSeasonTab";
import { LiveTab } from "./season/LiveTab";
import { ManufacturingTab } from "./season/ManufacturingTab";
import { MarkdownTab } from "./season/MarkdownTab";
import { ReportTab } from "./season/ReportTab";
import { ScenariosTab } from "./season/ScenariosTab";
import { StockTab } from "./season/StockTab";
import { TransfersTab } from "./season/TransfersTab";

export interface SeasonContext {
  id: string;
  version: number;
  workflow: Workflow | null;
  overview: SeasonOverview | null;
  refresh: () => void;
}

const TABS = [
  ["live", "Live"],
  ["forecast", "Forecast"],
  ["manufacturing", "Manufacturing"],
  ["allocation", "Allocation"],
  ["stock", "Stock"],
  ["scenarios", "Scenarios"],
  ["transfers", "Transfers"],
  ["in-season", "In season"],
  ["markdown", "Markdown"],
  ["report", "Report"],
] as const;

export function SeasonPage() {
  const { id = "" } = useParams();
  const [messages, setMessages] = useState<LiveMessage[]>([]);
  const [status, setStatus] = useState<FeedStatus>("connecting");
  const [version, setVersion] = useState(0);

  useEffect(() => {
    setMessages([]);
    // A burst of events (a forecast run sends dozens) makes the screen read its data once.
    let pending: ReturnType<typeof setTimeout> | null = null;
    const bump = () => {
      if (pending === null)
        pending = setTimeout(() => {
          pending = null;
          setVersion((v) => v + 1);
        }, 250);
    };
    const feed = new LiveFeed({
      workflowId: id,
      base: socketBase(window.location),
      onMessage: (m) => {
        setMessages((all) => [...all, m]);
        bump();
      },
      onStatus: (s) => {
        setStatus(s);
        // Back after a drop: what the REST reads show may have changed meanwhile.
        if (s === "live") setVersion((v) => v + 1);
      },
    });
    feed.start();
    return () => {
      feed.stop();
      if (pending !== null) clearTimeout(pending);
    };
  }, [id]);

  const { data: workflow, error: workflowError, reload: reloadWorkflow } = useApi<Workflow>(`/api/workflows/${id}`, version);
  const { data: overview, reload: reloadOverview } = useApi<SeasonOverview>(`/api/workflows/${id}/overview`, version);
  const context = useMemo<SeasonContext>(
    () => ({
      id,
      version,
      workflow,
      overview,
      refresh: () => {
        reloadWorkflow();
        reloadOverview();
        setVersion((v) => v + 1);
      },
    }),
    [id, version, workflow, overview, reloadWorkflow, reloadOverview],
  );

  // Only before anything was read: a season that was shown stays shown through a failed refresh.
  if (workflowError && !workflow) return <LoadFailed error={workflowError} what="season" onRetry={context.refresh} />;
  const start = workflow?.parameters?.season_start_date;
  return (
    <section>
      <div className="season-head">
        <div>
          <h1 data-testid="season-title">
            {workflow?.name ?? (start ? `Season starting ${formatDate(start)} (${isoWeekLabel(start)})` : "Season")}{" "}
            <span className="muted small">{id.slice(0, 8)}</span>
          </h1>
          {workflow?.name && start && (
            <p className="muted small" data-testid="season-start">
              starting {formatDate(start)} ({isoWeekLabel(start)}) · {workflow.parameters?.forecast_horizon_weeks ?? "?"} weeks
            </p>
          )}
          {overview && (
            <div className="row gap" data-testid="overview">
              <span className={`pill ${overview.phase}`} data-testid="state">
                {stateLabel(overview.state)}
              </span>
              <span className={overview.pre_season_planning_done ? "ok" : "muted"} data-testid="planning-done">
                {overview.pre_season_planning_done ? "✓ pre-season planning done" : "pre-season planning under way"}
              </span>
              <span className="muted">
                week {overview.weeks_in} of {overview.horizon_weeks ?? "?"} ({fractionAsPercent(overview.progress_fraction, 0)})
              </span>
              {overview.waiting_for && (
                <span className={`waiting who-${overview.waiting_for.who}`} data-testid="waiting-for">
                  waiting for the {overview.waiting_for.who}: {plainWords(overview.waiting_for.what)}
                </span>
              )}
            </div>
          )}
          {workflow?.error && <p className="error">{plainWords(workflow.error)}</p>}
        </div>
        <span className={`feed feed-${status}`} data-testid="feed-status">
          ● {status}
        </span>
      </div>
      <nav className="tabs">
        {TABS.map(([path, label]) => (
          <NavLink key={path} to={path}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="live" replace />} />
        <Route path="live" element={<LiveTab messages={messages} status={status} />} />
        <Route path="forecast" element={<ForecastTab season={context} />} />
        <Route path="manufacturing" element={<ManufacturingTab season={context} />} />
        <Route path="allocation" element={<AllocationTab season={context} />} />
        <Route path="stock" element={<StockTab season={context} />} />
        <Route path="scenarios" element={<ScenariosTab season={context} />} />
        <Route path="transfers" element={<TransfersTab season={context} />} />
        <Route path="in-season" element={<InSeasonTab season={context} />} />
        <Route path="markdown" element={<MarkdownTab season={context} />} />
        <Route path="report" element={<ReportTab season={context} />} />
      </Routes>
    </section>
  );
}
