"""Typed settings: one base every service extends with its own env prefix.

Values come from the environment (and an optional `.env`); `.env.example` at the repository
root documents each variable.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


DEVELOPMENT_OPERATOR_KEY = "dev-operator-key"
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev-key", ""}


# Set to 0, no `.env` is read: the test suite sets it (root conftest.py), so a developer's own
# `.env` (other ports, a real OpenAI key) never decides a test.
READ_DOTENV = "PLANNER_READ_DOTENV"


class _DotenvSwitch(BaseSettings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if os.environ.get(READ_DOTENV) == "0":
            return init_settings, env_settings, file_secret_settings
        return init_settings, env_settings, dotenv_settings, file_secret_settings


class PlannerSettings(_DotenvSwitch):
    """Settings every process shares: where the database and Redis are, how the bus behaves."""

    # Fields are read from the environment under their aliases only (PLANNER_GATEWAY_PORT,
    # DATABASE_URL, ...); `validate_by_name` lets code and tests pass them by field name.
    model_config = SettingsConfigDict(
        env_prefix="PLANNER_", env_file=".env", extra="ignore", frozen=True, validate_by_name=True
    )

    environment: Environment = Environment.DEVELOPMENT
    # Plain strings rather than DSN types: SQLAlchemy URLs carry a driver suffix
    # (`postgresql+asyncpg://`) that pydantic's PostgresDsn does not round-trip cleanly.
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/season_planner",
        validation_alias="DATABASE_URL",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    stream_prefix: str = Field(
        default="planner",
        description="Prefix of every stream name; tests use a unique one per worker.",
    )
    stream_maxlen: int = Field(default=100_000, ge=1_000)
    max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries before a message is dead-lettered."
    )
    claim_idle_ms: int = Field(
        default=30_000, ge=100, description="Idle time after which a pending message is claimed."
    )
    outbox_poll_seconds: float = Field(default=0.2, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    replica_name: str | None = Field(
        default=None, description="Consumer name in the group; defaults to host and pid."
    )
    bus_check_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often each service checks that its consumer groups exist (a Redis that "
        "lost its data has none) and recreates them.",
    )
    redrive_window_hours: float = Field(
        default=24.0,
        ge=0,
        description="After a Redis loss, outbox events published this recently are published "
        "again by themselves (0: only by the operator's POST /api/ops/redrive).",
    )

    def stream(self, domain: str) -> str:
        return f"{self.stream_prefix}.{domain}"


class OpenAISettings(_DotenvSwitch):
    """The LLM client; with no key the system runs on its deterministic fallbacks."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    timeout_seconds: float = Field(default=30.0, gt=0, le=300, validation_alias="OPENAI_TIMEOUT")
    max_retries: int = Field(default=2, ge=0, le=10, validation_alias="OPENAI_MAX_RETRIES")
    tracing_enabled: bool = Field(default=False, validation_alias="OPENAI_TRACING_ENABLED")

    @property
    def configured(self) -> bool:
        return self.api_key is not None and self.api_key.get_secret_value() != ""


class ServiceSettings(PlannerSettings):
    """Base of each service's settings: adds the operator HTTP port and its key."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    operator_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_OPERATOR_KEY),
        validation_alias="PLANNER_OPERATOR_KEY",
        description="Bearer key of the services' own operator APIs (ports 8001-8004; /health, "
        "/ready and /metrics stay open to probes). Refused in production unless set.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            for name, value in self._secrets().items():
                if value.strip().lower() in _PLACEHOLDER_SECRETS or (
                    name == "PLANNER_OPERATOR_KEY" and value == DEVELOPMENT_OPERATOR_KEY
                ):
                    raise ValueError(f"{name} must be set to a real secret in production")
        return self

    def _secrets(self) -> dict[str, str]:
        """The secrets this process uses, by name; the gateway, whose own API has keys with
        roles and needs no operator key, overrides it with those."""
        return {"PLANNER_OPERATOR_KEY": self.operator_key.get_secret_value()}
