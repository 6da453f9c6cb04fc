"""The agents service's bus side: the orchestrator's handlers, one per event it reacts to.

The orchestrator (planner_agents.orchestrator) owns the state machine; its methods are the
handlers, and its `router()` registers them.
"""

from __future__ import annotations

from planner_agents.orchestrator import Orchestrator
from planner_agents.specialists import Specialists
from planner_shared.bus.router import EventRouter


def build_router(specialists: Specialists) -> EventRouter:
    return Orchestrator(specialists).router()
