"""One spring season of the sample data, played the way a planner would: brief, confirmed
parameters, manufacturing approval, twelve weekly uploads, the markdown decision.

The steps are separate coroutines so the restart test can play the same season and break a
service between two of them; `check_season` verifies what the API then reports.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from planner_client import (
    GatewayClient,
    Match,
    Message,
    WorkflowFeed,
    is_event,
    is_failure,
    needs_input,
)
from planner_shared.workflow import ApprovalKind

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"

BRIEF = (
    "Plan the 12-week spring season starting March 2, 2026, replenish weekly, keep 45% at the "
    "DC, check markdowns at week 6 if sell-through is under 60%"
)
REFERENCE_DATE = "2026-02-16"  # the brief is written two weeks before the season
EXPECTED_PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2026-03-02",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45.0,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
}
WEEKS = 12
DRIFT_WEEK = 4  # data/sample/README.md: the cold snap that must trigger the re-forecast
CHECKPOINT_WEEK = 6
STORES = 50
CATEGORIES = ("ACCS", "DRES", "KNIT", "OUTW")
APPROVER = "dev-approver"
MANUFACTURING_REASON = "bigger launch: the whole range in all 50 stores"

# Per-step budgets on a busy 2-core machine; the whole season must stay under 3 minutes.
FORECAST_SECONDS = 150.0
STEP_SECONDS = 30.0

ONCE_PER_WEEK = ("actuals.uploaded", "variance.checked")


def expected_counts(runs: int) -> dict[str, int]:
    """How many events of each type a season with `runs` forecast runs has in its history."""
    return {
        "workflow.requested": 1,
        "forecast.requested": runs,
        "forecast.completed": runs,
        "approval.requested": 2,  # manufacturing, markdown
        "approval.pending": 2,
        "approval.decision_submitted": 2,
        "approval.decided": 2,
        "allocation.requested": 1,
        "allocation.completed": 1,
        "actuals.uploaded": WEEKS,
        "variance.checked": WEEKS,
        "sell_through.computed": 1,
        "workflow.completed": 1,
        "workflow.failed": 0,
        "workflow.transition_refused": 0,
        "agent.failed": 0,
        "forecast.failed": 0,
        "allocation.failed": 0,
        "approval.decision_refused": 0,
    }


Interlude = Callable[[], Awaitable[None]]


class WorkflowFailedError(AssertionError):
    """The workflow reported a failure while the test waited for progress."""


def raise_if_failed(feed: WorkflowFeed) -> None:
    if failures := feed.failures():
        raise WorkflowFailedError(f"the workflow reported errors: {failures}\n{feed.recent()}")


async def expect(
    feed: WorkflowFeed, match: Match, what: str, *, after: int = 0, within: float
) -> Message:
    """The first message from position `after` on that matches; a failure of the workflow,
    before or while waiting, fails at once."""
    raise_if_failed(feed)
    try:
        message = await feed.first(lambda m: match(m) or is_failure(m), after=after, within=within)
    except TimeoutError:
        raise AssertionError(
            f"no {what} on the WebSocket within {within:.0f}s\n{feed.recent()}"
        ) from None
    if not match(message):
        raise_if_failed(feed)
    return message


async def wait_state(
    client: GatewayClient, workflow_id: UUID, states: set[str], feed: WorkflowFeed, within: float
) -> dict[str, Any]:
    """Poll the workflow until it is in one of `states`; fail at once if it failed."""
    deadline = time.monotonic() + within
    while True:
        workflow = await client.workflow(workflow_id)
        if workflow["state"] in states:
            return dict(workflow)
        if workflow["state"] in {"failed", "cancelled"}:
            raise WorkflowFailedError(
                f"workflow {workflow['state']}: {workflow['error']}\n{feed.recent()}"
            )
        raise_if_failed(feed)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"workflow still {workflow['state']} after {within:.0f}s, waiting for "
                f"{sorted(states)}\n{feed.recent()}"
            )
        await asyncio.sleep(0.2)


def week_file(week: int) -> Path:
    return SAMPLE_DIR / "weekly_actuals_by_week" / f"week_{week:02d}.csv"


def week_units(week: int) -> int:
    with week_file(week).open(newline="") as f:
        return sum(int(row["units_sold"]) for row in csv.DictReader(f))


@dataclass
class Season:
    """What the test learnt while playing; `check_season` compares the API against it."""

    client: GatewayClient
    workflow_id: UUID | None = None
    feed: WorkflowFeed | None = None
    proposed_quantity: int = 0
    approved_quantity: int = 0
    manufacturing_decision: dict[str, Any] = field(default_factory=dict)
    markdown_decision: dict[str, Any] = field(default_factory=dict)
    uploads: dict[int, dict[str, Any]] = field(default_factory=dict)
    allocation_event: dict[str, Any] = field(default_factory=dict)
    reforecast_weeks: dict[int, int] = field(default_factory=dict)  # run number -> week
    laps: list[tuple[str, float]] = field(default_factory=list)
    _last: float = field(default_factory=time.monotonic)

    def lap(self, label: str) -> None:
        """Record how long the step that just ended took (printed with the test's output)."""
        now = time.monotonic()
        self.laps.append((label, now - self._last))
        self._last = now

    def timings(self) -> str:
        total = sum(seconds for _, seconds in self.laps)
        steps = ", ".join(f"{label} {seconds:.1f}s" for label, seconds in self.laps)
        return f"{total:.1f}s: {steps}"

    @property
    def wid(self) -> UUID:
        assert self.workflow_id is not None
        return self.workflow_id

    @property
    def socket(self) -> WorkflowFeed:
        assert self.feed is not None
        return self.feed


async def extract_parameters(client: GatewayClient) -> dict[str, Any]:
    """The brief in, the parameters out, each one read from the brief, not defaulted."""
    extraction = await client.extract(BRIEF, REFERENCE_DATE)
    assert extraction["usable"] is True, extraction
    assert extraction["issues"] == [], extraction["issues"]
    assert extraction["defaulted"] == [], extraction["defaulted"]
    parameters: dict[str, Any] = extraction["parameters"]
    assert {k: parameters[k] for k in EXPECTED_PARAMETERS} == EXPECTED_PARAMETERS, parameters
    assert parameters["season_end_date"] == "2026-05-24", parameters
    return parameters


async def start(season: Season, parameters: dict[str, Any]) -> dict[str, Any]:
    created = await season.client.start(parameters=parameters)
    assert created["state"] == "created", created
    assert created["websocket_url"].endswith(f"/ws/workflows/{created['workflow_id']}")
    season.workflow_id = UUID(created["workflow_id"])
    season.lap("extraction and start")
    return dict(created)


async def manufacturing_request(season: Season) -> Message:
    """The manufacturing proposal, once the forecast is in and the agents have reasoned."""
    feed = season.socket
    ask = await expect(
        feed,
        needs_input("manufacturing"),
        "manufacturing approval request",
        within=FORECAST_SECONDS,
    )
    season.lap("forecast run 1 and proposal")
    # The agents reasoned before asking: the demand review and the inventory proposal.
    agents_done = {m["agent_key"] for m in feed.messages if m["type"] == "agent_completed"}
    assert {"demand", "inventory"} <= agents_done, feed.recent()
    proposal = ask["data"]
    assert proposal["kind"] == "manufacturing"
    assert 0 < proposal["min_quantity"] < proposal["quantity"] < proposal["max_quantity"]
    assert sorted(line["category_code"] for line in proposal["lines"]) == list(CATEGORIES)
    workflow = await season.client.workflow(season.wid)
    assert workflow["state"] == "awaiting_manufacturing_approval", workflow
    assert workflow["pending_input"]["kind"] == "manufacturing", workflow
    return ask


async def decide_manufacturing(season: Season, ask: Message) -> dict[str, Any]:
    """Order more than proposed, within the proposal's bounds."""
    proposal = ask["data"]
    season.proposed_quantity = proposal["quantity"]
    # A planner who launches the range bigger than the model would: halfway to the maximum.
    # (More stock also means a lower sell-through at the checkpoint, so a markdown is due.)
    season.approved_quantity = (proposal["quantity"] + proposal["max_quantity"]) // 2
    decision = await season.client.decide(
        "manufacturing",
        season.wid,
        action="modify",
        value=season.approved_quantity,
        reason=MANUFACTURING_REASON,
    )
    assert decision["action"] == "modify"
    assert decision["decided_value"] == season.approved_quantity
    assert decision["proposed_value"] == season.proposed_quantity
    assert decision["decided_by"] == APPROVER
    assert decision["approval_id"] == ask["approval_id"]
    season.manufacturing_decision = dict(decision)
    season.lap("manufacturing decision")
    return dict(decision)


async def approve_manufacturing(season: Season) -> dict[str, Any]:
    return await decide_manufacturing(season, await manufacturing_request(season))


async def wait_allocated(season: Season) -> None:
    """The order is allocated to the stores and the season is running."""
    done = await expect(
        season.socket, is_event("allocation.completed"), "allocation", within=STEP_SECONDS
    )
    season.allocation_event = done["data"]
    await wait_state(season.client, season.wid, {"in_season"}, season.socket, STEP_SECONDS)
    season.lap("allocation")


async def upload_week(
    season: Season, week: int, meanwhile: Interlude | None = None
) -> dict[str, Any]:
    """Upload one week and wait for its variance check, and for the re-forecast it starts.

    `meanwhile` runs as soon as the upload is accepted, while the services work on it.
    """
    feed = season.socket
    mark = feed.mark()
    upload = await season.client.upload_week(season.wid, week_file(week), week)
    if meanwhile is not None:
        await meanwhile()
    assert upload["workflow_id"] == str(season.wid), upload
    assert upload["week_number"] == week, upload
    assert upload["row_count"] == STORES * len(CATEGORIES), upload
    assert upload["units_sold"] == week_units(week), upload
    assert upload["replaced_previous"] is upload["same_as_previous"] is False, upload
    season.uploads[week] = dict(upload)
    checked = await expect(
        feed,
        is_event("variance.checked", week_number=week),
        f"variance check of week {week}",
        after=mark,
        within=STEP_SECONDS,
    )
    check = checked["data"]
    # The forecast service reports the check (no re-forecast bookkeeping in it); the
    # orchestrator decides what it starts.
    assert "reforecast_run_number" not in check, check
    if week < DRIFT_WEEK:
        assert check["exceeded"] is False, check
    if week == DRIFT_WEEK:
        assert check["exceeded"] is True, check
        # The cold snap: knitwear and outerwear ran ahead of a total still within the
        # threshold, and the message says so rather than "variance above the threshold".
        fired = {c["category_code"] for c in check["categories"] if c["exceeded"]}
        assert fired == {"KNIT", "OUTW"}, check
        assert check["total_exceeded"] is False, check
        text = checked["message"]
        assert text.startswith(f"week {week}: total "), text
        assert "above forecast (within 20%); KNIT " in text, text
        assert text.endswith("above forecast → over the threshold"), text
    run = None
    if check["exceeded"] and week < WEEKS:
        said = await expect(
            feed,
            lambda m: (
                m.get("agent_key") == "orchestrator"
                and str(m.get("message", "")).startswith(f"Week {week}: ")
            ),
            f"the orchestrator's decision on week {week}",
            after=mark,
            within=STEP_SECONDS,
        )
        if "re-forecasting" in said["message"]:
            requested = await expect(
                feed,
                is_event("forecast.requested", reason="variance", actuals_through_week=week),
                f"the re-forecast request of week {week}",
                after=mark,
                within=STEP_SECONDS,
            )
            run = requested["data"]["run_number"]
    if week == DRIFT_WEEK:
        # The drift alone starts the re-forecast: nobody asked for it.
        assert run == 2, run
    if run is not None:
        season.reforecast_weeks[run] = week
        await expect(
            feed,
            is_event("forecast.completed", run_number=run),
            f"re-forecast run {run}",
            after=mark,
            within=FORECAST_SECONDS,
        )
        season.lap(f"week {week} + re-forecast {run}")
    else:
        season.lap(f"week {week}")
    return dict(upload)


async def settle(season: Season) -> str:
    """Wait out a re-forecast in progress: the next week arrives once the plan is updated."""
    workflow = await wait_state(
        season.client,
        season.wid,
        {"in_season", "awaiting_markdown_approval", "completed"},
        season.socket,
        FORECAST_SECONDS,
    )
    return str(workflow["state"])


async def approve_markdown(season: Season, mark: int) -> dict[str, Any]:
    ask = await expect(
        season.socket,
        needs_input("markdown"),
        "markdown approval request",
        after=mark,
        within=STEP_SECONDS,
    )
    proposal = ask["data"]
    assert proposal["week_number"] == CHECKPOINT_WEEK, proposal
    assert (
        proposal["sell_through"] < proposal["target"] == EXPECTED_PARAMETERS["markdown_threshold"]
    ), proposal
    assert 0 < proposal["percentage"] <= proposal["max_percentage"], proposal
    assert proposal["percentage"] % 5 == 0, proposal  # the rule rounds to 5%
    decision = await season.client.decide(
        "markdown", season.wid, action="accept", reason="as proposed"
    )
    assert decision["action"] == "accept"
    assert decision["decided_value"] == proposal["percentage"]
    assert decision["decided_by"] == APPROVER
    season.markdown_decision = dict(decision)
    season.lap("markdown decision")
    return dict(decision)


async def play_in_season(season: Season, meanwhile: dict[int, Interlude] | None = None) -> None:
    """Weeks 1..12 in order, answering the markdown checkpoint when it comes; `meanwhile`
    maps a week to what happens right after its upload is accepted."""
    for week in range(1, WEEKS + 1):
        mark = season.socket.mark()
        await upload_week(season, week, (meanwhile or {}).get(week))
        state = await settle(season)
        if week == CHECKPOINT_WEEK:
            await approve_markdown(season, mark)
            back = await wait_state(
                season.client, season.wid, {"in_season"}, season.socket, STEP_SECONDS
            )
            state = back["state"]
        if week < WEEKS:
            assert state == "in_season", state


async def wait_complete(season: Season) -> dict[str, Any]:
    done = await expect(
        season.socket,
        lambda m: m["type"] == "workflow_complete",
        "workflow_complete",
        within=STEP_SECONDS,
    )
    workflow = await wait_state(
        season.client, season.wid, {"completed"}, season.socket, STEP_SECONDS
    )
    assert workflow["completed_at"] is not None
    assert workflow["pending_input"] is None
    season.lap("completion")
    return dict(done)


# ----------------------------------------------------------------------------- checks
async def check_season(season: Season) -> None:
    """Everything the API stores about the finished season matches what was played."""
    await _check_forecasts(season)
    await _check_allocation(season)
    await _check_approvals(season)
    await _check_variance(season)
    await _check_history(season)
    await _check_bus(season.client)


def _first_forecast_week(season: Season, run: int) -> int:
    # A re-forecast made after week k plans weeks k+1 onwards.
    return 1 if run == 1 else season.reforecast_weeks[run] + 1


async def _check_forecasts(season: Season) -> None:
    runs = [1, *sorted(season.reforecast_weeks)]
    assert runs == list(range(1, len(runs) + 1)), season.reforecast_weeks
    forecasts = await season.client.get(f"/api/workflows/{season.wid}/forecasts", all_runs="true")
    assert forecasts["run_numbers"] == runs, forecasts["run_numbers"]
    reasons = Counter((f["run_number"], f["reason"]) for f in forecasts["forecasts"])
    expected = {(r, "initial" if r == 1 else "variance"): len(CATEGORIES) for r in runs}
    assert reasons == expected, reasons
    for forecast in forecasts["forecasts"]:
        assert forecast["category_code"] in CATEGORIES
        assert forecast["total_season_demand"] > 0, forecast["category_code"]
        weeks = [w["week_number"] for w in forecast["weekly_demand_curve"]]
        first = _first_forecast_week(season, forecast["run_number"])
        assert weeks == list(range(first, WEEKS + 1)), (forecast["run_number"], weeks)
        for w in forecast["weekly_demand_curve"]:
            assert w["lower_95"] <= w["lower_80"] <= w["forecasted_units"] <= w["upper_80"]
            assert w["upper_80"] <= w["upper_95"]


async def _check_allocation(season: Season) -> None:
    client, wid, approved = season.client, season.wid, season.approved_quantity
    plan = await client.get(f"/api/workflows/{wid}/allocations")
    lines = plan["store_allocations"]
    assert plan["store_count"] == STORES == len(lines)
    assert len({line["store_id"] for line in lines}) == STORES, "one allocation line per store"
    assert plan["manufacturing_qty"] == approved
    initial = sum(line["initial_allocation"] for line in lines)
    assert initial == plan["initial_allocation_total"] == sum(plan["by_category"].values())
    # The DC keeps 45% of the approved order (rounded per category), the stores get the rest.
    event = season.allocation_event
    assert event["total_units"] == approved
    assert event["store_units"] == initial
    assert event["dc_holdback_units"] == plan["holdback_total"] == approved - initial
    assert abs(event["dc_holdback_units"] - approved * 0.45) <= len(CATEGORIES)
    for line in lines:
        assert line["initial_allocation"] == sum(line["by_category"].values()) > 0
        assert sorted(line["by_category"]) == list(CATEGORIES), line
    results = await client.get(f"/api/workflows/{wid}/results")
    orders = results["manufacturing_orders"]
    # Weekly replenishment ships from the DC: the holdback and the stock it had before the
    # order, never more than it holds (docs/stock.md).
    on_hand = sum(o["stock_on_hand"] for o in orders)
    assert 0 < plan["replenishment_total"] <= plan["holdback_total"] + on_hand
    assert sorted(o["category_code"] for o in orders) == list(CATEGORIES), orders
    assert sum(o["approved_quantity"] for o in orders) == approved
    assert sum(o["recommended_quantity"] for o in orders) == season.proposed_quantity


async def _check_approvals(season: Season) -> None:
    listed = (await season.client.get(f"/api/workflows/{season.wid}/approvals"))["approvals"]
    # The season's gates; a week's transfer proposal (one row, the newest week's) is the
    # planner's to decide and stops nothing.
    approvals = [a for a in listed if ApprovalKind(a["kind"]).gate]
    by_kind = {a["kind"]: a for a in approvals}
    assert len(approvals) == len(by_kind) == 2, listed
    manufacturing, markdown = by_kind["manufacturing"], by_kind["markdown"]
    assert manufacturing["status"] == markdown["status"] == "decided", approvals
    assert manufacturing["action"] == "modify"
    assert manufacturing["proposed_value"] == season.proposed_quantity
    assert manufacturing["decided_value"] == season.approved_quantity
    assert manufacturing["min_value"] <= season.approved_quantity <= manufacturing["max_value"]
    assert manufacturing["decided_by"] == markdown["decided_by"] == APPROVER
    assert manufacturing["reason"] == MANUFACTURING_REASON
    assert markdown["action"] == "accept"
    assert markdown["decided_value"] == markdown["proposed_value"]
    assert markdown["decided_value"] == season.markdown_decision["decided_value"]
    markdowns = (await season.client.get(f"/api/workflows/{season.wid}/markdowns"))["markdowns"]
    assert len(markdowns) == 1, markdowns
    assert markdowns[0]["week_number"] == CHECKPOINT_WEEK
    assert markdowns[0]["decided_markdown_pct"] == markdown["decided_value"]


async def _check_variance(season: Season) -> None:
    path = f"/api/workflows/{season.wid}/variance"
    variance = await season.client.get(path)
    assert variance["weeks_with_actuals"] == list(range(1, WEEKS + 1))
    checks = {c["week_number"]: c for c in variance["checks"]}
    assert sorted(checks) == list(range(1, WEEKS + 1)), sorted(checks)
    for week in range(1, DRIFT_WEEK):
        assert checks[week]["threshold_exceeded"] is False, checks[week]
        assert checks[week]["variance_fraction"] < checks[week]["threshold"]
    for week in season.reforecast_weeks.values():
        assert checks[week]["threshold_exceeded"] is True, checks[week]
    week4 = await season.client.get(path, week=DRIFT_WEEK)
    assert [c["week_number"] for c in week4["checks"]] == [DRIFT_WEEK]


async def _check_history(season: Season) -> None:
    events = await season.client.events(season.wid)
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids)), "the history holds an event twice"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    counts = Counter(e["type"] for e in events)
    refused = [e["envelope"]["payload"] for e in events if e["type"].endswith("refused")]
    expected_by_type = expected_counts(1 + len(season.reforecast_weeks))
    # Each week's transfer proposal asks for its own approval, besides the season's gates.
    for gate in ("approval.requested", "approval.pending"):
        expected_by_type[gate] += counts["transfers.proposed"]
    for event_type, expected in expected_by_type.items():
        assert counts[event_type] == expected, (event_type, counts[event_type], counts, refused)
    # Each agent's step finished once: the demand review per forecast run, the inventory
    # proposal and allocation summary, the pricing proposal.
    finished = Counter(
        e["envelope"]["payload"]["agent"] for e in events if e["type"] == "agent.completed"
    )
    runs = 1 + len(season.reforecast_weeks)
    assert finished == {"demand": runs, "inventory": 2, "pricing": 1}, finished
    weeks = Counter(
        e["envelope"]["payload"]["week_number"] for e in events if e["type"] in ONCE_PER_WEEK
    )
    assert weeks == dict.fromkeys(range(1, WEEKS + 1), len(ONCE_PER_WEEK)), weeks

    # Each re-forecast was decided by the orchestrator on the variance check of the week
    # whose upload exceeded the threshold (the first, week 4's); the planner never asked.
    by_id = {e["event_id"]: e for e in events}
    assert counts["workflow.reforecast_requested"] == 0
    for e in events:
        payload = e["envelope"]["payload"]
        if e["type"] != "forecast.requested" or payload["run_number"] == 1:
            continue
        week = season.reforecast_weeks[payload["run_number"]]
        check = by_id[str(e["envelope"]["causation_id"])]
        assert check["type"] == "variance.checked", (week, check["type"])
        assert e["envelope"]["producer"] == "agents"
        cause = by_id[str(check["envelope"]["causation_id"])]
        assert cause["event_id"] == season.uploads[week]["event_id"], (week, cause["type"])
        assert payload["reason"] == "variance"
        assert payload["actuals_through_week"] == week

    # Every upload's event is in the history; the states went the designed way.
    for week, upload in season.uploads.items():
        assert by_id[upload["event_id"]]["envelope"]["payload"]["week_number"] == week
    changes = [e["envelope"]["payload"] for e in events if e["type"] == "workflow.state_changed"]
    path = [change["to_state"] for change in changes]
    assert path[:4] == ["forecasting", "awaiting_manufacturing_approval", "allocating", "in_season"]
    assert path[-1] == "completed", path
    assert path.count("reforecasting") == len(season.reforecast_weeks), path
    assert path.count("awaiting_markdown_approval") == 1, path

    # The socket delivered the whole history, each event once: nothing lost, nothing doubled.
    seen = [m["event_id"] for m in season.socket.messages]
    assert len(seen) == len(set(seen)), "the WebSocket delivered an event twice"
    assert set(seen) == set(ids), (set(ids) - set(seen), set(seen) - set(ids))


async def _check_bus(client: GatewayClient) -> None:
    """Nothing dead-lettered, and every consumer group drains: no event is stuck or lost."""
    letters = await client.dead_letters()
    assert letters == [], letters
    # A loaded 2-core machine can hold the forecast group's last events for several seconds
    # (each re-forecast is a real fit): allow a minute before calling it stuck.
    for _ in range(300):
        lag = await client.lag()
        if lag["total_pending"] == lag["total_lag"] == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the bus did not drain: {lag}")
