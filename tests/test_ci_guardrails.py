"""CI runs what a developer runs: lint (ruff, ruff format) and mypy before the tests, and
mypy covers every test tree as well as the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _recipe(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match is not None, f"no `{target}` target"
    return [line.strip() for line in match.group(1).splitlines()]


def test_ci_lints_and_type_checks_before_it_tests() -> None:
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip().startswith("make ")
    ]
    assert steps == ["make lint", "make test"]
    lint = _recipe("lint")
    assert any(step.endswith("ruff check .") for step in lint), lint
    assert any(step.endswith("ruff format --check .") for step in lint), lint
    assert any(step.endswith("mypy") for step in lint), lint


def test_mypy_checks_every_test_tree() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    files = set(config["files"])
    trees = {str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/tests")}
    trees |= {"shared/tests", "tools/tests", "tests", "conftest.py"}
    assert trees <= files, sorted(trees - files)
    assert config["strict"] is True
