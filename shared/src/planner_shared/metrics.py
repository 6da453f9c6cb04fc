"""Prometheus metrics shared by every service; `/metrics` exposes the default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter(
    "planner_events_handled_total",
    "Events handled by a consumer group, by outcome.",
    ["group", "type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "planner_handler_seconds",
    "Time to handle one event, transaction included.",
    ["group", "type"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
DEAD_LETTERED = Counter(
    "planner_events_dead_lettered_total", "Events moved to a dead-letter stream.", ["stream"]
)
OUTBOX_PUBLISHED = Counter("planner_outbox_published_total", "Outbox rows relayed to Redis.")
OUTBOX_BACKLOG = Gauge("planner_outbox_backlog", "Unpublished outbox rows at the last poll.")
HTTP_REQUESTS = Counter(
    "planner_http_requests_total", "HTTP requests served.", ["service", "method", "status"]
)
