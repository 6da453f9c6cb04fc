"""Prometheus metrics of the gateway (exposed on /metrics with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WS_CONNECTIONS = Gauge("planner_gateway_ws_connections", "Open WebSocket connections.")
WS_MESSAGES = Counter("planner_gateway_ws_messages_total", "Messages queued to WebSocket clients.")
WS_DROPPED = Counter(
    "planner_gateway_ws_dropped_total",
    "WebSocket clients closed by the server, by reason.",
    ["reason"],
)
EVENTS_RELAYED = Counter(
    "planner_gateway_events_read_total", "Events the stream reader read, by stream.", ["stream"]
)
