"""The WebSocket hub on its own: who follows a workflow, and one encoding per event."""

from __future__ import annotations

import json
from uuid import UUID, uuid4

from planner_gateway.relay.hub import ConnectionHub
from planner_gateway.relay.messages import Frame, encode, to_message
from planner_shared.events import AgentProgress, AgentProgressPayload


def _frame(workflow_id: UUID, i: int) -> Frame:
    event = AgentProgress(
        workflow_id=workflow_id,
        producer="forecast",
        payload=AgentProgressPayload(agent="demand", message=f"step {i}"),
    )
    return encode(to_message(event))


def test_has_subscribers_follows_subscriptions() -> None:
    hub = ConnectionHub(queue_size=4)
    workflow_id, other = uuid4(), uuid4()
    assert not hub.has_subscribers(workflow_id)

    first, second = hub.subscribe(workflow_id), hub.subscribe(workflow_id)
    assert hub.has_subscribers(workflow_id)
    assert not hub.has_subscribers(other)
    hub.unsubscribe(first)
    assert hub.has_subscribers(workflow_id)
    hub.unsubscribe(second)
    assert not hub.has_subscribers(workflow_id)
    # A publish to a workflow nobody follows reaches no one and leaves no trace.
    assert hub.publish(workflow_id, _frame(workflow_id, 0)) == 0
    assert not hub.has_subscribers(workflow_id)


def test_every_connection_gets_the_same_encoded_frame_in_order() -> None:
    hub = ConnectionHub(queue_size=2)
    workflow_id = uuid4()
    fast, slow = hub.subscribe(workflow_id), hub.subscribe(workflow_id)
    frames = [_frame(workflow_id, i) for i in range(3)]

    got: list[Frame] = []
    assert hub.publish(workflow_id, frames[0]) == 2
    assert hub.publish(workflow_id, frames[1]) == 2
    got += [fast.queue.get_nowait(), fast.queue.get_nowait()]
    # The slow one never reads: its full queue drops it, the fast one is served on.
    assert hub.publish(workflow_id, frames[2]) == 1
    got.append(fast.queue.get_nowait())

    assert all(g is f for g, f in zip(got, frames, strict=True))
    assert slow.queue.get_nowait() is frames[0]
    assert slow.dropped.is_set()
    assert slow.drop_code == ConnectionHub.CLOSE_TOO_SLOW
    assert hub.dropped_slow == 1
    assert hub.connection_count == 1
    message = json.loads(frames[2].text)
    assert (message["type"], message["message"]) == ("agent_progress", "step 2")
    assert frames[2].event_id == message["event_id"]
