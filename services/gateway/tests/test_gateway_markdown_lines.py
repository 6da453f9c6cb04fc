"""`POST /api/approvals/markdown` with lines: each category's depth checked as it is read, the
error naming the category; a single value still decides every category."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from planner_gateway.auth import Principal
from planner_gateway.schemas.commands import MarkdownDecision
from planner_gateway.services.decisions import command
from planner_shared.events import ApprovalKind


def test_lines_are_read_by_category_code() -> None:
    decision = MarkdownDecision.model_validate(
        {
            "workflow_id": str(uuid4()),
            "action": "modify",
            "lines": {"dres": 20, "OUTW": 0},
            "reason": "only dresses are behind",
        }
    )
    assert decision.lines == {"DRES": 20.0, "OUTW": 0.0}
    assert decision.value is None
    single = MarkdownDecision.model_validate(
        {"workflow_id": str(uuid4()), "action": "modify", "percentage": 15, "reason": "r"}
    )
    assert (single.value, single.lines) == (15, None)


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ({"DRES": 120}, "lines.DRES"),
        ({"DRES": 0.2}, "the markdown of DRES (lines.DRES) is a percent"),
        ({"DRES": "20"}, "lines.DRES"),
        ({"DRES": -5}, "lines.DRES"),
    ],
)
def test_a_bad_line_is_refused_naming_its_category(lines: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MarkdownDecision.model_validate(
            {"workflow_id": str(uuid4()), "action": "modify", "lines": lines, "reason": "r"}
        )
    located = " ".join(
        ".".join(str(p) for p in e["loc"]) + " " + e["msg"] for e in caught.value.errors()
    )
    assert words in located


def test_modify_needs_a_value_or_lines_and_the_command_carries_the_lines() -> None:
    with pytest.raises(ValidationError, match="needs a value \\(or lines\\)"):
        MarkdownDecision.model_validate({"workflow_id": str(uuid4()), "action": "modify"})
    sent = command(
        ApprovalKind.MARKDOWN,
        uuid4(),
        MarkdownDecision.model_validate({"workflow_id": str(uuid4()), "action": "accept"}).action,
        None,
        "r",
        Principal(name="ann", roles=frozenset()),
        lines={"DRES": 20.0},
    )
    assert sent.payload.lines == {"DRES": 20.0}
