"""Every command has one handling service and is sent only by the owner of its decision.

Read from the services' source: a handler is a `router.on(X)` or `router.phased(X)`
registration, a send is a construction `X(...)` or `event.caused(X, ...)`. Tests and tools
may build any event; the services' packages may not.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from planner_shared.events import COMMANDS, EVENT_TYPES, Command

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())


def _uses() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(command class -> services registering a handler, command class -> services sending)."""
    names = {cls.__name__ for cls in COMMANDS}
    handled: dict[str, set[str]] = defaultdict(set)
    sent: dict[str, set[str]] = defaultdict(set)
    for service in SERVICES:
        for path in (ROOT / "services" / service / "src").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                first = node.args[0] if node.args else None
                first_name = first.id if isinstance(first, ast.Name) else None
                if isinstance(func, ast.Name) and func.id in names:
                    sent[func.id].add(service)
                elif isinstance(func, ast.Attribute) and first_name in names:
                    assert first_name is not None
                    if func.attr in {"on", "phased"}:
                        handled[first_name].add(service)
                    elif func.attr == "caused":
                        sent[first_name].add(service)
    return handled, sent


def test_each_command_has_one_handling_service_and_is_sent_by_its_owner() -> None:
    handled, sent = _uses()
    for cls in COMMANDS:
        name = cls.__name__
        assert handled[name] == {cls.handled_by}, (name, handled[name])
        assert sent[name] == set(cls.sent_by), (name, sent[name])
        assert cls.handled_by not in cls.sent_by, name


def test_one_sender_per_command_but_the_documented_request_reply() -> None:
    # extraction.requested is also the gateway's request/reply for POST
    # /api/parameters/extract (no workflow): its docstring says so.
    several = {cls.type_name() for cls in COMMANDS if len(cls.sent_by) != 1}
    assert several == {"extraction.requested"}


def test_only_the_orchestrator_asks_for_a_forecast() -> None:
    forecast = EVENT_TYPES["forecast.requested"]
    assert issubclass(forecast, Command)
    assert (forecast.handled_by, forecast.sent_by) == ("forecast", frozenset({"agents"}))
    _, sent = _uses()
    assert sent["ForecastRequested"] == {"agents"}


def test_events_are_not_commands() -> None:
    facts = ["variance.checked", "forecast.completed", "actuals.uploaded", "approval.decided"]
    assert not any(issubclass(EVENT_TYPES[t], Command) for t in facts)
    assert all(EVENT_TYPES[cls.type_name()] is cls for cls in COMMANDS)
