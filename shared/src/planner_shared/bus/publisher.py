"""Publishing to the streams: capped XADD through FastStream's broker."""

from __future__ import annotations

import json
from typing import Any

from faststream.redis import RedisBroker

from planner_shared.bus.streams import stream_for
from planner_shared.events import EventBase
from planner_shared.settings import PlannerSettings


class EventPublisher:
    def __init__(self, broker: RedisBroker, settings: PlannerSettings) -> None:
        self._broker = broker
        self._settings = settings

    async def publish_raw(self, stream: str, envelope: dict[str, Any]) -> None:
        await self._broker.publish(
            json.dumps(envelope).encode(),
            stream=stream,
            maxlen=self._settings.stream_maxlen,
            headers={"content-type": "application/json"},
        )

    async def publish(self, event: EventBase) -> None:
        """Publish directly, outside any transaction: only for ephemeral events (progress)
        and for commands whose sender keeps no state of its own."""
        await self.publish_raw(stream_for(self._settings, event), event.model_dump(mode="json"))
