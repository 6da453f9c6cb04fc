"""Settings of the gateway service: the shared ones plus its own, prefixed PLANNER_GATEWAY_.

Environment variables (all optional in development), prefixed PLANNER_GATEWAY_:

- PORT (8000); API_KEYS: JSON `{"<key>": {"name": "alice", "roles": ["planner"]}}`,
  default the development keys below; CORS_ORIGINS: JSON list (ports 5173 and 3000 on
  localhost and 127.0.0.1);
- REPLY_TIMEOUT_SECONDS (30): how long extraction and approval answers are awaited;
- MAX_UPLOAD_BYTES (10 MiB): CSV upload limit; MAX_BODY_BYTES (1 MiB): any other request body;
- UPLOAD_PARSE_WORKERS (2): uploads parsed at once, off the event loop; UPLOAD_PARSE_QUEUE (8):
  uploads waiting for a parse slot before the next one is refused with 503 and Retry-After;
- WS_HEARTBEAT_SECONDS (30), WS_PONG_TIMEOUT_SECONDS (unused), WS_QUEUE_SIZE (1000 messages
  buffered per client before it is dropped as too slow), WS_MAX_MESSAGE_BYTES (64 KiB: a
  larger client message closes the connection with 1009), WS_REPLAY_LIMIT (1000 events at
  most replayed on connect with ?since=, the newest); WS_DB_CONCURRENCY (4): sockets reading
  the database at once (handshake checks, replay pages); WS_HANDSHAKE_WAIT_SECONDS (10): how
  long a socket waits for its turn before it is closed with 1013 (try again later);
- FOUR_EYES (auto: on in production, off otherwise; or on, off): the one who started a
  season may not decide its approvals; SIGN_IN_FAILURES (10) wrong keys per client address in
  SIGN_IN_WINDOW_SECONDS (60), then 429 with Retry-After;
- MAX_MARKDOWN (40; PLANNER_AGENTS_MAX_MARKDOWN wins): the markdown rule's cap, as the pricing
  agent applies it;
- READER_BLOCK_MS (1000), HISTORY_CATCHUP_SECONDS (3600): how far back the stream reader
  looks at startup for events missing from the history; OUTBOX_BACKLOG_WARNING (1000).

The development keys (`dev-planner-key`, `dev-approver-key`, `dev-operator-key`,
`dev-admin-key`) are refused when PLANNER_ENVIRONMENT=production, as is any key shorter
than 16 characters.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE
from planner_shared.settings import Environment, ServiceSettings


class Role(StrEnum):
    PLANNER = "planner"
    APPROVER = "approver"
    OPERATOR = "operator"


class ApiKeyGrant(BaseModel):
    """Who holds a key and what it may do."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=100)
    roles: frozenset[Role] = frozenset()


DEVELOPMENT_API_KEYS: dict[str, ApiKeyGrant] = {
    "dev-planner-key": ApiKeyGrant(name="dev-planner", roles=frozenset({Role.PLANNER})),
    "dev-approver-key": ApiKeyGrant(name="dev-approver", roles=frozenset({Role.APPROVER})),
    "dev-operator-key": ApiKeyGrant(name="dev-operator", roles=frozenset({Role.OPERATOR})),
    "dev-admin-key": ApiKeyGrant(name="dev-admin", roles=frozenset(Role)),
}

MIN_PRODUCTION_KEY_LENGTH = 16


def _alias(name: str) -> AliasChoices:
    return AliasChoices(f"PLANNER_GATEWAY_{name.upper()}")


class GatewaySettings(ServiceSettings):
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=_alias("port"))
    api_keys: dict[str, ApiKeyGrant] = Field(
        default_factory=lambda: dict(DEVELOPMENT_API_KEYS),
        validation_alias=_alias("api_keys"),
        description="Bearer API keys and the roles they grant.",
    )
    cors_origins: list[str] = Field(
        # The contract v1 client's development origins, by name and by address.
        default_factory=lambda: [
            "http://localhost:5173",
            "http://localhost:3000",
            "http://127.0.0.1:5173",
            "http://127.0.0.1:3000",
        ],
        validation_alias=_alias("cors_origins"),
    )
    reply_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        validation_alias=_alias("reply_timeout_seconds"),
        description="How long a request/reply over the bus may wait before a 504.",
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias=_alias("max_upload_bytes")
    )
    sample_demand_file: str = Field(
        default="data/sample/season_demand.csv",
        validation_alias=_alias("sample_demand_file"),
        description="The sample season's demand, from which a season's sample week is made "
        "(GET /api/workflows/{id}/sample-actuals.csv); relative to the working directory.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        validation_alias=_alias("max_body_bytes"),
        description="Largest request body outside the uploads (413 past it).",
    )
    upload_parse_workers: int = Field(
        default=2,
        ge=1,
        le=32,
        validation_alias=_alias("upload_parse_workers"),
        description="Uploaded files parsed at once, in worker processes (not the event loop).",
    )
    upload_parse_queue: int = Field(
        default=8,
        ge=0,
        le=1000,
        validation_alias=_alias("upload_parse_queue"),
        description="Uploads that may wait for a parse slot; one more is refused with 503.",
    )
    ws_heartbeat_seconds: float = Field(
        default=30.0, gt=0, validation_alias=_alias("ws_heartbeat_seconds")
    )
    ws_pong_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=_alias("ws_pong_timeout_seconds"),
        description="Unused: no socket is closed for a missing pong (kept so existing "
        "configurations still load).",
    )
    ws_queue_size: int = Field(
        default=1000,
        ge=1,
        validation_alias=_alias("ws_queue_size"),
        description="Messages buffered per WebSocket client before it is dropped as too slow.",
    )
    ws_max_message_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        validation_alias=_alias("ws_max_message_bytes"),
        description="Largest WebSocket message a client may send (clients send only pings and "
        "pongs); a larger one closes the connection with 1009.",
    )
    ws_replay_limit: int = Field(
        default=1000,
        ge=1,
        validation_alias=_alias("ws_replay_limit"),
        description="Most events replayed on connect with ?since=; older ones are announced "
        "(a replay_truncated message) and left to GET /api/workflows/{id}/events.",
    )
    ws_db_concurrency: int = Field(
        default=4,
        ge=1,
        le=100,
        validation_alias=_alias("ws_db_concurrency"),
        description="Sockets reading the database at once (handshake checks, replay pages); "
        "the rest of the pool stays with the REST requests.",
    )
    ws_handshake_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        validation_alias=_alias("ws_handshake_wait_seconds"),
        description="How long a socket waits for a database read before it is closed with "
        "1013 (try again later).",
    )
    reader_block_ms: int = Field(
        default=1000, ge=10, le=30_000, validation_alias=_alias("reader_block_ms")
    )
    replay_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        validation_alias=_alias("replay_poll_seconds"),
        description="How often a replay looks whether the season has taken its last week in.",
    )
    history_catchup_seconds: float = Field(
        default=3600.0,
        ge=0,
        validation_alias=_alias("history_catchup_seconds"),
        description="At startup, events this recent that are not yet in the history are stored.",
    )
    transfer_cost_per_unit: float = Field(
        default=1.5,
        ge=0,
        # One setting for both services: a scenario's transfers use the rule's own cost.
        validation_alias=AliasChoices(
            "PLANNER_GATEWAY_TRANSFER_COST_PER_UNIT", "PLANNER_FORECAST_TRANSFER_COST_PER_UNIT"
        ),
        description="What moving one unit costs, as the forecast service's transfer proposal "
        "counts it: a scenario's transfers (docs/scenarios.md) are made by the same rule.",
    )
    outbox_backlog_warning: int = Field(
        default=1000, ge=1, validation_alias=_alias("outbox_backlog_warning")
    )
    session_ttl_seconds: int = Field(
        default=8 * 3600,
        ge=60,
        le=30 * 24 * 3600,
        validation_alias=_alias("session_ttl_seconds"),
        description="How long a console sign-in (POST /api/session) lasts.",
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        validation_alias=_alias("session_cookie_secure"),
        description="Mark the session cookies Secure (HTTPS only): auto is in production only.",
    )
    four_eyes: Literal["auto", "on", "off"] = Field(
        default="auto",
        validation_alias=_alias("four_eyes"),
        description="Refuse a decision by the one who started the season (403 four_eyes): "
        "auto is on in production only.",
    )
    sign_in_failures: int = Field(
        default=10,
        ge=1,
        validation_alias=_alias("sign_in_failures"),
        description="Wrong keys one client address may send in sign_in_window_seconds; past "
        "it every key it sends is refused with 429 and Retry-After until the window ends.",
    )
    sign_in_window_seconds: int = Field(
        default=60, ge=1, le=24 * 3600, validation_alias=_alias("sign_in_window_seconds")
    )
    max_markdown_percentage: float = Field(
        default=DEFAULT_MAX_MARKDOWN_PERCENTAGE,
        ge=0,
        le=100,
        # The pricing agent's variable first: one setting, both services.
        validation_alias=AliasChoices(
            "PLANNER_AGENTS_MAX_MARKDOWN", "PLANNER_GATEWAY_MAX_MARKDOWN"
        ),
        description="The markdown rule's cap, for a recalculation before any proposal (after "
        "one, the proposal's cap).",
    )
    console_dir: str = Field(
        default="",
        validation_alias=_alias("console_dir"),
        description="The built console (console/dist) served at /; by default the repository's.",
    )

    @property
    def four_eyes_enabled(self) -> bool:
        if self.four_eyes == "auto":
            return self.environment is Environment.PRODUCTION
        return self.four_eyes == "on"

    def _secrets(self) -> dict[str, str]:
        return {f"the API key of {grant.name}": key for key, grant in self.api_keys.items()}

    @model_validator(mode="after")
    def _refuse_development_keys(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            for key, grant in self.api_keys.items():
                if key in DEVELOPMENT_API_KEYS or len(key) < MIN_PRODUCTION_KEY_LENGTH:
                    raise ValueError(
                        f"the API key of {grant.name} is a development key or shorter than "
                        f"{MIN_PRODUCTION_KEY_LENGTH} characters: set PLANNER_GATEWAY_API_KEYS"
                    )
        return self
