"""Issue 23.1: one front door's work, two translations. `/api` (planner_gateway.api) and the
contract v1 adapter (planner_gateway.v1) call the gateway's service layer
(planner_gateway.services); neither reaches into the other, and no endpoint owns a commit."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = ROOT / "services" / "gateway" / "src" / "planner_gateway"
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "websocket", "api_route"}


def _module(path: Path) -> str:
    parts = path.relative_to(GATEWAY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(*packages: str) -> Iterator[tuple[str, ast.Module]]:
    for package in packages:
        for path in sorted((GATEWAY / package).rglob("*.py")):
            yield _module(path), ast.parse(path.read_text())


def _imports(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(module, name) of every `from module import name`, and (module, "") of `import m`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""


def _is_route(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ROUTE_METHODS
    )


def _endpoints(tree: ast.Module) -> Iterator[ast.AsyncFunctionDef | ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _is_route(d) for d in node.decorator_list
        ):
            yield node


def _called_names(function: ast.AST) -> Iterator[str]:
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                yield node.func.id
            elif isinstance(node.func, ast.Attribute):
                yield node.func.attr


def test_v1_and_the_services_import_nothing_of_api() -> None:
    """v1 translates; what it needs of `/api`'s work lives in the service layer (a private
    name like `_refuse_gap` imported across was how the two drifted apart)."""
    for module, tree in _modules("v1", "services"):
        crossing = [
            f"{source}.{name}" if name else source
            for source, name in _imports(tree)
            if source == "planner_gateway.api" or source.startswith("planner_gateway.api.")
        ]
        assert not crossing, f"{module} imports {crossing}"


def test_no_module_imports_a_private_name_of_another() -> None:
    for module, tree in _modules("api", "v1", "services"):
        private = [
            f"{source}.{name}"
            for source, name in _imports(tree)
            if source.startswith("planner_gateway.") and name.startswith("_")
        ]
        assert not private, f"{module} imports {private}"


def test_no_endpoint_commits_and_the_services_never_do() -> None:
    """The request's unit of work (deps.py) commits; an endpoint or a service never does."""
    endpoints = 0
    for module, tree in _modules("api", "v1"):
        for endpoint in _endpoints(tree):
            endpoints += 1
            assert "commit" not in set(_called_names(endpoint)), f"{module}.{endpoint.name}"
    assert endpoints > 50  # the walk finds the routes (both routers)
    for module, tree in _modules("services"):
        assert "commit" not in set(_called_names(tree)), module


def test_no_endpoint_calls_another_endpoint() -> None:
    defined: set[tuple[str, str]] = set()
    trees = dict(_modules("api", "v1"))
    for module, tree in trees.items():
        defined |= {(module, e.name) for e in _endpoints(tree)}
    for module, tree in trees.items():
        imported = {name for source, name in _imports(tree) if (source, name) in defined}
        for endpoint in _endpoints(tree):
            called = imported & set(_called_names(endpoint))
            assert not called, f"{module}.{endpoint.name} calls the endpoint {called}"


def test_the_services_know_nothing_of_http_frameworks() -> None:
    for module, tree in _modules("services"):
        frameworks = {s for s, _ in _imports(tree) if s.split(".")[0] in {"fastapi", "starlette"}}
        assert not frameworks, f"{module} imports {frameworks}"
