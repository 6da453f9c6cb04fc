"""The seasons lists' filters (`GET /api/workflows`, `GET /api/seasons`): by state and name.

An unknown state is refused with 422 naming it and the states there are, rather than
answering an empty list; a name matches where it appears in the season's name, in any case,
its `%` and `_` taken as the letters they are.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from sqlalchemy import ColumnElement

from planner_gateway.errors import ApiError, ErrorDetail
from planner_shared.db.models import Workflow
from planner_shared.season_names import MAX_NAME_LENGTH
from planner_shared.workflow import WorkflowState

StateFilter = Annotated[
    list[str] | None,
    Query(
        description="Repeat to allow several: "
        + ", ".join(s.value for s in WorkflowState)
        + "; another value is refused with 422 naming it."
    ),
]
NameFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="Seasons whose name contains this (any case).",
    ),
]


def known_states(values: list[str]) -> list[WorkflowState]:
    """The states asked for; 422 naming each unknown one and the states there are."""
    known = {s.value: s for s in WorkflowState}
    unknown = [v for v in values if v not in known]
    if unknown:
        states = ", ".join(known)
        raise ApiError(
            422,
            f"unknown state {', '.join(repr(v) for v in unknown)}: a season's state is one of "
            f"{states}",
            details=[
                ErrorDetail(field="state", value=v[:200], message=f"not a state; one of {states}")
                for v in unknown
            ],
        )
    return [known[v] for v in values]


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern ('%' and '_' are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def season_filters(state: list[str] | None, name: str | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if state:
        filters.append(Workflow.state.in_([s.value for s in known_states(state)]))
    if name:
        filters.append(Workflow.name.ilike(f"%{escape_like(name)}%", escape="\\"))
    return filters
