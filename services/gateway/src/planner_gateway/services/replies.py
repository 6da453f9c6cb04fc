"""Commands answered over the bus: publish, then wait for the answer.

A command is published directly (the gateway keeps no state for it) and its answer is the
first event of an expected type whose `causation_id` is the command's `event_id`, seen by
this process's stream reader (`GatewayState.replies`).
"""

from __future__ import annotations

import asyncio

from planner_gateway.errors import ApiError
from planner_gateway.state import GatewayState
from planner_shared.events import EventBase
from planner_shared.runtime import Runtime


async def ask(
    state: GatewayState,
    runtime: Runtime,
    request: EventBase,
    answers: tuple[type[EventBase], ...],
    service: str,
) -> EventBase:
    """Publish `request` and wait for its answer: 503 while the reader is down (the answer
    could not arrive), 504 `gateway_timeout` after `reply_timeout_seconds`."""
    if not state.reader.alive():
        raise ApiError(
            503,
            "the gateway is not reading the bus right now, so it cannot receive the answer; "
            "see GET /api/health",
            code="reader_unavailable",
            headers={"Retry-After": "5"},
        )
    timeout = state.settings.reply_timeout_seconds
    with state.replies.expect(request.event_id, answers) as answer:
        await runtime.publisher.publish(request)
        try:
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise ApiError(
                504,
                f"no answer from the {service} service within {timeout:g}s; "
                "it may be down or overloaded",
                code="gateway_timeout",
            ) from None
