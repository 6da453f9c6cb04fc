"""`python -m planner_gateway`: run the gateway service."""

from planner_gateway.app import create_app
from planner_gateway.settings import GatewaySettings
from planner_shared.runtime import serve

if __name__ == "__main__":
    settings = GatewaySettings()
    serve(create_app(settings), settings)
