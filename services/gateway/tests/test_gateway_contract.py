"""The API as a contract: OpenAPI with response models and examples, one error shape, CORS,
settings that refuse development keys in production, and the WebSocket message mapping."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from planner_gateway.relay.messages import to_message
from planner_gateway.settings import GatewaySettings
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
    AllocationFailed,
    ApprovalDecided,
    ApprovalDecidedPayload,
    ApprovalKind,
    CategoryVarianceResult,
    DecisionAction,
    EventBase,
    FailedPayload,
    VarianceChecked,
    VarianceCheckedPayload,
    WorkflowCancelled,
    WorkflowCancelledPayload,
    WorkflowFailed,
    WorkflowFailedPayload,
)
from planner_shared.settings import Environment
from planner_shared.workflow import WorkflowState
from planner_tools.testing.gateway import READER, Gateway


def _schema_has_example(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "anyOf" in schema:  # an optional body: the model or null
        return any(_schema_has_example(s, components) for s in schema["anyOf"] if "$ref" in s)
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return bool(schema.get("examples") or schema.get("example"))


async def test_every_api_operation_documents_its_models_and_examples(gateway: Gateway) -> None:
    assert (await gateway.client.get("/docs")).status_code == 200
    spec = (await gateway.client.get("/openapi.json")).json()
    components = spec["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        # Contract v1 has its own tag and shapes (services/gateway/tests/v1).
        if path.startswith("/api/") and not path.startswith("/api/v1/")
        for method, op in item.items()
    ]
    assert len(operations) >= 25
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        success = next(v for k, v in op["responses"].items() if k.startswith("2"))
        if "application/json" in success.get("content", {}):  # not 204, not the CSV export
            schema = success["content"]["application/json"]["schema"]
            assert _schema_has_example(schema, components), f"{where}: no example"
        else:
            assert path.endswith((".csv", "/session")), f"{where}: no JSON answer"
        if "requestBody" in op:
            body = next(iter(op["requestBody"]["content"].values()))["schema"]
            assert "multipart" in next(iter(op["requestBody"]["content"])) or _schema_has_example(
                body, components
            ), f"{where}: request without example"
        if path != "/api/health":
            assert "401" in op["responses"], where
            error = op["responses"]["401"]["content"]["application/json"]["schema"]
            assert error["$ref"].endswith("/ErrorResponse"), where
    assert "ApiKey" in spec["components"]["securitySchemes"]


async def test_one_error_shape_for_every_failure(gateway: Gateway) -> None:
    for method, path, status in [
        ("GET", "/api/nowhere", 404),
        ("DELETE", "/api/stores", 405),
        ("GET", "/api/workflows/not-a-uuid", 422),
        ("GET", "/api/stores", 401),
    ]:
        headers = READER if status != 401 else {}
        response = await gateway.client.request(method, path, headers=headers)
        assert response.status_code == status
        body = response.json()
        assert set(body) == {"error"}
        assert isinstance(body["error"]["code"], str)
        assert isinstance(body["error"]["message"], str)


async def test_cors_allows_only_the_configured_origins(gateway: Gateway) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = await gateway.client.options(
        "/api/workflows/forecast", headers=preflight | {"Origin": "http://localhost:5173"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    refused = await gateway.client.options(
        "/api/workflows/forecast", headers=preflight | {"Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in refused.headers


def test_production_refuses_development_and_short_keys() -> None:
    with pytest.raises(ValidationError, match="development key"):
        GatewaySettings(environment=Environment.PRODUCTION)
    with pytest.raises(ValidationError, match="shorter than 16"):
        GatewaySettings(
            environment=Environment.PRODUCTION,
            api_keys={"short": {"name": "bob", "roles": ["planner"]}},
        )
    with pytest.raises(ValidationError, match="real secret"):
        GatewaySettings(
            environment=Environment.PRODUCTION,
            api_keys={"changeme": {"name": "bob", "roles": ["planner"]}},
        )
    ok = GatewaySettings(
        environment=Environment.PRODUCTION,
        api_keys={"k" * 32: {"name": "bob", "roles": ["planner", "approver"]}},
    )
    assert ok.api_keys["k" * 32].name == "bob"


def _variance(week: int, units: Mapping[str, tuple[float, float]]) -> VarianceCheckedPayload:
    """A check as the forecast service reports it: (forecast, actual) units by category."""
    threshold = 0.2
    categories = [
        CategoryVarianceResult(
            category_code=code,
            forecast_units=f,
            actual_units=a,
            variance=abs(a - f) / f,
            exceeded=abs(a - f) / f > threshold,
        )
        for code, (f, a) in units.items()
    ]
    forecast = sum(f for f, _ in units.values())
    actual = sum(a for _, a in units.values())
    total = abs(actual - forecast) / forecast
    return VarianceCheckedPayload(
        week_number=week,
        total_variance=total,
        by_category={c.category_code: c.variance for c in categories},
        threshold=threshold,
        exceeded=total > threshold or any(c.exceeded for c in categories),
        forecast_units=forecast,
        actual_units=actual,
        total_exceeded=total > threshold,
        categories=categories,
    )


def test_variance_messages_say_which_side_of_the_forecast_and_what_fired() -> None:
    def said(payload: VarianceCheckedPayload) -> str:
        event = VarianceChecked(workflow_id=uuid4(), producer="forecast", payload=payload)
        return str(to_message(event)["message"])

    # A steady total with two categories far above plan: the categories fired, not the total.
    drift = {"KNIT": (1000, 1290), "OUTW": (1000, 1401), "DRESS": (5050, 5050)}
    # Whether a re-forecast starts is the orchestrator's to say, in its own message.
    assert said(_variance(4, drift)) == (
        "week 4: total 9.8% above forecast (within 20%); KNIT 29.0% and OUTW 40.1% above "
        "forecast → over the threshold"
    )
    # Actuals nearly all missing: far BELOW the forecast, never "+100%".
    assert said(_variance(1, {"DRESS": (1000, 2), "KNIT": (500, 1)})) == (
        "week 1: total 99.8% below forecast (over 20%); DRESS 99.8% and KNIT 99.8% below "
        "forecast → over the threshold"
    )
    assert said(_variance(12, {"DRESS": (1000, 983)})) == (
        "week 12: total 1.7% below forecast (within 20%) → no re-forecast needed"
    )
    # A check stored before the categories were carried still reads, without a side.
    old = VarianceCheckedPayload(
        week_number=3,
        total_variance=0.254,
        by_category={"DRESS": 0.254},
        threshold=0.2,
        exceeded=True,
    )
    assert said(old) == "week 3: total 25.4% off the forecast (threshold 20%) → over the threshold"


def test_events_without_a_dedicated_type_travel_as_progress_and_failures_as_errors() -> None:
    wf = uuid4()
    cases: list[tuple[EventBase, str, str]] = [
        (
            VarianceChecked(
                workflow_id=wf,
                producer="forecast",
                payload=_variance(3, {"DRESS": (1000, 1254)}),
            ),
            "agent_progress",
            "week 3: total 25.4% above forecast (over 20%); DRESS 25.4% above forecast "
            "→ over the threshold",
        ),
        (
            ActualsUploaded(
                workflow_id=wf,
                producer="gateway",
                payload=ActualsUploadedPayload(
                    upload_id=uuid4(),
                    week_number=2,
                    row_count=6,
                    replaced_previous=True,
                    uploaded_by="pat",
                ),
            ),
            "agent_progress",
            "week 2 actuals uploaded by pat (6 rows, replacing the earlier upload)",
        ),
        (
            ApprovalDecided(
                workflow_id=wf,
                producer="approvals",
                payload=ApprovalDecidedPayload(
                    approval_id=uuid4(),
                    kind=ApprovalKind.MARKDOWN,
                    action=DecisionAction.MODIFY,
                    proposed_value=20,
                    decided_value=15,
                    reason=None,
                    decided_by="ann",
                    decided_at=datetime.now(UTC),
                ),
            ),
            "agent_progress",
            "markdown modified by ann: 15% (proposed 20%)",
        ),
        (
            WorkflowCancelled(
                workflow_id=wf,
                producer="agents",
                payload=WorkflowCancelledPayload(reason=None, cancelled_by="pat"),
            ),
            "agent_progress",
            "workflow cancelled by pat",
        ),
        (
            AllocationFailed(
                workflow_id=wf, producer="forecast", payload=FailedPayload(reason="no stores")
            ),
            "error",
            "no stores",
        ),
        (
            WorkflowFailed(
                workflow_id=wf,
                producer="agents",
                payload=WorkflowFailedPayload(
                    reason="forecast failed twice", failed_in_state=WorkflowState.FORECASTING
                ),
            ),
            "error",
            "forecast failed twice",
        ),
        (
            ApprovalDecided(
                workflow_id=wf,
                producer="approvals",
                payload=ApprovalDecidedPayload(
                    approval_id=uuid4(),
                    kind=ApprovalKind.MANUFACTURING,
                    action=DecisionAction.ACCEPT,
                    proposed_value=1_250_000,
                    decided_value=1_250_000,
                    reason=None,
                    decided_by="ann",
                    decided_at=datetime.now(UTC),
                ),
            ),
            "agent_progress",
            "manufacturing accepted by ann: 1,250,000 units (proposed 1,250,000 units)",
        ),
    ]
    for event, kind, text in cases:
        message = to_message(event)
        assert message["type"] == kind, event.type
        assert message["message"] == text
        assert message["event_type"] == event.type
        assert message["workflow_id"] == str(wf)
    assert to_message(cases[0][0])["data"]["week_number"] == 3
    assert to_message(cases[4][0])["error_message"] == "no stores"
