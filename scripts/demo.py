"""`make demo`: play one season through the gateway's public API and WebSocket, live.

    python scripts/demo.py [--yes] [--base-url URL (default: the .env port)] [--brief TEXT]
                           [--weeks N] [--timeout S] [--save-weeks DIR]

If nothing answers at the base URL (a loopback one), the stack is started first with
`python scripts/run_local.py up`, as `make run` does. Then, as a planner would:

1. the season brief goes to `POST /api/parameters/extract`; the extracted parameters, their
   confidence and any issues are shown;
2. `POST /api/workflows/forecast` starts the season with those parameters, and the
   workflow's WebSocket (`/ws/workflows/{id}?token=&since=start`) is shown live;
3. at each `human_input_required` (the manufacturing order, the markdown) the demo asks you
   to accept or modify the value; with `--yes`, or when stdin is not a terminal, it accepts;
4. the season's weeks are uploaded one by one with `POST /api/data/weekly-actuals`, each
   written by `GET /api/workflows/{id}/sample-actuals.csv?week=N` (the sample's demand capped by
   what this season put in each store: sales a store could make; `--save-weeks DIR` keeps
   them), each followed by its variance check (week 4's cold snap makes the orchestrator start a
   re-forecast) and, at the checkpoint, the sell-through check;
5. a short report: forecast per category, manufacturing decision, allocation, variance and
   re-forecasts, markdown decision.

Only the gateway is spoken to, with the development keys (dev-planner-key, dev-approver-key).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from planner_client import (
    ApiError,
    FeedClosedError,
    GatewayClient,
    Match,
    Message,
    WorkflowFeed,
    is_event,
    is_failure,
    needs_input,
)
from planner_shared.workflow import ApprovalKind

ROOT = Path(__file__).resolve().parents[1]


def default_base_url(root: Path = ROOT) -> str:
    """The gateway where `make run` starts it: the port set in the environment or `.env`
    (PLANNER_GATEWAY_PORT; under Docker Compose PLANNER_GATEWAY_PUBLISHED_PORT), else 8000."""
    from run_local import published_gateway_port
    from runstack.layout import Layout

    from planner_gateway.settings import GatewaySettings

    if Layout(root / "var").read_state().get("mode") == "docker":
        return f"http://127.0.0.1:{published_gateway_port(root)}"
    return f"http://127.0.0.1:{GatewaySettings(_env_file=root / '.env').port}"


# The sample season (data/sample/README.md): 12 weeks from Monday 2026-03-02.
DEFAULT_BRIEF = (
    "Plan our 12-week spring 2026 season starting Monday, March 2, 2026. Replenish the stores "
    "weekly from the DC and hold back 45% of the order at the distribution centre. Check "
    "sell-through at week 6: if it is below 60%, propose a markdown."
)
# The brief is read as of two weeks before the season, when a planner would write it.
REFERENCE_DATE = "2026-02-16"
WIDTH = 100
PAST = {"accept": "accepted", "modify": "modified"}


class DemoError(RuntimeError):
    pass


# ---------------------------------------------------------------- output
class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


STYLE = Style(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
SYMBOLS = {
    "agent_started": ("▶", "36"),
    "agent_progress": ("·", "2"),
    "agent_completed": ("✓", "32"),
    "human_input_required": ("?", "33;1"),
    "workflow_complete": ("★", "32;1"),
    "error": ("✗", "31;1"),
}


def heading(text: str) -> None:
    print("\n" + STYLE(f"── {text} " + "─" * max(0, WIDTH - len(text) - 4), "1"), flush=True)


def note(text: str) -> None:
    print(STYLE(f"  {text}", "35"), flush=True)


def render(message: Message) -> str:
    symbol, colour = SYMBOLS.get(message.get("type", ""), ("·", "2"))
    try:
        at = datetime.fromisoformat(message["timestamp"]).astimezone().strftime("%H:%M:%S")
    except (KeyError, TypeError, ValueError):
        at = "--:--:--"
    agent = str(message.get("agent") or message.get("producer") or "")
    text = str(message.get("message") or message.get("event_type") or message.get("type"))
    if message.get("progress_pct") is not None:
        text += f" [{message['progress_pct']}%]"
    if message.get("type") == "error":
        text = str(message.get("error_message") or text)
    prefix = f"  {at} {symbol} {agent:<20.20} "
    indent = " " * len(prefix)
    lines = textwrap.wrap(
        " ".join(text.split()),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        max_lines=4,
        placeholder=" …",
    )
    return STYLE(prefix, colour) + "\n".join(lines)[len(indent) :]


class LiveView:
    """Prints the feed as it arrives, except while the demo asks a question."""

    def __init__(self) -> None:
        self._held: list[Message] | None = None

    def __call__(self, message: Message) -> None:
        if self._held is not None:
            self._held.append(message)
        else:
            print(render(message), flush=True)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            for message in held:
                print(render(message), flush=True)


# ---------------------------------------------------------------- the stack
def is_loopback(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


async def ensure_stack(client: GatewayClient) -> bool:
    """True when this demo started the stack (it keeps running afterwards)."""
    if await client.answers():
        print(f"Gateway answers at {client.base_url}")
        return False
    if not is_loopback(client.base_url):
        raise DemoError(f"nothing answers at {client.base_url}/api/health")
    print(f"Nothing answers at {client.base_url}: starting the stack (scripts/run_local.py up)")
    command = [sys.executable, str(ROOT / "scripts" / "run_local.py"), "up"]
    result = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise DemoError("`scripts/run_local.py up` failed (see above); `make down` cleans up")
    for _ in range(40):
        if await client.answers():
            return True
        await asyncio.sleep(0.5)
    raise DemoError(
        f"the stack started but nothing answers at {client.base_url}; is the gateway on "
        "another port (PLANNER_GATEWAY_PORT)? pass it with --base-url"
    )


# ---------------------------------------------------------------- decisions
class Decider:
    def __init__(self, auto: bool, view: LiveView) -> None:
        self.auto = auto
        self.view = view

    async def ask(self, prompt: str) -> str:
        try:
            answer: str = await asyncio.to_thread(input, STYLE(prompt, "33;1"))
        except EOFError:
            print()
            self.auto = True
            note("no more input: accepting this and any further proposal")
            return ""
        return answer.strip()

    async def decide(
        self, kind: str, proposed: float, low: float, high: float, unit: str
    ) -> tuple[str, float | None, str | None]:
        """(action, value, reason) for one approval."""
        if self.auto:
            note(f"auto-approving the {kind} proposal of {proposed:,g}{unit}")
            return "accept", None, None
        with self.view.hold():
            while True:
                answer = await self.ask(f"  Accept {proposed:,g}{unit}? [A]ccept / [m]odify: ")
                if self.auto or answer.lower() in {"", "a", "accept", "y", "yes"}:
                    return "accept", None, None
                if answer.lower() not in {"m", "modify"}:
                    print("  answer a (accept) or m (modify)")
                    continue
                value = await self.value(low, high, unit)
                if value is None:
                    continue
                reason = await self.ask("  Why (one line)? ") or "planner adjustment"
                return "modify", value, reason

    async def value(self, low: float, high: float, unit: str) -> float | None:
        """A value within the bounds, asked until one is given; None (empty) goes back."""
        while not self.auto:
            raw = await self.ask(f"  New value ({low:,g}-{high:,g}{unit}, empty to go back): ")
            if not raw:
                return None
            try:
                value = float(raw.replace(",", "").rstrip("%"))
            except ValueError:
                print(f"  not a number: {raw!r}")
                continue
            if low <= value <= high:
                return value
            print(f"  {value:,g} is outside {low:,g}-{high:,g}")
        return None


# ---------------------------------------------------------------- the season
class Season:
    def __init__(self, client: GatewayClient, decider: Decider, timeout: float) -> None:
        self.client = client
        self.decider = decider
        self.timeout = timeout
        self.feed: WorkflowFeed | None = None
        self.workflow_id = ""
        self.answered: set[str] = set()
        self.timings: list[tuple[str, float]] = []
        self.weeks = 0  # the season's length, once its parameters are known

    async def wait(self, predicate: Match, after: int, what: str) -> Message:
        assert self.feed is not None
        try:
            message = await self.feed.first(
                lambda m: predicate(m) or is_failure(m), after=after, within=self.timeout
            )
        except TimeoutError:
            raise DemoError(f"waited {self.timeout:g}s for {what}; see `make logs`") from None
        except FeedClosedError as exc:
            raise DemoError(str(exc)) from None
        if is_failure(message) and not predicate(message):
            raise DemoError(f"the workflow reported an error: {message.get('error_message')}")
        return message

    async def decided_to_reforecast(self, week: int, mark: int) -> bool:
        """What the orchestrator made of a check past the threshold: a re-forecast, or none
        (one under way, a markdown decision pending)."""
        said = await self.wait(
            lambda m: (
                m.get("agent_key") == "orchestrator"
                and str(m.get("message", "")).startswith(f"Week {week}: ")
            ),
            mark,
            f"the orchestrator's decision on week {week}",
        )
        return "re-forecasting" in str(said.get("message", ""))

    async def extract(self, brief: str) -> dict[str, Any]:
        heading("1. The brief")
        for line in textwrap.wrap(brief, WIDTH - 4):
            print(f"  {line}")
        extraction = await self.client.extract(brief, REFERENCE_DATE)
        heading(
            f"2. Parameters ({extraction['extractor']} extractor, confidence "
            f"{extraction['confidence']:.0%} {extraction['confidence_level']})"
        )
        fields = extraction["fields"]
        for name in (n for n in extraction["parameters"] if n in fields):
            field = fields[name]
            evidence = str(field.get("evidence") or "")[:48]
            print(
                f"  {name:<26} {field['value']!s:<12} {field['confidence']:>4.0%}  "
                f"{field['source']:<8} {STYLE(evidence, '2')}"
            )
        for issue in extraction["issues"]:
            print(STYLE(f"  ! {issue.get('field') or ''}: {issue.get('message')}", "33"))
        if not extraction["usable"]:
            raise DemoError("the brief gave no usable parameters; rewrite it (--brief)")
        parameters: dict[str, Any] = extraction["parameters"]
        return parameters

    async def start(self, brief: str, parameters: dict[str, Any], view: LiveView) -> None:
        started = await self.client.start(parameters=parameters, brief=brief)
        self.workflow_id = str(started["workflow_id"])
        heading(f"3. Workflow {self.workflow_id}, live from the WebSocket")
        note(f"{started['websocket_url']}?token=…&since=start")
        self.feed = WorkflowFeed(self.client, self.workflow_id, on_message=view)
        await self.feed.__aenter__()

    async def close(self) -> None:
        if self.feed is not None:
            await self.feed.__aexit__(None, None, None)

    async def approve(self, message: Message) -> None:
        approval_id = str(message.get("approval_id"))
        if approval_id in self.answered:
            return
        self.answered.add(approval_id)
        kind = str(message["kind"])
        data = message.get("data") or {}
        if not ApprovalKind(kind).gate:
            # A week's transfer proposal does not stop the season; the demo leaves it to the
            # planner (the Transfers tab), so its stock moves as the sample weeks assume.
            note(f"transfer proposal for week {data.get('week_number')}: left to the planner")
            return
        print()
        print(STYLE(f"  Decision needed: {kind}", "33;1"))
        if kind == "manufacturing":
            proposed, low, high, unit = (
                data["quantity"],
                data["min_quantity"],
                data["max_quantity"],
                " units",
            )
            for line in data.get("lines", []):
                print(
                    f"    {line['category_code']:<6} {line['quantity']:>8,} units  (forecast "
                    f"{line['forecast_units']:,.0f} + {line['safety_stock_pct']:.1f}% safety, "
                    f"{line['stock_on_hand']:,} on hand)"
                )
        else:
            proposed, low, high, unit = data["percentage"], 0.0, data["max_percentage"], "%"
            print(
                f"    sell-through {data['sell_through']:.0%} at week {data['week_number']} "
                f"(target {data['target']:.0%}), elasticity {data['elasticity']:g}"
            )
        for line in textwrap.wrap(str(data.get("rationale") or ""), WIDTH - 6)[:6]:
            print(STYLE(f"    {line}", "2"))
        while True:
            action, value, reason = await self.decider.decide(kind, proposed, low, high, unit)
            try:
                decision = await self.client.decide(
                    kind, self.workflow_id, action, value=value, reason=reason
                )
                break
            except ApiError as exc:
                if exc.status not in {409, 422} or self.decider.auto:
                    raise
                print(STYLE(f"  refused: {exc.message}", "31"))
        note(
            f"{decision['decided_by']} {PAST[action]}: {decision['decided_value']:,g}{unit} "
            f"(proposed {decision['proposed_value']:,g}{unit})"
        )

    async def answer_pending(self, after: int) -> None:
        """Answer every approval asked since `after` that has no answer yet."""
        assert self.feed is not None
        for message in list(self.feed.messages[after:]):
            if message.get("type") == "human_input_required":
                await self.approve(message)

    async def plan(self) -> None:
        started = time.monotonic()
        message = await self.wait(needs_input("manufacturing"), 0, "the manufacturing proposal")
        self.timings.append(
            ("workflow start to manufacturing proposal", time.monotonic() - started)
        )
        assert self.feed is not None
        mark = self.feed.mark()
        await self.approve(message)
        started = time.monotonic()
        await self.wait(
            is_event("workflow.state_changed", to_state="in_season"),
            mark,
            "the allocation (state in_season)",
        )
        self.timings.append(("approval to season start", time.monotonic() - started))

    async def play_week(self, week: int, csv_file: Path, checkpoint: int) -> None:
        assert self.feed is not None
        mark = self.feed.mark()
        started = time.monotonic()
        upload = await self.client.upload_week(self.workflow_id, csv_file)
        print(
            STYLE(
                f"\n  ▸ week {upload['week_number']}: uploaded {csv_file.name} "
                f"({upload['row_count']} rows, {upload['units_sold']:,} units sold)",
                "1",
            ),
            flush=True,
        )
        checked = await self.wait(
            is_event("variance.checked", week_number=week),
            mark,
            f"the variance check of week {week}",
        )
        self.timings.append((f"week {week} upload to variance", time.monotonic() - started))
        data = checked.get("data") or {}
        if (
            data.get("exceeded")
            and week < self.weeks
            and await self.decided_to_reforecast(week, mark)
        ):
            await self.wait(
                is_event("workflow.state_changed", from_state="reforecasting"),
                mark,
                "the re-forecast",
            )
            self.timings.append(
                (f"week {week} upload to re-forecast done", time.monotonic() - started)
            )
        if week == checkpoint:
            sell = await self.wait(
                is_event("sell_through.computed", week_number=week),
                mark,
                "the sell-through check",
            )
            data = sell.get("data") or {}
            target = float(data.get("target") or 0.0)
            # The checkpoint fires for the season's total or any category half a point behind.
            behind = any(
                target - float(v) >= 0.005 for v in (data.get("by_category") or {}).values()
            )
            if data.get("below_target") or behind:
                await self.wait(
                    lambda m: needs_input("markdown")(m) or m.get("type") == "workflow_complete",
                    mark,
                    "the markdown proposal",
                )
        await self.answer_pending(mark)

    async def finish(self, weeks: int) -> None:
        assert self.feed is not None
        await self.wait(lambda m: m.get("type") == "workflow_complete", 0, "the end of the season")
        print()
        note(f"season complete after {weeks} weeks")


# ---------------------------------------------------------------- the report
def _verdict(check: Message) -> str:
    """'ok', or 're-forecast' with the categories past the threshold and their variance."""
    if not check["threshold_exceeded"]:
        return "ok"
    over = [
        f"{code} {row['variance']:.0%}"
        for code, row in sorted(check.get("by_category", {}).items())
        if row.get("exceeded")
    ]
    return "re-forecast" + (f" ({', '.join(over)})" if over else "")


def table(rows: list[list[str]], header: list[str], align: str) -> None:
    """`align`: one letter per column, l (left) or r (right)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if a == "r" else c.ljust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        )

    print("  " + line(header).rstrip())
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print("  " + line(row).rstrip())


async def report(client: GatewayClient, workflow_id: str, timings: list[tuple[str, float]]) -> None:
    base = f"/api/workflows/{workflow_id}"
    workflow = await client.workflow(workflow_id)
    forecasts = await client.get(f"{base}/forecasts", all_runs="true")
    approvals = (await client.get(f"{base}/approvals"))["approvals"]
    variance = await client.get(f"{base}/variance")
    markdowns = (await client.get(f"{base}/markdowns"))["markdowns"]
    try:
        allocation: dict[str, Any] | None = await client.get(f"{base}/allocations")
    except ApiError:
        allocation = None

    heading(f"Season report: workflow {workflow_id} ({workflow['state']})")
    runs = forecasts["run_numbers"]
    by_category: dict[str, dict[int, dict[str, Any]]] = {}
    for forecast in forecasts["forecasts"]:
        by_category.setdefault(forecast["category_code"], {})[forecast["run_number"]] = forecast
    print("\n  Forecast per category (units over the season)")
    rows = []
    for code, per_run in sorted(by_category.items()):
        first, last = per_run[min(per_run)], per_run[max(per_run)]
        weights = first.get("diagnostics", {}).get("weights") or {}
        rows.append(
            [
                f"{code} {first['category_name']}",
                f"{first['total_season_demand']:,.0f}",
                f"{last['total_season_demand']:,.0f}" if len(per_run) > 1 else "-",
                first["forecasting_method"],
                ", ".join(f"{k} {v:.2f}" for k, v in weights.items() if v >= 0.005) or "-",
            ]
        )
    table(
        rows,
        [
            "category",
            "initial",
            f"latest (run {max(runs)})" if runs else "latest",
            "method (initial)",
            "ensemble weights (initial)",
        ],
        "lrrll",
    )

    print("\n  Manufacturing decision")
    for approval in (a for a in approvals if a["kind"] == "manufacturing"):
        print(
            f"  proposed {approval['proposed_value']:,.0f} units (bounds "
            f"{approval['min_value']:,.0f}-{approval['max_value']:,.0f}); "
            f"{PAST.get(approval['action'], 'pending')} by {approval['decided_by'] or '-'}: "
            f"{(approval['decided_value'] or 0):,.0f} units"
            + (f" ({approval['reason']})" if approval.get("reason") else "")
        )

    print("\n  Allocation")
    if allocation is None:
        print("  none yet")
    else:
        print(
            f"  {allocation['manufacturing_qty']:,} units ordered: "
            f"{allocation['initial_allocation_total']:,} to {allocation['store_count']} stores "
            f"at the start, {allocation['holdback_total'] or 0:,} held at the DC, "
            f"{allocation['replenishment_total']:,} replenished in season"
        )
        print(
            "  initial units by category: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(allocation["by_category"].items()))
        )

    print("\n  Variance and re-forecasts")
    rows = [
        [
            f"week {c['week_number']}",
            f"{c['forecasted_cumulative']:,.0f}",
            f"{c['actual_cumulative']:,.0f}",
            f"{c['variance_fraction']:.1%}",
            _verdict(c),
        ]
        for c in variance["checks"]
    ]
    if rows:
        table(rows, ["week", "forecast (cum.)", "actual (cum.)", "variance", "verdict"], "lrrrl")
        print(
            STYLE(
                "  (cumulative over all categories; a re-forecast starts when the total or any"
                " one category passes the threshold, and the count starts again after it)",
                "2",
            )
        )
    print(f"  forecast runs: {', '.join(str(r) for r in runs) or 'none'}")

    print("\n  Markdown decision")
    if not markdowns:
        print("  no markdown proposed")
    for markdown in markdowns:
        decided = markdown["decided_markdown_pct"]
        sold = markdown["sell_through_fraction"]
        print(
            f"  week {markdown['week_number']}: sell-through {sold:.0%} "
            f"vs target {markdown['target_sell_through_fraction']:.0%}; recommended "
            f"{markdown['recommended_markdown_pct']:g}% (max {markdown['max_markdown_pct']:g}%), "
            + (
                f"decided {decided:g}% by {markdown['decided_by']}"
                if decided is not None
                else markdown["status"]
            )
        )

    if timings:
        print("\n  Timings (seconds, seen from this client)")
        for what, seconds in timings:
            print(f"  {what:<40} {seconds:>7.1f}")


# ---------------------------------------------------------------- main
async def run(args: argparse.Namespace) -> int:
    auto = args.yes
    if not auto and not sys.stdin.isatty():
        auto = True
        note("stdin is not a terminal: every proposal is approved automatically (as --yes)")
    view = LiveView()
    weeks_dir = Path(args.save_weeks) if args.save_weeks else Path(tempfile.mkdtemp())
    async with GatewayClient(args.base_url) as client:
        started_stack = await ensure_stack(client)
        season = Season(client, Decider(auto, view), args.timeout)
        try:
            parameters = await season.extract(args.brief)
            await season.start(args.brief, parameters, view)
            await season.plan()
            heading("4. The season, week by week")
            season.weeks = parameters["forecast_horizon_weeks"]
            weeks = min(args.weeks or season.weeks, season.weeks)
            for week in range(1, weeks + 1):
                # The sample's demand capped by what this season put in each store: sales a
                # store could make (GET .../sample-actuals.csv).
                csv_file = weeks_dir / f"week_{week:02d}.csv"
                text = await client.sample_week(season.workflow_id, week)
                await asyncio.to_thread(csv_file.write_text, text)
                await season.play_week(week, csv_file, parameters["markdown_checkpoint_week"])
            if weeks >= parameters["forecast_horizon_weeks"]:
                await season.finish(weeks)
        finally:
            await season.close()
        if season.workflow_id:
            await report(client, season.workflow_id, season.timings)
    if started_stack:
        print()
        note("the stack this demo started keeps running: `make down` stops it")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--yes", action="store_true", help="approve every proposal as proposed")
    parser.add_argument(
        "--base-url", default=None, help="the gateway (default: the port `make run` uses)"
    )
    parser.add_argument("--brief", default=DEFAULT_BRIEF, help="the season brief")
    parser.add_argument(
        "--weeks", type=int, default=None, help="weeks of actuals to upload (default: the season)"
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for each step"
    )
    parser.add_argument(
        "--save-weeks",
        default=None,
        help="keep the uploaded week files in this folder (data/sample/weekly_actuals_by_week "
        "regenerates the sample's)",
    )
    args = parser.parse_args(argv)
    args.base_url = args.base_url or default_base_url()
    try:
        return asyncio.run(run(args))
    except (DemoError, ApiError) as exc:
        print(STYLE(f"\ndemo stopped: {exc}", "31;1"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the workflow goes on in the background", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
