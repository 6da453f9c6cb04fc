"""The README's description of a service's files holds for all five, and shared holds no
development tools."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from planner_shared.db.models import OWNERS

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
SHARED = ROOT / "shared" / "src" / "planner_shared"


def _package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"planner_{service}"


def _defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in tree.body
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_one_skeleton(service: str) -> None:
    package = _package(service)
    for role in ("app.py", "settings.py", "handlers.py", "__main__.py"):
        assert (package / role).is_file(), f"planner_{service} has no {role}"
    assert _defines(package / "app.py", "create_app")
    # A repository where the service stores anything: every service that owns a table.
    stores = service in OWNERS.values()
    assert (package / "repository.py").is_file() == stores, service


def test_the_readme_describes_that_skeleton() -> None:
    readme = (ROOT / "README.md").read_text()
    for role in ("app.py", "settings.py", "handlers.py", "repository.py"):
        assert role in readme


def test_shared_holds_no_test_or_data_generation_code() -> None:
    assert not (SHARED / "testing").exists()
    for path in SHARED.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in {"pytest", "planner_tools"}}, path
    assert not (SHARED / "datasets" / "generator.py").exists()
    assert not (SHARED / "datasets" / "calibration.py").exists()
