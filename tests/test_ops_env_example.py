""".env.example documents every setting every process reads, and nothing that does not exist.

The settings classes are the reference: every field of every class a process instantiates
(the shared settings, the LLM client's, each service's, found from services/*/src) must be
listed under the environment variable it is read from, with the default it really has.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", re.MULTILINE)
# Read by docker-compose.yml itself, not by a settings class.
COMPOSE_ONLY = {"PLANNER_GATEWAY_PUBLISHED_PORT"}
# Shown with an example value rather than the default (the default is unset, or a value
# that cannot be written on one line: the development API keys).
EXAMPLES = {
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "PLANNER_REPLICA_NAME",
    "PLANNER_FORECAST_CLUSTER_K",
    "PLANNER_FORECAST_DASK_ADDRESS",
    "PLANNER_GATEWAY_API_KEYS",
}


def settings_modules() -> list[str]:
    services = sorted(ROOT.glob("services/*/src/planner_*/settings.py"))
    assert len(services) == 5, services
    return ["planner_shared.settings", *(f"{p.parent.name}.settings" for p in services)]


def settings_classes() -> list[type[BaseSettings]]:
    found: list[type[BaseSettings]] = []
    for module_name in settings_modules():
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseSettings) and cls.__module__ == module_name:
                found.append(cls)
    # A base every service overrides (ServiceSettings.port) is not a variable anyone reads:
    # only the classes processes instantiate, the leaves, count.
    return [c for c in found if not any(o is not c and issubclass(o, c) for o in found)]


def env_name(cls: type[BaseSettings], field: str) -> str:
    alias = cls.model_fields[field].validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        assert isinstance(first, str), f"{cls.__name__}.{field}: alias path not supported"
        return first
    prefix = cls.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def read_by_settings() -> dict[str, tuple[type[BaseSettings], str]]:
    """Environment variable -> (a class that reads it, its field)."""
    return {
        env_name(cls, field): (cls, field)
        for cls in settings_classes()
        for field in cls.model_fields
    }


def documented() -> dict[str, str]:
    return dict(ASSIGNMENT.findall(ENV_EXAMPLE.read_text()))


def test_the_settings_classes_are_all_found() -> None:
    names = {cls.__name__ for cls in settings_classes()}
    assert names == {
        "OpenAISettings",
        "GatewaySettings",
        "ExtractionSettings",
        "ForecastSettings",
        "AgentsSettings",
        "ApprovalsSettings",
    }
    read = read_by_settings()
    for variable in (
        "DATABASE_URL",
        "PLANNER_HOST",
        "PLANNER_AGENTS_MANUFACTURING_TOLERANCE",
        "PLANNER_AGENTS_MAX_MARKDOWN",
        "PLANNER_GATEWAY_API_KEYS",
        "PLANNER_FORECAST_VARIANCE_TRIGGER",
    ):
        assert variable in read, variable


def test_every_setting_is_documented() -> None:
    missing = set(read_by_settings()) - set(documented())
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_nothing_documented_is_unknown() -> None:
    unknown = set(documented()) - set(read_by_settings()) - COMPOSE_ONLY
    assert not unknown, f".env.example documents variables no setting reads: {sorted(unknown)}"


def test_each_variable_is_documented_once_and_commented_out() -> None:
    text = ENV_EXAMPLE.read_text()
    names = [name for name, _ in ASSIGNMENT.findall(text)]
    assert len(names) == len(set(names)), "a variable is listed twice"
    # Uncommented, a copy to .env would pin every default instead of changing what is meant.
    assert not re.findall(r"^[A-Z][A-Z0-9_]+=", text, re.MULTILINE)


def test_every_documented_variable_has_an_explanation() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[number - 1]
            where = f"line {number + 1} ({line}) has no comment saying what it means"
            assert above.startswith("# "), where
            assert not ASSIGNMENT.match(above), where


def test_every_value_shown_is_the_real_default(monkeypatch: pytest.MonkeyPatch) -> None:
    read = read_by_settings()
    shown = documented()
    for variable, (cls, field) in read.items():
        if variable in EXAMPLES:
            continue
        default = cls.model_fields[field].get_default(call_default_factory=True)
        monkeypatch.setenv(variable, shown[variable])
        # A developer's own .env must not decide this test.
        parsed = getattr(cls(_env_file=None), field)
        monkeypatch.delenv(variable)
        assert parsed == default, f"{variable}={shown[variable]} but the default is {default!r}"


def test_examples_are_not_defaults_in_disguise() -> None:
    read = read_by_settings()
    for variable in EXAMPLES:
        cls, field = read[variable]
        default = cls.model_fields[field].get_default(call_default_factory=True)
        assert default is None or variable == "PLANNER_GATEWAY_API_KEYS", variable


def test_every_documented_value_is_valid_for_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in documented().items():
        monkeypatch.setenv(name, value)
    for cls in settings_classes():
        cls(_env_file=None)  # raises ValidationError on a documented value the settings refuse


def test_compose_sets_only_variables_the_services_read() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    known = set(read_by_settings())
    for name, service in compose["services"].items():
        if name in ("redis", "postgres"):
            continue
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} sets {sorted(unknown)}, which no settings class reads"
