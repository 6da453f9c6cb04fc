"""Request/reply endpoints (extraction, approvals) against fake responders on real Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import redis.asyncio as aioredis
from sqlalchemy import select

from planner_gateway.app import create_app
from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.models import OutboxMessage, Workflow
from planner_shared.events import (
    AgentProgress,
    AgentProgressPayload,
    ApprovalDecided,
    ApprovalDecidedPayload,
    ApprovalKind,
    DecisionRefused,
    DecisionRefusedPayload,
    DecisionSubmitted,
    EventBase,
    ExtractionCompleted,
    ExtractionCompletedPayload,
    ExtractionFailed,
    ExtractionRequested,
    FailedPayload,
)
from planner_shared.parameters import (
    ExtractionIssue,
    ParameterExtraction,
    ParameterField,
    ParameterSource,
    SeasonParameters,
)
from planner_shared.settings import PlannerSettings
from planner_tools.testing.gateway import (
    APPROVER,
    PARAMETERS,
    PLANNER,
    READER,
    Gateway,
    Sessions,
    count,
    new_workflow,
    responder,
    running_gateway,
)


def _extraction() -> ParameterExtraction:
    parameters = SeasonParameters.model_validate(PARAMETERS)
    fields = {
        name: ParameterField(
            name=name,
            value=value,
            confidence=0.5 if name == "markdown_threshold" else 0.9,
            source=ParameterSource.DEFAULT
            if name == "markdown_threshold"
            else ParameterSource.STATED,
        )
        for name, value in PARAMETERS.items()
    }
    return ParameterExtraction(
        parameters=parameters,
        fields=fields,
        issues=[ExtractionIssue(field="markdown_threshold", kind="missing", message="not stated")],
        extractor="offline",
        usable=True,
    )


def _extractor(event: EventBase) -> EventBase | None:
    if not isinstance(event, ExtractionRequested):
        return None
    if event.payload.brief == "explode":
        return event.caused(
            ExtractionFailed,
            FailedPayload(reason="the model refused", retryable=True),
            "extraction",
        )
    if event.payload.brief == "nonsense":
        return event.caused(
            ExtractionFailed, FailedPayload(reason="no season in this brief"), "extraction"
        )
    if event.payload.brief == "silence":
        return None
    return event.caused(
        ExtractionCompleted, ExtractionCompletedPayload(extraction=_extraction()), "extraction"
    )


async def test_extract_parameters_over_the_bus(
    gateway: Gateway, redis_client: aioredis.Redis, settings: PlannerSettings
) -> None:
    stream = stream_for(settings, ExtractionRequested)
    async with responder(redis_client, gateway.publisher, stream, _extractor) as requests:
        response = await gateway.client.post(
            "/api/parameters/extract",
            json={"brief": "12 weeks from March 1", "reference_date": "2027-01-15"},
            headers=PLANNER,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["parameters"]["markdown_checkpoint_week"] == 6
        assert body["parameters"]["season_end_date"] == "2027-05-23"
        assert body["fields"]["markdown_threshold"]["source"] == "default"
        assert body["defaulted"] == ["markdown_threshold"]
        assert body["needs_review"] is True
        assert body["confidence"] == round((0.9 * 5 + 0.5) / 6, 4)
        assert body["confidence_level"] == "medium"
        assert body["reasoning"] == (
            "5 stated, 0 inferred, 1 defaulted (markdown_threshold); 1 issue(s) to review"
        )
        [request] = requests
        assert isinstance(request, ExtractionRequested)
        assert str(request.event_id) == body["request_id"]
        assert request.payload.reference_date == "2027-01-15"

        legacy = await gateway.client.post(
            "/api/parameters/extract", json={"user_input": "spring"}, headers=PLANNER
        )
        assert legacy.status_code == 200

        unavailable = await gateway.client.post(
            "/api/parameters/extract", json={"brief": "explode"}, headers=PLANNER
        )
        assert unavailable.status_code == 503
        assert unavailable.json()["error"] == {
            "code": "extraction_unavailable",
            "message": "the model refused",
            "details": [],
        }
        failed = await gateway.client.post(
            "/api/parameters/extract", json={"brief": "nonsense"}, headers=PLANNER
        )
        assert failed.status_code == 422
        assert failed.json()["error"]["code"] == "extraction_failed"

        for bad in ({"brief": ""}, {}, {"brief": "x" * 20_001}, {"brief": "ok", "extra": 1}):
            invalid = await gateway.client.post(
                "/api/parameters/extract", json=bad, headers=PLANNER
            )
            assert invalid.status_code == 422, bad
        assert (
            await gateway.client.post(
                "/api/parameters/extract", json={"brief": "x"}, headers=READER
            )
        ).status_code == 403
        assert len(requests) == 4


def test_extract_documents_only_the_statuses_it_answers(
    gateway_settings: GatewaySettings,
) -> None:
    spec = create_app(gateway_settings).openapi()
    documented = spec["paths"]["/api/parameters/extract"]["post"]["responses"]
    # 502 is not among them: no reply of the extraction service maps to it. 400, 413 and 415
    # are the body's own refusals (unreadable, too large, not JSON).
    assert set(documented) == {"200", "400", "401", "403", "413", "415", "422", "429", "503", "504"}
    assert "extraction_failed" in documented["422"]["description"]


async def test_answers_other_than_the_expected_reply_are_ignored_and_timeout_is_504(
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    settings: PlannerSettings,
) -> None:
    stream = stream_for(settings, ExtractionRequested)

    def progress_only(event: EventBase) -> EventBase | None:
        if isinstance(event, ExtractionRequested):
            # Caused by the request, but not an answer to it.
            return event.caused(
                AgentProgress,
                AgentProgressPayload(agent="extraction", message="reading the brief"),
                "extraction",
            )
        return None

    impatient = gateway_settings.model_copy(update={"reply_timeout_seconds": 0.5})
    async with (
        running_gateway(impatient) as gateway,
        responder(redis_client, gateway.publisher, stream, progress_only) as requests,
    ):
        response = await gateway.client.post(
            "/api/parameters/extract", json={"brief": "silence"}, headers=PLANNER
        )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "gateway_timeout"
    assert (
        "no answer from the extraction service within 0.5s" in response.json()["error"]["message"]
    )
    assert len(requests) == 1


def _approvals(event: EventBase) -> EventBase | None:
    if not isinstance(event, DecisionSubmitted):
        return None
    decision = event.payload
    if decision.value == 999:
        return event.caused(
            DecisionRefused,
            DecisionRefusedPayload(
                kind=decision.kind, reason="999 is outside 800-1200", status_code=422
            ),
            "approvals",
        )
    if decision.value == 1:
        return event.caused(
            DecisionRefused,
            DecisionRefusedPayload(kind=decision.kind, reason="already decided", status_code=409),
            "approvals",
        )
    if decision.kind is ApprovalKind.MARKDOWN and decision.value == 5:
        return event.caused(
            DecisionRefused,
            DecisionRefusedPayload(
                kind=decision.kind, reason="no markdown approval is waiting", status_code=404
            ),
            "approvals",
        )
    proposed = 1000.0 if decision.kind is ApprovalKind.MANUFACTURING else 20.0
    return event.caused(
        ApprovalDecided,
        ApprovalDecidedPayload(
            approval_id=uuid4(),
            kind=decision.kind,
            action=decision.action,
            proposed_value=proposed,
            decided_value=decision.value if decision.value is not None else proposed,
            reason=decision.reason,
            decided_by=decision.decided_by,
            decided_at=datetime.now(UTC),
            decided_lines=decision.lines or {},
        ),
        "approvals",
    )


async def test_approval_decisions(
    gateway: Gateway,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    settings: PlannerSettings,
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    stream = stream_for(settings, DecisionSubmitted)
    manufacturing = "/api/approvals/manufacturing"
    markdown = "/api/approvals/markdown"
    wf = str(workflow_id)
    async with responder(redis_client, gateway.publisher, stream, _approvals) as requests:
        modified = await gateway.client.post(
            manufacturing,
            json={"workflow_id": wf, "action": "modify", "quantity": 900, "reason": "smaller"},
            headers=APPROVER,
        )
        assert modified.status_code == 200, modified.text
        body = modified.json()
        # The event carries floats; a manufacturing quantity is answered as whole units.
        assert (body["proposed_value"], body["decided_value"]) == (1000, 900)
        assert '"proposed_value":1000,' in modified.text
        assert '"decided_value":900,' in modified.text
        assert body["decided_by"] == "ann"
        assert body["status"] == "decided"
        submitted = requests[0]
        assert isinstance(submitted, DecisionSubmitted)
        assert submitted.workflow_id == workflow_id
        assert submitted.payload.decided_by == "ann"
        assert submitted.payload.reason == "smaller"
        assert submitted.payload.lines is None

        # By category: the lines go to the approvals service as sent, and come back decided.
        by_line = await gateway.client.post(
            manufacturing,
            json={"workflow_id": wf, "action": "modify", "lines": {"OUTW": 13818}, "reason": "+"},
            headers=APPROVER,
        )
        assert by_line.status_code == 200, by_line.text
        assert by_line.json()["decided_lines"] == {"OUTW": 13818}
        assert isinstance(requests[1], DecisionSubmitted)
        assert requests[1].payload.lines == {"OUTW": 13818.0}

        accepted = await gateway.client.post(
            markdown, json={"workflow_id": wf, "action": "accept"}, headers=APPROVER
        )
        assert accepted.json()["decided_value"] == 20.0
        assert accepted.json()["kind"] == "markdown"

        for path, body, status, code in [
            (
                manufacturing,
                {"action": "modify", "value": 999, "reason": "r"},
                422,
                "decision_refused",
            ),
            (
                manufacturing,
                {"action": "modify", "value": 1, "reason": "r"},
                409,
                "already_decided",
            ),
            (
                markdown,
                {"action": "modify", "percentage": 5, "reason": "r"},
                404,
                "no_pending_approval",
            ),
        ]:
            refused = await gateway.client.post(
                path, json={"workflow_id": wf} | body, headers=APPROVER
            )
            assert refused.status_code == status, refused.text
            assert refused.json()["error"]["code"] == code
        assert len(requests) == 6

        # Refused by the gateway itself, nothing published.
        for path, body, headers, status in [
            (manufacturing, {"workflow_id": wf, "action": "modify"}, APPROVER, 422),
            (manufacturing, {"workflow_id": wf, "action": "approve"}, APPROVER, 422),
            (manufacturing, {"workflow_id": wf, "action": "modify", "quantity": -5}, APPROVER, 422),
            (markdown, {"workflow_id": wf, "action": "modify", "percentage": 140}, APPROVER, 422),
            *(
                (
                    manufacturing,
                    {"workflow_id": wf, "action": "modify", "lines": lines},
                    APPROVER,
                    422,
                )
                for lines in ({"OUTW": -1}, {"OUTW": 10.5}, {}, {"OUTW": "many"})
            ),
            (manufacturing, {"workflow_id": wf, "action": "accept"}, PLANNER, 403),
            (manufacturing, {"workflow_id": wf, "action": "accept"}, {}, 401),
            (
                manufacturing,
                {"workflow_id": "5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f", "action": "accept"},
                APPROVER,
                404,
            ),
        ]:
            response = await gateway.client.post(path, json=body, headers=headers)
            assert response.status_code == status, (body, response.text)
            if "lines" in body:
                assert "lines" in response.text
        assert len(requests) == 6
    assert await count(sessionmaker, OutboxMessage) == 0
    async with sessionmaker() as session:
        state = await session.scalar(select(Workflow.state).where(Workflow.id == workflow_id))
    assert state == "awaiting_manufacturing_approval"


async def test_decision_without_an_answer_is_202_with_where_to_look(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_markdown_approval")
    impatient = gateway_settings.model_copy(update={"reply_timeout_seconds": 0.3})
    async with running_gateway(impatient) as gateway:
        response = await gateway.client.post(
            "/api/approvals/markdown",
            json={"workflow_id": str(workflow_id), "action": "accept"},
            headers=APPROVER,
        )
    # Not a bare 504: the decision may still be applied, and the answer says where to look.
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert "approvals service" in body["message"]
    assert body["check_url"] == f"/api/workflows/{workflow_id}/approvals"
