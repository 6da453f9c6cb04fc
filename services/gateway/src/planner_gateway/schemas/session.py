"""Sign-in and who-am-I answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from planner_gateway.settings import Role


class SessionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"api_key": "dev-planner-key"}]}
    )

    api_key: str = Field(min_length=1, max_length=500, examples=["dev-planner-key"])


class MeRead(BaseModel):
    """The caller, its roles, and (signed in with a cookie) the session's expiry and CSRF token."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "dev-approver",
                    "roles": ["approver"],
                    "authenticated_by": "session",
                    "can_plan": False,
                    "can_approve": True,
                    "can_operate": False,
                    "expires_at": "2027-03-01T17:00:00Z",
                    "csrf_token": "bS1yK0h2c2VjcmV0LWNzcmYtdG9rZW4",
                }
            ]
        }
    )

    name: str = Field(examples=["dev-planner"])
    roles: list[Role] = Field(examples=[["planner"]])
    authenticated_by: Literal["api_key", "session"]
    can_plan: bool = Field(description="May start seasons, upload actuals, re-forecast.")
    can_approve: bool = Field(description="May decide manufacturing and markdown approvals.")
    can_operate: bool = Field(description="May read the bus (operator views).")
    expires_at: datetime | None = Field(default=None, description="When the session ends.")
    csrf_token: str | None = Field(
        default=None, description="Send as X-CSRF-Token with every write made with the cookie."
    )
