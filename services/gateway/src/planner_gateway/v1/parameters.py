"""§5 `POST /parameters/extract`: the domain's extraction (over the bus, as
`POST /api/parameters/extract`), answered in the client's units.

Values the brief did not give for the markdown are reported as null ("no markdown", the
design's default); the others are the domain's defaults, flagged in `reasoning`.
"""

from __future__ import annotations

from fastapi import APIRouter

from planner_gateway.auth import Planner
from planner_gateway.deps import RuntimeDep, StateDep
from planner_gateway.errors import ApiError
from planner_gateway.schemas.commands import ExtractionRead
from planner_gateway.services import extraction
from planner_gateway.v1 import units
from planner_gateway.v1.schemas import ExtractAnswer, ExtractBody, ExtractedParameters
from planner_shared.parameters import ParameterSource

router = APIRouter()

MAX_INPUT = 500


def answer_of(extraction: ExtractionRead) -> ExtractAnswer:
    p = extraction.parameters
    fields = extraction.fields

    def defaulted(name: str) -> bool:
        field = fields.get(name)
        return field is None or field.source is ParameterSource.DEFAULT

    no_markdown = defaulted("markdown_checkpoint_week") and defaulted("markdown_threshold")
    issues = "; ".join(issue.message for issue in extraction.issues)
    return ExtractAnswer(
        parameters=ExtractedParameters(
            forecast_horizon_weeks=p.forecast_horizon_weeks,
            season_start_date=p.season_start_date.isoformat(),
            season_end_date=p.season_end_date.isoformat(),
            replenishment_strategy=units.strategy_to_v1(p.replenishment_strategy.value),
            dc_holdback_percentage=units.holdback_to_v1(p.dc_holdback_percentage),
            markdown_checkpoint_week=None if no_markdown else p.markdown_checkpoint_week,
            markdown_threshold=None if no_markdown else p.markdown_threshold,
        ),
        confidence=units.confidence_level(extraction.confidence_level),
        reasoning=extraction.reasoning
        + ("; no markdown stated" if no_markdown else "")
        + (f"; {issues}" if issues else ""),
        raw_llm_output=None,
    )


@router.post(
    "/parameters/extract",
    response_model=ExtractAnswer,
    summary="§5 Season brief in, the seven parameters in the client's units out",
)
async def extract(
    body: ExtractBody, _: Planner, state: StateDep, runtime: RuntimeDep
) -> ExtractAnswer:
    if not body.user_input.strip():
        raise ApiError(400, "user_input is blank: describe the season in a sentence or two")
    if len(body.user_input) > MAX_INPUT:
        raise ApiError(
            400,
            f"user_input is {len(body.user_input)} characters; at most {MAX_INPUT} are read",
        )
    try:
        extracted = await extraction.extract(state, runtime, body.user_input, None)
    except ApiError as exc:
        if exc.status_code == 422:  # the extraction service refused the brief
            raise ApiError(400, exc.message) from None
        raise
    return answer_of(extracted)
