"""Who may change a season, and who may decide on it: one rule each, for every endpoint.

- A write on a season (re-forecast, cancel, weekly actuals, the v1 execute and uploads) is
  made by the planner who started it (the key holder's name is the season's `created_by`),
  or by an operator, who runs the system for everyone. Another planner gets 403
  `not_your_workflow`; a key with neither role, 403 as for any missing role.
- A decision on a season's approval needs the approver role and, with four-eyes on
  (`PLANNER_GATEWAY_FOUR_EYES`, on by default in production), someone other than the one who
  started it: 403 `four_eyes`, whatever other roles the key holds.
"""

from __future__ import annotations

from planner_gateway.auth import Principal
from planner_gateway.errors import ApiError
from planner_gateway.settings import GatewaySettings, Role


def refuse_foreign_write(owner: str, principal: Principal, season: object, what: str) -> None:
    """Refuse `what` (a verb: "cancel", "upload actuals to") on another planner's season."""
    if Role.OPERATOR in principal.roles:
        return
    if Role.PLANNER not in principal.roles:
        raise ApiError(403, f"this action needs the planner role; {principal.name} lacks it")
    if owner == principal.name:
        return
    raise ApiError(
        403,
        f"workflow {season} was started by {owner}; only they or an operator may {what} it, "
        f"not {principal.name}",
        code="not_your_workflow",
    )


def refuse_own_decision(
    owner: str, principal: Principal, season: object, settings: GatewaySettings
) -> None:
    """With four-eyes on, the one who started a season may not decide its approvals."""
    if settings.four_eyes_enabled and owner == principal.name:
        raise ApiError(
            403,
            f"workflow {season} was started by {principal.name}; with four-eyes on, another "
            "approver must decide it",
            code="four_eyes",
        )
