"""Composition root of the gateway service."""

from __future__ import annotations

from fastapi import FastAPI

from planner_gateway.settings import GatewaySettings
from planner_shared.runtime import create_service_app

SERVICE_NAME = "gateway"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or GatewaySettings(),
        description="REST API, WebSocket relay, uploads and access control.",
    )
