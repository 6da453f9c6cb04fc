"""The Makefile documents every target and only calls scripts that exist; `make bench` fails
when a benchmark fails."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
TARGET = re.compile(r"^([a-zA-Z_-]+):(?!=)(.*)$", re.MULTILINE)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_every_target_has_a_help_comment() -> None:
    targets = dict(TARGET.findall(MAKEFILE))
    assert {"run", "down", "seed", "migrate", "bench", "logs", "status", "test"} <= set(targets)
    undocumented = [name for name, rest in targets.items() if "## " not in rest]
    assert not undocumented, f"targets without a `## ` help comment: {undocumented}"


def test_every_phony_target_exists_and_every_target_is_phony() -> None:
    declared = re.findall(r"^\.PHONY: (.+)$", MAKEFILE, re.M)
    phony = {name for line in declared for name in line.split()}
    assert phony == set(dict(TARGET.findall(MAKEFILE)))


def test_make_help_lists_every_target() -> None:
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    listed = re.findall(r"^  (\S+)\s+\S", plain, re.M)
    assert listed == list(dict(TARGET.findall(MAKEFILE)))


def test_the_stack_targets_call_commands_run_local_has() -> None:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    run_local = _load("run_local")
    called = re.findall(r"scripts/run_local\.py (\w+)", MAKEFILE)
    assert set(called) == {"up", "down", "status", "logs", "migrate", "seed"}
    assert set(called) <= set(run_local.COMMANDS)
    up = re.search(r"scripts/run_local\.py up (.*)$", MAKEFILE, re.M)
    assert up is not None
    flags = up.group(1).replace("$(RUN_MODE)", "auto").replace("$(SERVERS)", "auto")
    parsed = run_local.build_parser().parse_args(["up", *flags.split()])
    assert (parsed.mode, parsed.servers) == ("auto", "auto")


def test_every_script_the_makefile_runs_exists() -> None:
    scripts = re.findall(r"\b(scripts/[\w.-]+)", MAKEFILE)
    assert scripts
    for script in scripts:
        assert (ROOT / script).is_file(), script


def test_bench_runs_every_script_and_fails_when_one_fails(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    bench = _load("run_benchmarks")
    (tmp_path / "a_table.py").write_text("print('| model | wape |')\n")
    (tmp_path / "b_broken.py").write_text("raise SystemExit(3)\n")
    (tmp_path / "_helper.py").write_text("raise SystemExit('helpers are not benchmarks')\n")

    assert bench.main([], tmp_path) == 1
    out = capfd.readouterr().out
    assert "| model | wape |" in out
    assert re.search(r"a_table\s+ok", out)
    assert re.search(r"b_broken\s+exit 3", out)
    assert "_helper" not in out

    assert bench.main(["a_table"], tmp_path) == 0
    with pytest.raises(SystemExit, match="unknown benchmark"):
        bench.main(["nope"], tmp_path)
