"""Issue 12, point 1: an event carries only values JSON and PostgreSQL's jsonb can hold."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from pydantic import ValidationError

from planner_shared.events import (
    AgentProgress,
    AgentProgressPayload,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    parse_event,
)


def decision(value: float) -> DecisionSubmitted:
    return DecisionSubmitted(
        workflow_id=uuid4(),
        producer="test",
        payload=DecisionSubmittedPayload(
            kind="manufacturing", action="modify", value=value, decided_by="ann"
        ),
    )


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e309])
def test_a_non_finite_number_is_refused_when_built(value: float) -> None:
    with pytest.raises(ValidationError, match=r"payload\.value is not a finite number"):
        decision(value)


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN", "1e309"])
def test_a_non_finite_number_is_refused_when_parsed(token: str) -> None:
    wire = decision(12.0).model_dump_json().replace("12.0", token)
    assert token in wire
    with pytest.raises(ValidationError, match="not a finite number"):
        parse_event(wire)


@pytest.mark.parametrize(
    ("message", "reason"),
    [("a\x00b", "NUL character"), ("a\ud800b", "lone surrogate")],
)
def test_text_jsonb_refuses_is_refused(message: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        AgentProgress(
            workflow_id=uuid4(),
            producer="test",
            payload=AgentProgressPayload(agent="forecast", message=message),
        )
    ok = AgentProgress(
        workflow_id=uuid4(),
        producer="test",
        payload=AgentProgressPayload(agent="forecast", message="fine"),
    )
    wire = json.loads(ok.model_dump_json())
    wire["payload"]["message"] = message
    # pydantic's JSON parser refuses a lone surrogate itself; the NUL is ours to refuse.
    with pytest.raises(ValidationError, match=f"{reason}|Invalid JSON"):
        parse_event(json.dumps(wire))


def test_finite_values_still_pass() -> None:
    event = decision(1e308)
    assert parse_event(event.model_dump_json()) == event
