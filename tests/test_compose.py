"""docker-compose.yml and the Dockerfile describe what is really in the repository.

No Docker engine is needed: the files are parsed and every name, command, port and dependency
they state is checked against the workspace.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import re
import shlex
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
INFRA = ("redis", "postgres")
ONE_SHOTS = ("migrate", "seed")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


COMPOSE = _compose()
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _member_names() -> dict[str, Path]:
    """Workspace member package name -> its directory."""
    members = {}
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    for pyproject in (p for m in workspace["members"] for p in ROOT.glob(f"{m}/pyproject.toml")):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        members[name] = pyproject.parent
    return members


def _settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"planner_{name}.settings")
    cls: type[ServiceSettings] = getattr(module, f"{name.capitalize()}Settings")
    return cls


def _module_in_workspace(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"module {module} does not exist"
    assert spec.origin is not None, f"module {module} has no file"
    origin = Path(spec.origin).resolve()
    assert origin.is_relative_to(ROOT), f"{module} resolves outside the workspace: {origin}"
    return origin


def test_compose_runs_the_infrastructure_the_one_shots_and_the_five_services() -> None:
    assert set(SERVICES) == {*INFRA, *ONE_SHOTS, *APP_SERVICES}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_is_a_workspace_member_with_an_entry_point(name: str) -> None:
    service = SERVICES[name]
    package = service["build"]["args"]["PACKAGE"]
    members = _member_names()
    assert package == f"planner-{name}"
    assert members[package] == ROOT / "services" / name
    assert (ROOT / "services" / name / "src" / f"planner_{name}" / "__main__.py").is_file()
    assert service["command"] == ["python", "-m", f"planner_{name}"]
    _module_in_workspace(f"planner_{name}.__main__")


@pytest.mark.parametrize("name", [*ONE_SHOTS, *APP_SERVICES])
def test_every_command_is_a_real_module_with_real_paths(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[:2] == ["python", "-m"], command
    _module_in_workspace(command[2])
    args = command[3:]
    for flag, value in itertools.pairwise(args):
        if flag == "--dir":
            assert (ROOT / value).is_dir(), f"{name} reads {value}, which is not in the repo"
            top = value.split("/")[0]
            assert re.search(rf"^COPY {top}/ ", DOCKERFILE, re.MULTILINE), f"{top}/ not in image"


@pytest.mark.parametrize("name", [*ONE_SHOTS, *APP_SERVICES])
def test_every_workspace_image_is_built_from_the_one_dockerfile(name: str) -> None:
    build = SERVICES[name]["build"]
    assert build["context"] == "."
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert build["args"]["PACKAGE"] in _member_names()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_is_healthy_only_when_its_ready_endpoint_answers(name: str) -> None:
    service = SERVICES[name]
    port = _settings_class(name)().port
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    compile(code, f"{name}-healthcheck", "exec")
    assert f"http://127.0.0.1:{port}/ready" in code
    assert service["environment"][f"PLANNER_{name.upper()}_PORT"] == str(port)
    assert service["environment"]["PLANNER_HOST"] == "0.0.0.0"


def test_redis_and_postgres_have_their_own_healthchecks() -> None:
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    pg_test = SERVICES["postgres"]["healthcheck"]["test"]
    assert pg_test[:2] == ["CMD", "pg_isready"]
    user = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    database = SERVICES["postgres"]["environment"]["POSTGRES_DB"]
    assert shlex.join(pg_test[2:]) == f"-U {user} -d {database}"


def test_services_reach_the_compose_postgres_and_redis() -> None:
    pg = SERVICES["postgres"]["environment"]
    expected = (
        f"postgresql+asyncpg://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{pg['POSTGRES_DB']}"
    )
    for name in (*ONE_SHOTS, *APP_SERVICES):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"] == expected, name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_services_wait_for_healthy_infrastructure_and_finished_migrations(name: str) -> None:
    conditions = {dep: spec["condition"] for dep, spec in SERVICES[name]["depends_on"].items()}
    assert conditions == {
        "redis": "service_healthy",
        "postgres": "service_healthy",
        "migrate": "service_completed_successfully",
        "seed": "service_completed_successfully",
    }


def test_seed_runs_after_migrate_which_runs_after_the_infrastructure() -> None:
    migrate = {d: s["condition"] for d, s in SERVICES["migrate"]["depends_on"].items()}
    seed = {d: s["condition"] for d, s in SERVICES["seed"]["depends_on"].items()}
    assert migrate == {"redis": "service_healthy", "postgres": "service_healthy"}
    assert seed == migrate | {"migrate": "service_completed_successfully"}
    for name in ONE_SHOTS:
        assert SERVICES[name]["restart"] == "no"


def test_only_the_gateway_is_published_on_8000() -> None:
    published = {name: s["ports"] for name, s in SERVICES.items() if "ports" in s}
    assert list(published) == ["gateway"]
    (mapping,) = published["gateway"]
    host, container = mapping.rsplit(":", 1)
    assert container == "8000"
    assert host.endswith(":-8000}") or host == "8000", "the host side defaults to 8000"


def test_dockerfile_installs_one_member_from_the_lock_file() -> None:
    assert re.search(r"^ARG PACKAGE=", DOCKERFILE, re.MULTILINE)
    syncs = re.findall(r"^\s+uv sync (.+)$", DOCKERFILE, re.MULTILINE)
    assert syncs, "the Dockerfile never runs uv sync"
    for flags in syncs:
        assert "--frozen" in flags
        assert '--package "${PACKAGE}"' in flags
        assert "--no-dev" in flags
    assert re.search(r"^COPY pyproject\.toml uv\.lock \./$", DOCKERFILE, re.MULTILINE)


def test_dockerfile_copies_every_members_metadata_before_the_dependency_layer() -> None:
    copied = set(re.findall(r"^COPY (\S+/pyproject\.toml) ", DOCKERFILE, re.MULTILINE))
    members = {str(path.relative_to(ROOT) / "pyproject.toml") for path in _member_names().values()}
    assert copied == members


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", ".env"} <= ignored
    assert "data" not in ignored
    assert "shared" not in ignored
    assert "services" not in ignored


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked_closure(member: str) -> set[str]:
    """Distributions `uv sync --frozen --no-dev --package <member>` installs, from uv.lock."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {_norm(p["name"]): p for p in lock["package"]}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(member, ())]
    while stack:
        name, extras = stack.pop()
        key = (_norm(name), tuple(sorted(extras)))
        if key in seen:
            continue
        seen.add(key)
        package = packages[key[0]]
        deps = list(package.get("dependencies", []))
        for extra in extras:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        stack += [(dep["name"], tuple(dep.get("extra", []))) for dep in deps]
    return {name for name, _ in seen}


def _top_level_imports(source: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    "package", sorted({s["build"]["args"]["PACKAGE"] for s in SERVICES.values() if "build" in s})
)
def test_each_image_installs_every_package_its_code_imports(package: str) -> None:
    # The images install one member with `uv sync --package`, not the whole workspace: an
    # import served here only because another member pulled the package in would fail there.
    source = _member_names()[package] / "src" / package.replace("-", "_")
    installed = _locked_closure(package)
    distributions = packages_distributions()
    missing = {}
    for path in source.rglob("*.py"):
        for module in _top_level_imports(path):
            if module in sys.stdlib_module_names or module.startswith("planner_"):
                continue
            if not {_norm(d) for d in distributions.get(module, [module])} & installed:
                missing[module] = str(path.relative_to(ROOT))
    assert not missing, f"{package}'s image lacks what these import: {missing}"
    assert _norm(package) in installed


def test_the_image_python_satisfies_requires_python() -> None:
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+)\.(\d+)-", DOCKERFILE, re.MULTILINE)
    assert image is not None, "the Dockerfile names no python:X.Y base image"
    version = (int(image.group(1)), int(image.group(2)))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=(\d+)\.(\d+)", requires)
    high = re.search(r"<(\d+)\.(\d+)", requires)
    assert low is not None
    assert high is not None
    assert (
        (int(low.group(1)), int(low.group(2))) <= version < (int(high.group(1)), int(high.group(2)))
    )


@pytest.mark.parametrize(
    "package", sorted({s["build"]["args"]["PACKAGE"] for s in SERVICES.values() if "build" in s})
)
def test_no_image_installs_the_development_members(package: str) -> None:
    # Test support, the data generator and the Python client are dev dependencies only.
    installed = _locked_closure(package)
    assert not installed & {"planner-tools", "planner-client"}, package
