"""Run the Alembic migrations programmatically (services, tests and `make migrate`)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def main() -> None:
    from planner_shared.settings import PlannerSettings

    revision = sys.argv[1] if len(sys.argv) > 1 else "head"
    upgrade(PlannerSettings().database_url, revision)


if __name__ == "__main__":
    main()
