"""The README's API walk-through, regenerated from a real run (issue 27, point 8).

    python scripts/readme_api.py [--base-url URL]           # rewrite the README's outputs
    python scripts/readme_api.py --check [--base-url URL]   # exit 1 if they drifted

`make readme-api` plays the README's season ("The same season through the API") against a
running stack (`make run`, or `--base-url`), or, without one answering, a private stack of
its own (bench/_stack.py: a fresh seeded database, its own stream prefix and ports, stopped
and dropped at the end), with real PostgreSQL and Redis. Each step's command and its answer
go between the README's markers `<!-- readme-api:NAME -->` and `<!-- /readme-api:NAME -->`.
`make readme-api-check` plays the same season and compares its answers with the README's,
ids and times blanked: a README edited by hand, or figures changed by the code since the
last rewrite, fail it. The season takes minutes, so neither is part of `make test`; the
rewrite and the comparison themselves are (tests/test_readme_api.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
WEEKS = ROOT / "data" / "sample" / "weekly_actuals_by_week"
PLANNER = {"Authorization": "Bearer dev-planner-key"}
APPROVER = {"Authorization": "Bearer dev-approver-key"}
BRIEF = (
    "Plan the 12-week spring season starting March 2 2026, replenish weekly, keep 45% at the "
    "DC, check markdowns at week 6 if sell-through is under 60%"
)
BAD_CSV = "store_code,category_code,week_number,units_sold\nS001,OUTW,3,12\nS999,KNIT,3,-4\n"
STEP_SECONDS = 900.0
OUTERWEAR_RAISE = 6155
# The README's blocks this script writes, in the order of the walk-through.
NAMES = ("extract", "start", "approve", "allocations", "upload", "variance", "markdown")
BLOCK = re.compile(
    r"(<!-- readme-api:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /readme-api:(?P=name) -->)",
    re.DOTALL,
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def pick(answer: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """What `jq '{a, b}'` prints of an answer."""
    return {key: answer.get(key) for key in keys}


def shown(command: str, answer: object) -> str:
    """A console block's body: the command, then the answer as jq prints it."""
    return f"```console\n$ {with_keys(command)}\n{json.dumps(answer, indent=2)}\n```\n"


def with_keys(command: str) -> str:
    """The command as a reader can paste it: the key of the role that may make the call (an
    approver for decisions, else the planner), and the JSON content type of a body."""
    key = "dev-approver-key" if "/api/approvals/" in command else "dev-planner-key"
    headers = f"-H 'Authorization: Bearer {key}'"
    if " -d " in command:
        headers += " -H 'Content-Type: application/json'"
    return command.replace("curl -s ", f"curl -s {headers} ", 1)


def blocks(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def rewrite(text: str, outputs: Mapping[str, str]) -> str:
    """`text` with each marked block's body replaced by its output (others left as they are)."""

    def body(match: re.Match[str]) -> str:
        new = outputs.get(match.group("name"), match.group("body"))
        return match.group(1) + new + match.group(4)

    return BLOCK.sub(body, text)


def blank(text: str) -> str:
    """Ids and times blanked: what may differ between two runs of the same figures."""
    return TIME.sub("<time>", UUID.sub("<id>", text))


def drift(text: str, outputs: Mapping[str, str]) -> list[str]:
    """The blocks of `text` that differ from `outputs` (ids and times aside)."""
    found = blocks(text)
    missing = sorted(set(outputs) - set(found))
    changed = sorted(n for n in outputs if n in found and blank(found[n]) != blank(outputs[n]))
    return [f"{name}: no block in the README" for name in missing] + [
        f"{name}: differs from the run" for name in changed
    ]


class Run:
    """The README's season, step by step, against a gateway."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.outputs: dict[str, str] = {}
        self.wf = ""

    def wait(self, what: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            workflow: dict[str, Any] = self.client.get(f"/api/workflows/{self.wf}").json()
            if done(workflow):
                return workflow
            if workflow.get("state") in ("failed", "cancelled"):
                raise SystemExit(f"the season {workflow['state']}: {workflow.get('error')}")
            time.sleep(2)
        raise SystemExit(f"no {what} within {STEP_SECONDS:.0f} s")

    def extract(self) -> dict[str, Any]:
        answer = self.client.post("/api/parameters/extract", json={"brief": BRIEF}).json()
        keys = ("extractor", "confidence", "issues", "parameters")
        self.outputs["extract"] = shown(
            "curl -s -X POST localhost:8000/api/parameters/extract "
            f"-d '{json.dumps({'brief': BRIEF})}' | jq '{{{', '.join(keys)}}}'",
            pick(answer, *keys),
        )
        return dict(answer["parameters"])

    def start(self, parameters: dict[str, Any]) -> None:
        parameters.pop("season_end_date", None)
        answer = self.client.post("/api/workflows/forecast", json={"parameters": parameters})
        self.wf = answer.json()["workflow_id"]
        self.outputs["start"] = (
            shown(
                "curl -s -X POST localhost:8000/api/workflows/forecast "
                f"-d '{json.dumps({'parameters': parameters})}'",
                answer.json(),
            )
            + f"```console\n$ WF={self.wf}\n```\n"
        )

    def approve(self) -> None:
        self.wait("order proposal", lambda w: w["state"] == "awaiting_manufacturing_approval")
        # The approver raises one category's line (issue 25's example): outerwear by 6,155.
        approvals = self.client.get(f"/api/workflows/{self.wf}/approvals").json()["approvals"]
        pending = next(
            a for a in approvals if a["kind"] == "manufacturing" and a["status"] == "pending"
        )
        outerwear = int(pending["proposed_lines"]["OUTW"]) + OUTERWEAR_RAISE
        body: dict[str, Any] = {"workflow_id": self.wf, "action": "modify"}
        body |= {"lines": {"OUTW": outerwear}, "reason": "outerwear +10 % vs last year"}
        answer = self.client.post("/api/approvals/manufacturing", json=body, headers=APPROVER)
        if answer.status_code != 200:
            raise SystemExit(f"the decision was refused: {answer.status_code} {answer.text}")
        self.outputs["approve"] = shown(
            "curl -s -X POST localhost:8000/api/approvals/manufacturing "
            f"-d {self.shell_body(body)}",
            answer.json(),
        )
        self.wait("allocation", lambda w: w["state"] == "in_season")
        plan = self.client.get(f"/api/workflows/{self.wf}/allocations").json()
        keys = (
            "manufacturing_qty",
            "initial_allocation_total",
            "holdback_total",
            "by_category",
            "store_count",
        )
        self.outputs["allocations"] = shown(
            f"curl -s localhost:8000/api/workflows/$WF/allocations | jq '{{{', '.join(keys)}}}'",
            pick(plan, *keys),
        )

    def upload(self, week: int) -> dict[str, Any]:
        self.wait(f"week {week} open", lambda w: w["state"] == "in_season")
        path = WEEKS / f"week_{week:02d}.csv"
        answer: dict[str, Any] = self.client.post(
            "/api/data/weekly-actuals",
            data={"workflow_id": self.wf},
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        ).json()
        return answer

    def weeks(self) -> None:
        first = self.upload(1)
        keys = ("week_number", "row_count", "units_sold", "replaced_previous", "variance_url")
        refused = self.client.post(
            "/api/data/weekly-actuals",
            data={"workflow_id": self.wf},
            files={"file": ("bad.csv", BAD_CSV.encode(), "text/csv")},
        ).json()
        self.outputs["upload"] = shown(
            "curl -s -X POST localhost:8000/api/data/weekly-actuals -F workflow_id=$WF "
            f"-F file=@{WEEKS.relative_to(ROOT)}/week_01.csv | jq '{{{', '.join(keys)}}}'",
            pick(first, *keys),
        ) + shown("curl -s ... -F file=@bad.csv", refused)
        for week in (2, 3, 4):
            self.upload(week)
        # The state reads in season until the week's check starts the re-forecast: wait for the
        # check first, then for the re-forecast it started.
        check = self.variance_check(4)
        self.wait("week 4's re-forecast", lambda w: w["state"] == "in_season")
        self.outputs["variance"] = shown(
            "curl -s localhost:8000/api/workflows/$WF/variance?week=4 | jq '.checks[0] | ...'",
            {
                "variance_fraction": check["variance_fraction"],
                "threshold_exceeded": check["threshold_exceeded"],
                "knit": check["by_category"]["KNIT"]["variance"],
                "outw": check["by_category"]["OUTW"]["variance"],
            },
        )

    def shell_body(self, body: Mapping[str, Any]) -> str:
        """The body as a shell argument naming the season `$WF`, as the README sets it."""
        escaped = json.dumps(body).replace('"', '\\"').replace(self.wf, "$WF")
        return f'"{escaped}"'

    def variance_check(self, week: int) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            answer = self.client.get(f"/api/workflows/{self.wf}/variance", params={"week": week})
            checks = answer.json().get("checks") if answer.status_code == 200 else None
            if checks:
                found: dict[str, Any] = checks[0]
                return found
            time.sleep(2)
        raise SystemExit(f"no variance check of week {week} within {STEP_SECONDS:.0f} s")

    def markdown(self) -> None:
        for week in (5, 6):
            self.upload(week)
        self.wait("markdown proposal", lambda w: w["state"] == "awaiting_markdown_approval")
        body = {"workflow_id": self.wf, "action": "accept"}
        answer = self.client.post("/api/approvals/markdown", json=body, headers=APPROVER).json()
        keys = ("kind", "action", "proposed_value", "decided_value", "decided_by")
        self.outputs["markdown"] = shown(
            f"curl -s -X POST localhost:8000/api/approvals/markdown -d {self.shell_body(body)} "
            f"| jq '{{{', '.join(keys)}}}'",
            pick(answer, *keys),
        )


def play(base_url: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url, headers=PLANNER, timeout=60) as client:
        run = Run(client)
        run.start(run.extract())
        run.approve()
        run.weeks()
        run.markdown()
    return run.outputs


def live(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--check", action="store_true", help="compare, do not rewrite")
    args = parser.parse_args()
    if live(args.base_url):
        outputs = play(args.base_url)
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from _stack import private_stack

        with private_stack() as stack:
            outputs = play(stack.gateway_url)
    if args.check:
        problems = drift(README.read_text(), outputs)
        for problem in problems:
            print(f"README.md, {problem}: run `make readme-api`")
        return 1 if problems else 0
    README.write_text(rewrite(README.read_text(), outputs))
    print(f"README.md: {len(outputs)} blocks rewritten from the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
