"""`python -m planner_gateway`: run the gateway service."""

if __name__ == "__main__":
    # Imported here, not above: an upload's worker process (parse_pool, "spawn") imports
    # this module again as its main, and needs none of the application.
    from planner_gateway.app import create_app
    from planner_gateway.settings import GatewaySettings
    from planner_shared.runtime import serve

    settings = GatewaySettings()
    # Clients only send pings and pongs: uvicorn refuses a larger frame with 1009 instead of
    # buffering up to its 16 MiB default.
    # Liveness of every socket is the protocol's ping frames (which browsers answer by
    # themselves), never an application-level pong: stated here rather than left to defaults.
    serve(
        create_app(settings),
        settings,
        ws_max_size=settings.ws_max_message_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
    )
