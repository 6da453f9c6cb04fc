"""The season's rules, unit-tested: a plain object, an event in, the events it causes out.
No PostgreSQL, no Redis, no agent runtime: agent steps are answered by a fake here."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID, uuid4

from planner_agents.memory import WorkflowMemory
from planner_agents.season import (
    AgentNeeded,
    AgentResult,
    AgentResults,
    Caused,
    Season,
    SeasonEvent,
)
from planner_agents.specialists import AgentReport
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
    AgentFailed,
    AgentProgress,
    AllocationCompleted,
    AllocationCompletedPayload,
    AllocationRequested,
    ApprovalRequested,
    EventBase,
    ForecastFailed,
    ForecastFailedPayload,
    ForecastOverridden,
    ForecastOverriddenPayload,
    ForecastRequested,
    ManufacturingLine,
    ManufacturingProposal,
    ManufacturingRecommendation,
    ManufacturingReplanned,
    ManufacturingReplannedPayload,
    ManufacturingReplanRequested,
    MarkdownProposal,
    SellThroughComputed,
    SellThroughComputedPayload,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStateChanged,
    WorkflowTransitionRefused,
)
from planner_shared.parameters import ProposedOverride
from planner_shared.workflow import WorkflowState
from planner_tools.testing.checks import forecast_completed
from planner_tools.testing.proposals import outerwear_transfers

from .test_agents_state_machine import PARAMETERS, _decided, _extraction, _requested, _variance

S = WorkflowState


def _agent(needed: AgentNeeded) -> AgentResult:
    """A deterministic agent: proposals straight from the facts."""
    report = AgentReport(agent=needed.agent, task=needed.task, summary="done", model="fake")
    facts = needed.facts
    if needed.task == "propose_manufacturing":
        assert facts.manufacturing is not None
        total = facts.manufacturing.total_quantity
        order = ManufacturingProposal(
            quantity=total,
            min_quantity=int(total * 0.8),
            max_quantity=int(total * 1.2),
            lines=facts.manufacturing.lines,
            rationale="as recommended",
        )
        return AgentResult(facts, report, manufacturing=order)
    if needed.task == "propose_markdown":
        assert facts.sell_through is not None
        markdown = MarkdownProposal(
            percentage=15,
            max_percentage=40,
            week_number=facts.sell_through.week_number,
            sell_through=facts.sell_through.sell_through,
            target=facts.sell_through.target,
            elasticity=1.5,
            rationale="gap x elasticity",
        )
        return AgentResult(facts, report, markdown=markdown)
    return AgentResult(facts, report)


def _decide(season: Season, event: SeasonEvent, asked: list[str] | None = None) -> Caused:
    """What the orchestrator does, minus the database: ask, run the agent asked for, ask again."""
    agents = AgentResults()
    for _ in range(8):
        outcome = season.handle(event, agents)
        if isinstance(outcome, Caused):
            return outcome
        if asked is not None:
            asked.append(outcome.task)
        agents.keep(outcome.task, _agent(outcome))
    raise AssertionError("the season kept asking for agents")


def _season(state: WorkflowState = S.CREATED, **memory: object) -> Season:
    return Season(
        id=uuid4(),
        state=state,
        memory=WorkflowMemory.model_validate(memory),
        parameters=None if state is S.CREATED else PARAMETERS,
    )


def _sell_through(workflow_id: UUID, week: int, value: float) -> SellThroughComputed:
    return SellThroughComputed(
        workflow_id=workflow_id,
        producer="forecast",
        payload=SellThroughComputedPayload(
            week_number=week,
            sell_through=value,
            by_category={"KNIT": value},
            target=0.6,
            below_target=value < 0.6,
        ),
    )


def _upload(workflow_id: UUID, week: int, *, replaced: bool, same: bool) -> ActualsUploaded:
    return ActualsUploaded(
        workflow_id=workflow_id,
        producer="gateway",
        payload=ActualsUploadedPayload(
            upload_id=uuid4(),
            week_number=week,
            row_count=10,
            replaced_previous=replaced,
            same_as_previous=same,
            uploaded_by="ann",
        ),
    )


E = TypeVar("E", bound=EventBase)


def _of(caused: Caused, kind: type[E]) -> list[E]:
    return [e for e in caused.events if isinstance(e, kind)]


def _of_progress(caused: Caused) -> list[AgentProgress]:
    return [e for e in caused.progress if isinstance(e, AgentProgress)]


def test_a_season_walks_from_request_to_completion_without_a_database() -> None:
    season = _season()
    wf = season.id
    asked: list[str] = []
    out = _decide(
        season,
        _requested(wf, parameters=PARAMETERS),
    )
    [request] = _of(out, ForecastRequested)
    assert (request.payload.run_number, request.payload.reason) == (1, "initial")
    assert request.causation_id is not None
    out = _decide(season, forecast_completed(wf, 1), asked)
    [approval] = _of(out, ApprovalRequested)
    assert approval.payload.proposal.kind == "manufacturing"
    assert season.pending_proposal == approval.payload.proposal
    _decide(season, _decided(wf, "manufacturing", 900))
    assert season.state is S.ALLOCATING
    assert season.pending_proposal is None
    allocated = AllocationCompletedPayload(
        total_units=900,
        dc_holdback_units=360,
        store_units=540,
        store_count=10,
        by_category={"KNIT": 900},
    )
    _decide(
        season, AllocationCompleted(workflow_id=wf, producer="forecast", payload=allocated), asked
    )
    assert season.state is S.IN_SEASON
    out = _decide(season, _variance(wf, 2, 0.35))
    [rerun] = _of(out, ForecastRequested)
    assert (rerun.payload.run_number, rerun.payload.started_by_week) == (2, 2)
    assert season.memory.reforecast_weeks == {2: 2}
    # The checkpoint waits for the re-forecast, then the markdown is proposed on it.
    _decide(season, _sell_through(wf, 2, 0.4))
    assert season.state is S.REFORECASTING
    assert season.memory.markdown_pending
    out = _decide(season, forecast_completed(wf, 2), asked)
    assert season.state is S.AWAITING_MARKDOWN_APPROVAL
    _decide(season, _decided(wf, "markdown", 15))
    out = _decide(season, _variance(wf, 4, 0.1))
    [done] = _of(out, WorkflowCompleted)
    assert (done.payload.manufacturing_quantity, done.payload.markdown_percentage) == (900, 15)
    assert season.state is S.COMPLETED
    assert season.completed_at is not None
    assert asked == [
        "review_forecast",
        "propose_manufacturing",
        "summarise_allocation",
        "review_reforecast",
        "propose_markdown",
    ]
    assert [t.to_state for t in season.transitions if t.accepted] == [
        S.FORECASTING,
        S.AWAITING_MANUFACTURING_APPROVAL,
        S.ALLOCATING,
        S.IN_SEASON,
        S.REFORECASTING,
        S.IN_SEASON,
        S.AWAITING_MARKDOWN_APPROVAL,
        S.IN_SEASON,
        S.COMPLETED,
    ]


def test_an_event_out_of_place_is_refused_and_recorded_and_changes_nothing() -> None:
    season = _season()
    out = _decide(season, _decided(season.id, "manufacturing", 900))
    [refusal] = _of(out, WorkflowTransitionRefused)
    assert "not expected in state created" in refusal.payload.reason
    assert season.state is S.CREATED
    assert season.memory.manufacturing_quantity is None
    [recorded] = season.transitions
    assert (recorded.accepted, recorded.event_type) == (False, "approval.decided")


def test_a_forecast_of_another_run_is_ignored() -> None:
    season = _season(S.REFORECASTING, run_number=3)
    out = _decide(season, forecast_completed(season.id, 2))
    [refusal] = _of(out, WorkflowTransitionRefused)
    assert "forecast run 2 is not the current run 3" in refusal.payload.reason
    assert season.memory.forecast is None
    assert season.state is S.REFORECASTING


def test_a_decision_needing_an_agent_asks_and_decides_nothing_yet() -> None:
    season = _season(S.FORECASTING, run_number=1)
    outcome = season.handle(forecast_completed(season.id, 1))
    assert isinstance(outcome, AgentNeeded)
    assert (outcome.agent, outcome.task) == ("demand", "review_forecast")
    assert outcome.facts.forecast is not None
    assert outcome.facts.forecast.run_number == 1


def test_an_agent_result_on_other_facts_is_asked_for_again() -> None:
    season = _season(S.FORECASTING, run_number=1)
    outcome = season.handle(forecast_completed(season.id, 1))
    assert isinstance(outcome, AgentNeeded)
    agents = AgentResults()
    stale = _agent(outcome)
    # The same task answered on a season that knew another sell-through: not these facts.
    other = _season(S.IN_SEASON)
    other.memory.sell_through = _sell_through(other.id, 1, 0.2).payload
    agents.keep("review_forecast", AgentResult(other.facts(), stale.report))
    again = season.handle(forecast_completed(season.id, 1), agents)
    assert isinstance(again, AgentNeeded)
    assert again.task == "review_forecast"


def test_a_failed_agent_fails_the_season_with_its_reason() -> None:
    season = _season(S.FORECASTING, run_number=1)
    event = forecast_completed(season.id, 1)
    needed = season.handle(event)
    assert isinstance(needed, AgentNeeded)
    agents = AgentResults()
    agents.keep(needed.task, AgentResult(needed.facts, error="model timed out"))
    out = season.handle(event, agents)
    assert isinstance(out, Caused)
    [failed] = _of(out, AgentFailed)
    assert "could not review forecast: model timed out" in failed.payload.reason
    assert _of(out, WorkflowFailed)
    assert season.state is S.FAILED
    assert season.error is not None


def test_one_reforecast_at_a_time_and_none_after_the_last_week() -> None:
    season = _season(S.REFORECASTING, run_number=2, last_week=1)
    out = _decide(season, _variance(season.id, 2, 0.5))
    assert not _of(out, ForecastRequested)
    assert "already under way" in out.progress[0].payload.model_dump()["message"]
    season = _season(S.IN_SEASON, run_number=1)
    out = _decide(season, _variance(season.id, PARAMETERS.forecast_horizon_weeks, 0.5))
    assert not _of(out, ForecastRequested)
    assert _of(out, WorkflowCompleted)
    assert season.state is S.COMPLETED


def test_a_corrected_week_that_started_a_reforecast_runs_it_again() -> None:
    season = _season(S.IN_SEASON, run_number=2, last_week=3, reforecast_weeks={2: 2})
    out = _decide(season, _upload(season.id, 2, replaced=True, same=False))
    [rerun] = _of(out, ForecastRequested)
    assert (rerun.payload.run_number, rerun.payload.started_by_week) == (3, 2)
    assert rerun.payload.actuals_through_week == 3
    assert season.memory.reforecast_weeks == {2: 3}
    assert season.state is S.REFORECASTING


def test_an_upload_that_changes_nothing_the_season_ran_on_starts_nothing() -> None:
    cases = [
        (S.IN_SEASON, 2, True, True),  # the same figures again
        (S.IN_SEASON, 3, True, False),  # week 3 started no run
        (S.IN_SEASON, 2, False, False),  # a first upload: its check decides
        (S.REFORECASTING, 2, True, False),  # a run is under way: the next check follows it
    ]
    for state, week, replaced, same in cases:
        season = _season(state, run_number=2, last_week=3, reforecast_weeks={2: 2})
        out = _decide(season, _upload(season.id, week, replaced=replaced, same=same))
        assert out.events == [], (state, week, replaced, same)
        assert season.memory.run_number == 2


def test_a_failed_reforecast_keeps_the_season_on_its_previous_run() -> None:
    season = _season(S.REFORECASTING, run_number=2)
    season.memory.forecast = forecast_completed(season.id, 1).payload
    out = _decide(
        season,
        ForecastFailed(
            workflow_id=season.id,
            producer="forecast",
            payload=ForecastFailedPayload(reason="no history", run_number=2),
        ),
    )
    [failed] = _of(out, AgentFailed)
    assert "continues on run 1" in failed.payload.reason
    assert season.state is S.IN_SEASON
    [moved] = _of(out, WorkflowStateChanged)
    assert moved.payload.to_state is S.IN_SEASON


def test_a_season_asking_for_an_agent_is_left_as_it_was() -> None:
    season = _season(S.REFORECASTING, run_number=2, markdown_pending=True)
    season.memory.sell_through = _sell_through(season.id, 2, 0.4).payload
    outcome = season.handle(forecast_completed(season.id, 2), AgentResults())
    assert isinstance(outcome, AgentNeeded)
    assert season.state is S.REFORECASTING
    assert season.memory.forecast is None
    assert season.transitions == []


def test_the_decided_lines_are_remembered_and_allocated() -> None:
    """A decision by category: the allocation is asked for those lines, not a split total."""
    season = _season(S.AWAITING_MANUFACTURING_APPROVAL)
    lines = {"ACCS": 23865.0, "DRES": 31404.0, "KNIT": 8864.0, "OUTW": 7663.0 + 6155}
    total = _decided(season.id, "manufacturing", sum(lines.values()))
    decided = total.model_copy(
        update={"payload": total.payload.model_copy(update={"decided_lines": lines})}
    )
    caused = _decide(season, decided)
    [request] = [e for e in caused.events if isinstance(e, AllocationRequested)]
    assert request.payload.lines == {code: int(units) for code, units in lines.items()}
    assert request.payload.approved_quantity == sum(request.payload.lines.values())
    assert season.memory.manufacturing_lines == request.payload.lines
    # A decision stored before lines (none on the event): the total, split by the plan.
    older = _season(S.AWAITING_MANUFACTURING_APPROVAL)
    caused = _decide(older, _decided(older.id, "manufacturing", 900))
    [request] = [e for e in caused.events if isinstance(e, AllocationRequested)]
    assert (request.payload.approved_quantity, request.payload.lines) == (900, None)


def test_the_checkpoint_prices_by_category_and_remembers_the_decided_lines() -> None:
    season = _season(S.IN_SEASON, manufacturing_quantity=900)
    wf = season.id
    behind = SellThroughComputed(
        workflow_id=wf,
        producer="forecast",
        payload=SellThroughComputedPayload(
            week_number=2,
            sell_through=0.5,
            by_category={"KNIT": 0.75, "DRES": 0.37},
            target=0.6,
            below_target=True,
        ),
    )
    asked: list[str] = []
    _decide(season, behind, asked)
    assert asked == ["propose_markdown"]
    assert [t.to_state for t in season.transitions][-1] is S.AWAITING_MARKDOWN_APPROVAL
    decided = _decided(wf, "markdown", 5)
    lines = {"DRES": 5.0, "KNIT": 0.0}
    decided = decided.model_copy(
        update={"payload": decided.payload.model_copy(update={"decided_lines": lines})}
    )
    _decide(season, decided)
    assert season.memory.markdown_lines == lines
    assert season.state is S.IN_SEASON
    assert "DRES 5%, KNIT 0%" in season.transitions[-1].reason


def test_a_category_behind_is_said_when_the_season_is_on_target() -> None:
    season = _season(S.IN_SEASON, manufacturing_quantity=900)
    on_target = SellThroughComputed(
        workflow_id=season.id,
        producer="forecast",
        payload=SellThroughComputedPayload(
            week_number=2,
            sell_through=0.62,
            by_category={"ACCS": 0.70, "DRES": 0.36, "KNIT": 0.74, "OUTW": 0.68},
            target=0.6,
            below_target=False,
        ),
    )
    asked: list[str] = []
    caused = _decide(season, on_target, asked)
    assert asked == ["propose_markdown"]
    said = " ".join(e.payload.message for e in caused.progress if isinstance(e, AgentProgress))
    assert (
        "Sell-through 62% meets the target 60% overall, but DRES is at 36%: a markdown is "
        "priced per category"
    ) in said
    assert season.state is S.AWAITING_MARKDOWN_APPROVAL


def test_the_briefs_proposed_overrides_are_said_not_applied() -> None:
    season = _season(S.EXTRACTING)
    extracted = _extraction(season.id, [])
    proposal = ProposedOverride(
        category="outerwear",
        percent=10,
        reason="brief: Outerwear up 10 % vs last year",
        evidence="Outerwear up 10 % vs last year",
        confidence=0.8,
    )
    payload = extracted.payload.model_copy(
        update={
            "extraction": extracted.payload.extraction.model_copy(
                update={"proposed_overrides": [proposal]}
            )
        }
    )
    caused = _decide(season, extracted.model_copy(update={"payload": payload}))
    said = [e.payload.message for e in caused.progress if isinstance(e, AgentProgress)]
    assert any("outerwear +10 % (Outerwear up 10 % vs last year)" in m for m in said)
    assert season.state is S.FORECASTING


def test_a_transfer_proposal_is_explained_and_asked_for_without_moving_the_season() -> None:
    from planner_shared.events import (
        AgentProgress,
        ApprovalRequested,
        TransfersProposed,
        TransfersProposedPayload,
    )

    season = _season(S.IN_SEASON)
    proposal = outerwear_transfers(moves=1)
    event = TransfersProposed(
        workflow_id=season.id,
        producer="forecast",
        payload=TransfersProposedPayload(proposal=proposal),
    )
    caused = _decide(season, event)
    assert season.state is S.IN_SEASON
    (asked,) = _of(caused, ApprovalRequested)
    assert asked.payload.proposal == proposal
    progress = [p for p in caused.progress if isinstance(p, AgentProgress)]
    said = " ".join(p.payload.message for p in progress)
    assert "OUTW 200 units" in said
    assert "2,000 -> 1,800" in said
    # The decision is the forecast service's to record: the season does not move.
    decided = _decide(season, _decided(season.id, "transfers", 200))
    assert season.state is S.IN_SEASON
    assert not decided.events


def _overridden(workflow_id: UUID) -> ForecastOverridden:
    return ForecastOverridden(
        workflow_id=workflow_id,
        producer="gateway",
        payload=ForecastOverriddenPayload(
            override_id=uuid4(), action="made", by="pat", reason="cold spring", summary="KNIT +25 %"
        ),
    )


def _replanned(workflow_id: UUID, quantity: int | None) -> ManufacturingReplanned:
    line = ManufacturingLine(
        category_code="KNIT",
        forecast_units=1250,
        safety_stock_pct=10.0,
        stock_on_hand=100,
        quantity=quantity or 0,
    )
    plan = ManufacturingRecommendation(total_quantity=quantity or 0, lines=[line])
    return ManufacturingReplanned(
        workflow_id=workflow_id,
        producer="forecast",
        payload=ManufacturingReplannedPayload(
            reason="forecast override by pat: cold spring",
            manufacturing=plan if quantity else None,
            problem=None if quantity else "the DC holdback leaves the stores too little",
        ),
    )


def test_an_override_while_the_order_awaits_its_decision_re_proposes_it() -> None:
    season = _season(S.CREATED)
    wf = season.id
    season.parameters = PARAMETERS
    season.state = S.FORECASTING
    season.memory.run_number = 1
    _decide(season, forecast_completed(wf, 1))
    assert season.state is S.AWAITING_MANUFACTURING_APPROVAL
    first = season.pending_request_id
    # The override: the order is asked for again on run 1's categories, nothing else moves.
    out = _decide(season, _overridden(wf))
    [replan] = _of(out, ManufacturingReplanRequested)
    assert replan.payload.reason == "forecast override by pat: cold spring"
    assert [c.category_code for c in replan.payload.categories] == ["KNIT"]
    assert season.state is S.AWAITING_MANUFACTURING_APPROVAL
    # Sized again: the inventory agent proposes it and the request supersedes the pending one.
    asked: list[str] = []
    out = _decide(season, _replanned(wf, 1300), asked)
    assert asked == ["propose_manufacturing"]
    [request] = _of(out, ApprovalRequested)
    assert request.payload.supersedes_reason == "forecast override by pat: cold spring"
    assert isinstance(request.payload.proposal, ManufacturingProposal)
    assert request.payload.proposal.quantity == 1300
    assert season.pending_request_id == request.event_id != first
    assert season.state is S.AWAITING_MANUFACTURING_APPROVAL
    # A sizing that failed keeps the proposal on the table, and says why.
    out = _decide(season, _replanned(wf, None))
    assert not _of(out, ApprovalRequested)
    assert any("stands" in p.payload.message for p in _of_progress(out))


def test_an_override_in_any_other_state_asks_for_no_new_order() -> None:
    for state in (S.FORECASTING, S.ALLOCATING, S.IN_SEASON, S.AWAITING_MARKDOWN_APPROVAL):
        season = _season(state, forecast=forecast_completed(uuid4(), 1).payload)
        assert _decide(season, _overridden(season.id)).events == []
    # The order decided before the sizing came back: nothing is proposed.
    season = _season(S.ALLOCATING, forecast=forecast_completed(uuid4(), 1).payload)
    out = _decide(season, _replanned(season.id, 1300))
    assert not _of(out, ApprovalRequested)
    assert season.state is S.ALLOCATING
