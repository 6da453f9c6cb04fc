"""planner_gateway: the REST API, WebSocket relay, uploads and access control."""

SERVICE_NAME = "gateway"
