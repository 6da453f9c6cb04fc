"""Every table of the design. Normalised where queried, JSONB where a document.

Each table has one owner, the service that writes it (`OWNERS`); the others only read it,
and the gateway's read side (its REST reads, the console's views, `/api/v1`) may read all.
A test (tests/test_table_owners.py) scans each service's code for writes to tables it does
not own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from planner_shared.db.base import Base, CreatedAt, UUIDKey

JSON = JSONB

GATEWAY, AGENTS, FORECAST, APPROVALS = "gateway", "agents", "forecast", "approvals"
BUS = "planner_shared.bus"
"""The bus's own tables, written by the shared bus code in every service, never by a
service's code directly."""

OWNERS: dict[str, str] = {
    # Reference data: the gateway's uploads (and, before any service runs, the seed job).
    "stores": GATEWAY,
    "categories": GATEWAY,
    "historical_sales": GATEWAY,
    "reference_changes": GATEWAY,
    # The workflow and its state machine: the orchestrator.
    "workflows": AGENTS,
    "workflow_transitions": AGENTS,
    "agent_runs": AGENTS,
    # The plans the forecast service computes.
    "forecasts": FORECAST,
    "forecast_weeks": FORECAST,
    "store_clusters": FORECAST,
    "store_cluster_members": FORECAST,
    "manufacturing_orders": FORECAST,
    "allocations": FORECAST,
    "variance_checks": FORECAST,
    "transfers": FORECAST,
    # In season: the uploads of the gateway, the decisions of the approvals service.
    "actuals_uploads": GATEWAY,
    "weekly_actuals": GATEWAY,
    "stock_adjustments": GATEWAY,
    "replays": GATEWAY,
    # The planner's adjustments of the forecast (docs/overrides.md): the gateway's writes.
    "forecast_overrides": GATEWAY,
    "approvals": APPROVALS,
    # The relay's durable history, the gateway's own request state.
    "workflow_events": GATEWAY,
    "idempotency_keys": GATEWAY,
    "console_sessions": GATEWAY,
    # What-ifs forked from a season: never read by the season itself (docs/scenarios.md).
    "scenarios": GATEWAY,
    "outbox": BUS,
    "processed_events": BUS,
    # Contract v1 (planner_shared.db.frontend_v1).
    "v1_workflows": GATEWAY,
    "reference_uploads": GATEWAY,
    "uploaded_store_profiles": GATEWAY,
    "uploaded_dc_inventory": GATEWAY,
    "uploaded_lead_times": GATEWAY,
    "uploaded_safety_stock": GATEWAY,
    "uploaded_elasticities": GATEWAY,
    "uploaded_markdown_history": GATEWAY,
}
"""The service that writes each table."""

CREATORS: dict[str, str] = {"workflows": GATEWAY}
"""Tables another service may insert rows into, never change: the gateway creates a workflow
in `created` with the request, so its API can answer for it at once; from then on the
orchestrator alone writes it."""


# ---------------------------------------------------------------- reference data
class Store(UUIDKey, CreatedAt, Base):
    __tablename__ = "stores"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(64))
    size_sqft: Mapped[int] = mapped_column(Integer)
    weekly_traffic: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint("size_sqft > 0", name="size_positive"),
        CheckConstraint("weekly_traffic >= 0", name="traffic_non_negative"),
    )


class Category(UUIDKey, CreatedAt, Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    price_elasticity: Mapped[float] = mapped_column(
        Numeric(6, 3, asdecimal=False),
        comment="Markdown points per point of sell-through gap (positive).",
    )
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    # Money (migration 0006): what a unit costs the retailer and what an unsold one fetches at
    # the end-of-season clearance; null for categories uploaded before they were asked for.
    unit_cost: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    salvage_value: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    demand_elasticity: Mapped[float | None] = mapped_column(
        Numeric(6, 3, asdecimal=False),
        comment="The demand's price elasticity (negative: -2 means a 1% lower price sells 2% "
        "more); not the markdown rule's points per point of gap.",
    )

    __table_args__ = (
        CheckConstraint("unit_price > 0", name="price_positive"),
        CheckConstraint("stock_on_hand >= 0", name="stock_non_negative"),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="cost_non_negative"),
        CheckConstraint("salvage_value IS NULL OR salvage_value >= 0", name="salvage_non_negative"),
    )


class HistoricalSale(Base):
    __tablename__ = "historical_sales"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    store_id: Mapped[UUID] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    week_start: Mapped[date]
    units: Mapped[int] = mapped_column(Integer)
    # Migration 0009: the week's selling price (null when the upload gave none); the demand's
    # price elasticity is estimated from its changes (planner_shared.price_elasticity).
    unit_price: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))

    __table_args__ = (
        UniqueConstraint("store_id", "category_id", "week_start"),
        CheckConstraint("units >= 0", name="units_non_negative"),
        Index("ix_historical_sales_category_week", "category_id", "week_start"),
    )


# ---------------------------------------------------------------- workflows
class Workflow(UUIDKey, CreatedAt, Base):
    __tablename__ = "workflows"

    state: Mapped[str] = mapped_column(String(40), index=True)
    brief: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    category_codes: Mapped[list[str] | None] = mapped_column(JSON)
    pending_input: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="The human decision the workflow waits for, if any."
    )
    context: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="Orchestrator memory: run numbers, weeks seen, results."
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    completed_at: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(
        String(120),
        index=True,
        comment="What a person calls the season: typed, or read from the brief.",
    )


class WorkflowTransition(Base):
    __tablename__ = "workflow_transitions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    accepted: Mapped[bool]
    event_id: Mapped[UUID | None]
    event_type: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class AgentRun(UUIDKey, Base):
    __tablename__ = "agent_runs"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    agent: Mapped[str] = mapped_column(String(32))
    task: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None]


# ---------------------------------------------------------------- forecasts and plans
class Forecast(UUIDKey, CreatedAt, Base):
    __tablename__ = "forecasts"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    run_number: Mapped[int]
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    reason: Mapped[str] = mapped_column(String(16))
    season_total: Mapped[float]
    method: Mapped[str] = mapped_column(String(64))
    diagnostics: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="Weights, backtest errors, fallback reason, model settings."
    )

    __table_args__ = (UniqueConstraint("workflow_id", "run_number", "category_id"),)


class ForecastWeek(Base):
    __tablename__ = "forecast_weeks"

    forecast_id: Mapped[UUID] = mapped_column(
        ForeignKey("forecasts.id", ondelete="CASCADE"), primary_key=True
    )
    week_number: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date]
    point: Mapped[float]
    lower_80: Mapped[float]
    upper_80: Mapped[float]
    lower_95: Mapped[float]
    upper_95: Mapped[float]
    baseline: Mapped[float] = mapped_column(comment="Seasonal-naive forecast for comparison.")


class StoreCluster(UUIDKey, CreatedAt, Base):
    __tablename__ = "store_clusters"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    silhouette: Mapped[float | None]

    __table_args__ = (UniqueConstraint("workflow_id", "label"),)


class StoreClusterMember(Base):
    __tablename__ = "store_cluster_members"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[UUID] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    cluster_id: Mapped[UUID] = mapped_column(
        ForeignKey("store_clusters.id", ondelete="CASCADE"), index=True
    )


class ManufacturingOrder(UUIDKey, CreatedAt, Base):
    __tablename__ = "manufacturing_orders"

    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    forecast_units: Mapped[float]
    safety_stock_pct: Mapped[float]
    stock_on_hand: Mapped[int]
    recommended_quantity: Mapped[int]
    approved_quantity: Mapped[int | None]
    reasoning: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("workflow_id", "category_id"),)


class Allocation(Base):
    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    store_id: Mapped[UUID] = mapped_column(ForeignKey("stores.id"))
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    kind: Mapped[str] = mapped_column(String(16), comment="'initial' or 'replenishment'.")
    week_number: Mapped[int] = mapped_column(comment="0 for the initial allocation.")
    units: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("workflow_id", "store_id", "category_id", "kind", "week_number"),
        CheckConstraint("units >= 0", name="units_non_negative"),
    )


# ---------------------------------------------------------------- in season
class ActualsUpload(UUIDKey, Base):
    __tablename__ = "actuals_uploads"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    week_number: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WeeklyActual(Base):
    __tablename__ = "weekly_actuals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    store_id: Mapped[UUID] = mapped_column(ForeignKey("stores.id"))
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    week_number: Mapped[int]
    units_sold: Mapped[int]
    upload_id: Mapped[UUID] = mapped_column(ForeignKey("actuals_uploads.id"))

    __table_args__ = (
        UniqueConstraint("workflow_id", "store_id", "category_id", "week_number"),
        CheckConstraint("units_sold >= 0", name="units_non_negative"),
        Index("ix_weekly_actuals_workflow_week", "workflow_id", "week_number"),
    )


class StockAdjustment(Base):
    """Units a store's count says it holds beyond (or short of) the ledger, posted as a
    receipt of its week: an explicit, audited correction, never a silent one (docs/stock.md)."""

    __tablename__ = "stock_adjustments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    store_id: Mapped[UUID] = mapped_column(ForeignKey("stores.id"))
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    week_number: Mapped[int]
    units: Mapped[int] = mapped_column(comment="Positive: units found; negative: units missing.")
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(
        String(32), comment="'on_hand' (a count in an upload) or 'manual'."
    )
    upload_id: Mapped[UUID | None] = mapped_column(ForeignKey("actuals_uploads.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_stock_adjustments_workflow_week", "workflow_id", "week_number"),)


class Replay(Base):
    """A past season replayed from the history: how far it got, so a restart resumes it
    (planner_gateway.replay, docs/replay.md)."""

    __tablename__ = "replays"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    decisions: Mapped[str] = mapped_column(String(16))
    weeks_target: Mapped[int]
    weeks_done: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_approvals: Mapped[list[str]] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("decisions IN ('automatic', 'approver')", name="decisions_known"),
        CheckConstraint("weeks_done >= 0 AND weeks_done <= weeks_target", name="weeks_in_range"),
    )


class ForecastOverride(UUIDKey, Base):
    """A planner's adjustment of the forecast of a category, a cluster or a store for chosen
    weeks, by a percentage or by units a week; kept beside the statistical forecast, never
    written into it, and withdrawn rather than erased (docs/overrides.md)."""

    __tablename__ = "forecast_overrides"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(16), comment="'category', 'cluster' or 'store'.")
    category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("categories.id"), comment="Null: every category of the cluster or store."
    )
    cluster_label: Mapped[int | None] = mapped_column(comment="The season's cluster label.")
    store_id: Mapped[UUID | None] = mapped_column(ForeignKey("stores.id"))
    weeks: Mapped[list[int]] = mapped_column(JSON, comment="Season weeks (1-based) it adjusts.")
    percent: Mapped[float | None] = mapped_column(comment="+10 is 10 % more demand.")
    units: Mapped[float | None] = mapped_column(comment="Units added to each chosen week.")
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(
        String(16), comment="'planner' (typed) or 'brief' (a proposal of the brief accepted)."
    )
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    withdrawn_by: Mapped[str | None] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("(percent IS NULL) <> (units IS NULL)", name="percent_or_units"),
        CheckConstraint("scope IN ('category', 'cluster', 'store')", name="scope_known"),
    )


class TransferPlan(UUIDKey, CreatedAt, Base):
    """A week's transfer proposal (DC releases and store-to-store moves) and what the planner
    decided of it; approved moves are receipts on the stock ledger (docs/transfers.md)."""

    __tablename__ = "transfers"

    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    week_number: Mapped[int] = mapped_column(comment="The week after whose upload it was made.")
    status: Mapped[str] = mapped_column(
        String(16), comment="'proposed', 'approved', 'rejected' or 'superseded'."
    )
    strategy: Mapped[str] = mapped_column(String(16))
    proposal: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="The TransferProposal: moves, donors' limits, lost sales before and after."
    )
    moves: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, comment="The approved moves (the proposal's, or the planner's edit)."
    )
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("workflow_id", "week_number"),)


class VarianceCheck(UUIDKey, CreatedAt, Base):
    __tablename__ = "variance_checks"

    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    week_number: Mapped[int]
    forecast_units: Mapped[float]
    actual_units: Mapped[float]
    variance: Mapped[float]
    threshold: Mapped[float]
    exceeded: Mapped[bool]
    by_category: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("workflow_id", "week_number"),)


class Approval(UUIDKey, CreatedAt, Base):
    __tablename__ = "approvals"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), comment="'pending', 'decided' or 'superseded' (reason: why)."
    )
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_value: Mapped[float]
    min_value: Mapped[float]
    max_value: Mapped[float]
    action: Mapped[str | None] = mapped_column(String(16))
    decided_value: Mapped[float | None]
    # Per category (code -> units or percent) when the decision is by line (migration 0008);
    # null for a decision on one number.
    decided_lines: Mapped[dict[str, float] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    request_event_id: Mapped[UUID] = mapped_column(unique=True)
    # A proposal replaced by a newer one of its kind (migration 0014): kept, never decided.
    superseded_by: Mapped[UUID | None] = mapped_column(
        comment="The approval of the proposal that replaced this one."
    )
    superseded_at: Mapped[datetime | None]

    __table_args__ = (
        # One open (pending or decided) approval per workflow and kind.
        Index(
            "uq_approvals_workflow_id_kind_open",
            "workflow_id",
            "kind",
            unique=True,
            postgresql_where=text("status <> 'superseded'"),
        ),
    )


class Scenario(UUIDKey, CreatedAt, Base):
    """A what-if forked from a season: its levers and their evaluation on the ledger, as of
    the week it was forked. Nothing of the season reads it (docs/scenarios.md)."""

    __tablename__ = "scenarios"

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    levers: Mapped[dict[str, Any]] = mapped_column(JSON)
    weeks_in: Mapped[int] = mapped_column(comment="The weeks in when it was forked.")
    evaluation: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="The scenario, the live plan and the differences, as evaluated then."
    )
    created_by: Mapped[str] = mapped_column(String(100))
    adopted_by: Mapped[str | None] = mapped_column(String(100))
    adopted_at: Mapped[datetime | None]


# ---------------------------------------------------------------- the bus
class WorkflowEvent(Base):
    """The durable history the gateway relays from; `seq` orders resumes."""

    __tablename__ = "workflow_events"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(unique=True)
    workflow_id: Mapped[UUID] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    stored_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(unique=True)
    stream: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_unpublished", "id", postgresql_where="published_at IS NULL"),
        # What a re-drive after a Redis loss selects (migration 0003).
        Index(
            "ix_outbox_published_at", "published_at", postgresql_where="published_at IS NOT NULL"
        ),
    )


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    consumer_group: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


# ---------------------------------------------------------------- hardening (migration 0003)
class ReferenceChange(Base):
    """Who changed reference data (historical sales, stores, categories), when, and what:
    one row per changed record, with its values before and after."""

    __tablename__ = "reference_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[dict[str, Any]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        Index("ix_reference_changes_table_changed", "table_name", "changed_at"),
        CheckConstraint("action IN ('insert', 'update', 'delete')", name="action_known"),
    )


class IdempotencyKey(Base):
    """A command's client-supplied `Idempotency-Key`, and what it was answered, so a retry
    gets the original answer instead of doing it again."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    event: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="The command published over the bus, re-sent unchanged on a retry."
    )
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None]


# ---------------------------------------------------------------- console
class ConsoleSession(UUIDKey, CreatedAt, Base):
    """A browser's sign-in: an HttpOnly cookie exchanged for an API key (migration 0005)."""

    __tablename__ = "console_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64))
    principal_name: Mapped[str] = mapped_column(String(100))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
