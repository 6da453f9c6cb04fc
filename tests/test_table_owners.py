"""Each table is written by its owner only (planner_shared.db.models.OWNERS).

The services' code is read, not run: a write is an `insert(Model)`, `update(Model)` or
`delete(Model)` statement, a `Model(...)` row built to be added, or an assignment to a column
of a row whose model the code names (a parameter or variable annotated with it, a row fetched
with `session.get(Model, ...)` or returned by a function of the service annotated with it, a
loop over such rows). The scanner is checked against writes known to be
there, so a scanner that finds nothing fails too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import cast

import pytest

import planner_shared.db.frontend_v1  # noqa: F401  (registers the contract v1 tables)
from planner_shared.db.base import Base
from planner_shared.db.models import BUS, CREATORS, OWNERS

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
MODELS = {mapper.class_.__name__: mapper.class_.__tablename__ for mapper in Base.registry.mappers}
COLUMNS = {
    mapper.class_.__name__: {attr.key for attr in mapper.column_attrs}
    for mapper in Base.registry.mappers
}
STATEMENTS = {"insert": "insert", "update": "update", "delete": "delete"}

Write = tuple[str, str, str]  # (table, kind, "path:line")


def _model_of(annotation: ast.expr | None) -> str | None:
    """`Workflow`, `Workflow | None`, `"Workflow"`, `list[Workflow]` -> "Workflow"."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    if isinstance(annotation, ast.BinOp):
        return _model_of(annotation.left) or _model_of(annotation.right)
    if isinstance(annotation, ast.Subscript):
        return _model_of(annotation.slice)
    if isinstance(annotation, ast.Name) and annotation.id in MODELS:
        return annotation.id
    return None


def _returned_model(value: ast.expr | None, returns: dict[str, str]) -> str | None:
    """`await session.get(Workflow, id)`, `await repo.find(...)` where `find` is annotated to
    return a Workflow (or rows of it) -> "Workflow"."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "get" and value.args:
        return _model_of(value.args[0])
    return returns.get(name) if name else None


def _return_annotations(trees: list[ast.Module]) -> dict[str, str]:
    """Function name -> the model it returns, over all of a service's code."""
    return {
        node.name: model
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (model := _model_of(node.returns))
    }


def _writes_in(path: Path, tree: ast.Module, returns: dict[str, str]) -> list[Write]:
    where = str(path.relative_to(ROOT))
    found: list[Write] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in STATEMENTS and node.args and (model := _model_of(node.args[0])):
                found.append((MODELS[model], STATEMENTS[name], f"{where}:{node.lineno}"))
            elif name in MODELS:
                found.append((MODELS[name], "insert", f"{where}:{node.lineno}"))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            rows: dict[str, str] = {}
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if model := _model_of(arg.annotation):
                    rows[arg.arg] = model
            for inner in ast.walk(node):
                if isinstance(inner, ast.AnnAssign) and isinstance(inner.target, ast.Name):
                    model = _model_of(inner.annotation) or _returned_model(inner.value, returns)
                    if model:
                        rows[inner.target.id] = model
                elif isinstance(inner, ast.Assign) and (
                    model := _returned_model(inner.value, returns)
                ):
                    rows |= {t.id: model for t in inner.targets if isinstance(t, ast.Name)}
                elif (
                    isinstance(inner, ast.For | ast.AsyncFor)
                    and isinstance(inner.target, ast.Name)
                    and isinstance(inner.iter, ast.Name)
                    and (model := rows.get(inner.iter.id))
                ):
                    rows[inner.target.id] = model
            for inner in ast.walk(node):
                targets = (
                    inner.targets
                    if isinstance(inner, ast.Assign)
                    else [inner.target]
                    if isinstance(inner, ast.AugAssign | ast.AnnAssign)
                    else []
                )
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and (model := rows.get(target.value.id))
                        and target.attr in COLUMNS[model]
                    ):
                        line = cast(ast.stmt, inner).lineno
                        found.append((MODELS[model], "update", f"{where}:{line}"))
    return found


def _writes(service: str) -> list[Write]:
    source = ROOT / "services" / service / "src" / f"planner_{service}"
    trees = {path: ast.parse(path.read_text()) for path in sorted(source.rglob("*.py"))}
    returns = _return_annotations(list(trees.values()))
    return [write for path, tree in trees.items() for write in _writes_in(path, tree, returns)]


WRITES = {service: _writes(service) for service in SERVICES}


def test_every_table_has_one_owner() -> None:
    assert set(OWNERS) == set(Base.metadata.tables)
    assert set(OWNERS.values()) <= {*SERVICES, BUS}
    assert set(CREATORS) <= set(OWNERS)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_writes_only_the_tables_it_owns(service: str) -> None:
    trespasses = defaultdict(list)
    for table, kind, where in WRITES[service]:
        if OWNERS[table] == service or (kind == "insert" and CREATORS.get(table) == service):
            continue
        trespasses[f"{table} (owner {OWNERS[table]})"].append(f"{kind} at {where}")
    assert not trespasses, f"{service} writes tables it does not own: {dict(trespasses)}"


@pytest.mark.parametrize(
    ("service", "table", "kind"),
    [
        ("gateway", "workflows", "insert"),
        ("gateway", "weekly_actuals", "delete"),
        ("gateway", "idempotency_keys", "update"),
        ("agents", "workflows", "update"),
        ("agents", "workflow_transitions", "insert"),
        ("forecast", "forecasts", "delete"),
        ("forecast", "manufacturing_orders", "update"),
        ("approvals", "approvals", "update"),
    ],
)
def test_the_scanner_sees_the_writes_that_are_there(service: str, table: str, kind: str) -> None:
    assert (table, kind) in {(t, k) for t, k, _ in WRITES[service]}
