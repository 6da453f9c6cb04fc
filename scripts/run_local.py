"""Run Season Planner on one machine: `make run`, `make down`, `make status`, `make logs`.

    python scripts/run_local.py up [--mode auto|docker|local] [--servers auto|private]
                                   [--timeout S] [--no-seed]
    python scripts/run_local.py down | status | migrate | seed | logs [SERVICE]

`up` uses Docker Compose when a Docker engine answers. Otherwise everything runs as local
processes. PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set (a private server is started
on the port they name if it is on 127.0.0.1 and nothing answers there); unset, the machine's
servers on the default ports when they answer, else private ones. A private server is started
from the installed binaries with its data under ./var/. Then the database is created if
missing, migrated and seeded with data/sample, and the five services start in the background
(logs in ./var/log/, pids in ./var/run/). It waits for each /ready while they make progress
(runstack.services.wait_ready: a log that grows, a /ready answer that changes, CPU used; at
most --timeout s), saying every 15 s what is still starting, and prints the console address
and the API keys at the end even when something is not ready.

Everything this script starts is recognisable from ./var alone (pid files checked against the
process's command line, data directories of its own), so `down` stops exactly that and never a
server the machine was already running, and `up` run twice starts nothing twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from runstack.compose import compose_command, compose_up, docker_engine_answers
from runstack.infra import (
    Configured,
    Infra,
    create_database_if_missing,
    ensure_infra,
    private_postgres_port,
    private_postgres_running,
    private_redis_pid,
    private_redis_port,
    stop_private_postgres,
    stop_private_redis,
)
from runstack.layout import ROOT, Layout, StackError
from runstack.processes import group_members, process_command
from runstack.services import (
    SERVICES,
    WAIT_CAP_SECONDS,
    configured_ports,
    probe_ready,
    running_services,
    start_services,
    stop_services,
    wait_ready,
)

from planner_shared.settings import READ_DOTENV, PlannerSettings

SAMPLE_DIR = "data/sample"
MIGRATE_CMD = ("-m", "planner_shared.db.migrate")
SEED_CMD = ("-m", "planner_shared.datasets.seed", "--dir", SAMPLE_DIR)


def run_python_step(args: Sequence[str], env: Mapping[str, str], what: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise StackError(
            f"{what} failed (exit {result.returncode}): {' '.join(args)}\n"
            f"{result.stdout}{result.stderr}"
        )
    print(f"  {what}: done in {seconds:.1f}s")
    for line in result.stdout.strip().splitlines()[-15:]:
        print(f"    {line}")


def base_env(infra_database_url: str, infra_redis_url: str) -> dict[str, str]:
    return dict(os.environ) | {"DATABASE_URL": infra_database_url, "REDIS_URL": infra_redis_url}


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def print_summary(
    mode: str,
    ports: Mapping[str, int],
    layout: Layout,
    infra: Infra | None,
    *,
    not_ready: str | None = None,
) -> None:
    from planner_gateway.settings import GatewaySettings

    gateway = f"127.0.0.1:{ports['gateway']}"
    if not_ready is None:
        print(f"\nSeason Planner is up ({mode}).")
    else:
        first = not_ready.splitlines()[0]
        print(
            f"\nSeason Planner is NOT fully up ({mode}): {first}\n"
            "  What started keeps running; `make status` shows each service, `make logs` why."
        )
    print(f"  Console      http://{gateway}/   (sign in with an API key below)")
    print(f"  API docs     http://{gateway}/docs")
    print(
        f"  WebSocket    ws://{gateway}/ws/workflows/{{workflow_id}}?token=<api key>"
        "  (&since=<event_id> resumes)"
    )
    if infra is not None:
        print(f"  PostgreSQL   {infra.database_url}  ({infra.postgres_origin})")
        print(f"  Redis        {infra.redis_url}  ({infra.redis_origin})")
        for name in SERVICES:
            print(
                f"  {name:<12} http://127.0.0.1:{ports[name]}/ready   log "
                f"{shown(layout.log_file(name))}"
            )
    else:
        print("  logs         make logs  (docker compose logs -f)")
    print("  API keys     (header `Authorization: Bearer <key>`)")
    for key, grant in GatewaySettings().api_keys.items():
        roles = ", ".join(sorted(role.value for role in grant.roles))
        print(f"               {key:<20} {roles}")
    print("  stop         make down")


def cmd_up(args: argparse.Namespace, layout: Layout) -> None:
    mode, reason = args.mode, f"RUN_MODE={args.mode}"
    if mode == "auto":
        if running_services(layout):
            # A Docker engine that answers now must not start a second stack beside this one.
            mode, reason = "local", "its services already run here"
        elif docker_engine_answers() and compose_command():
            mode, reason = "docker", "a Docker engine answers"
        else:
            mode, reason = "local", "no Docker engine answers"
    ports = configured_ports()
    gateway_port = published_gateway_port() if mode == "docker" else ports["gateway"]
    print(f"Season Planner console: http://127.0.0.1:{gateway_port}/ (starting the services)")
    if mode == "docker":
        compose = compose_command()
        if compose is None or not docker_engine_answers():
            raise StackError("--mode docker needs a Docker engine and Docker Compose")
        print(f"Starting with Docker Compose ({reason})")
        compose_up(compose, args.timeout + 240)  # image builds take their time
        layout.write_state(mode="docker")
        print_summary("Docker Compose", {**ports, "gateway": gateway_port}, layout, None)
        return

    print(f"Starting local processes ({reason})")
    layout.prepare()
    database, redis = configured_servers(layout)
    infra = ensure_infra(layout, database, redis, private=args.servers == "private")
    layout.write_state(mode="local", database_url=infra.database_url, redis_url=infra.redis_url)
    print(f"  PostgreSQL: {infra.database_url} ({infra.postgres_origin})")
    print(f"  Redis: {infra.redis_url} ({infra.redis_origin})")
    warn_if_redis_forgets(infra.redis_url)
    if asyncio.run(create_database_if_missing(infra.database_url)):
        print(f"  created database {urlsplit(infra.database_url).path.lstrip('/')}")
    env = base_env(infra.database_url, infra.redis_url)
    run_python_step(MIGRATE_CMD, env, "migrate")
    if not args.no_seed:
        run_python_step(SEED_CMD, env, f"seed from {SAMPLE_DIR}")
    started = start_services(layout, env, ports)
    print(
        f"  waiting for every /ready while the services make progress (at most "
        f"{args.timeout:.0f}s; the forecast service warms its model workers, which takes "
        "minutes on a busy machine)"
    )
    try:
        wait_ready(layout, started, ports, args.timeout)
    except StackError as exc:
        # Whatever is slow or failed, the newcomer still gets the address and the keys.
        print_summary("local processes", ports, layout, infra, not_ready=str(exc))
        raise
    print_summary("local processes", ports, layout, infra)


def published_gateway_port(root: Path = ROOT) -> int:
    """The gateway's port on the host under Docker Compose: the environment's, else .env's
    (Compose reads .env too), else 8000."""
    if value := os.environ.get("PLANNER_GATEWAY_PUBLISHED_PORT"):
        return int(value)
    dotenv = root / ".env"
    if os.environ.get(READ_DOTENV) != "0" and dotenv.is_file():
        found = dotenv_values(dotenv).get("PLANNER_GATEWAY_PUBLISHED_PORT")
        if found:
            return int(found)
    return 8000


def warn_if_redis_forgets(redis_url: str) -> None:
    """Say loudly when the Redis in use keeps nothing on disk: a restart of it empties the
    streams and the consumer groups (the private Redis `make run` starts has AOF on)."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=3)
        appendonly = client.config_get("appendonly").get("appendonly")
        save = client.config_get("save").get("save")
        client.close()
    except redis.RedisError as exc:
        print(f"  WARNING: could not tell whether this Redis persists its data ({exc})")
        return
    if appendonly != "yes" and not save:
        print(
            "\n  " + "!" * 76 + "\n"
            f"  WARNING: the Redis at {redis_url} keeps NOTHING on disk (appendonly no, no\n"
            "  save points). A restart of it loses every stream and consumer group: the\n"
            "  services recreate their groups and publish again the last 24 h of outbox\n"
            "  events (docs/bus.md, 'When Redis loses its data'), but progress messages and\n"
            "  dead letters are gone. For a Redis of its own with AOF on:\n"
            "  make down && make run SERVERS=private\n"
            "  " + "!" * 76 + "\n"
        )


def configured_servers(layout: Layout) -> tuple[Configured | None, Configured | None]:
    """DATABASE_URL and REDIS_URL if set (environment or .env), else the running stack's.

    Services already running keep the servers they were started with: a second `make run`
    reuses them rather than migrating and seeding a database the services do not use.
    """
    settings = PlannerSettings()
    state = layout.read_state() if running_services(layout) else {}
    found: list[Configured | None] = []
    for field, variable in (("database_url", "DATABASE_URL"), ("redis_url", "REDIS_URL")):
        running_with = state.get(field)
        if field in settings.model_fields_set:
            url = getattr(settings, field)
            if running_with is not None and url != running_with:
                raise StackError(
                    f"the running services use {variable}={running_with}, not {url}: "
                    "`make down` first to switch"
                )
            found.append(Configured(url, variable))
        elif running_with is not None:
            found.append(Configured(running_with, "as the running services"))
        else:
            found.append(None)
    return found[0], found[1]


def recorded_pids(layout: Layout) -> list[int]:
    """Every pid the services' pid files name, alive or not."""
    pids = []
    for name in SERVICES:
        try:
            pids.append(int(layout.pid_file(name).read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def stop_stragglers(pgids: Sequence[int]) -> int:
    """Kill what is left in the process groups of services already stopped (or killed -9):
    their pool workers, if they outlived them. Only processes running this checkout's
    Python count, so a pid reused by another program is never touched."""
    killed = 0
    for pgid in pgids:
        for pid in group_members(pgid):
            command = process_command(pid)
            if command is None or str(ROOT) not in command:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def cmd_down(args: argparse.Namespace, layout: Layout) -> None:
    state = layout.read_state()
    if state.get("mode") == "docker" and (compose := compose_command()):
        subprocess.run([*compose, "down"], cwd=ROOT, check=False)
    groups = recorded_pids(layout)
    stopped = stop_services(layout)
    if stragglers := stop_stragglers(groups):
        stopped.append(f"{stragglers} orphaned worker process(es)")
    if stop_private_redis(layout):
        stopped.append("private Redis")
    if stop_private_postgres(layout):
        stopped.append("private PostgreSQL")
    layout.state_file.unlink(missing_ok=True)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))


def cmd_status(args: argparse.Namespace, layout: Layout) -> None:
    """Each service's port, readiness and pid; exits 1 unless all five answer /ready."""
    state = layout.read_state()
    if state.get("mode") == "docker" and (compose := compose_command()):
        subprocess.run([*compose, "ps"], cwd=ROOT, check=False)
        return
    ports = configured_ports()
    running = running_services(layout)
    failing = 0
    for name in SERVICES:
        status, _ = probe_ready(ports[name])
        if status == 200:
            readiness = "ready"
        else:
            failing += 1
            readiness = "not answering" if status is None else f"not ready (HTTP {status})"
        where = f"pid {running[name]}" if name in running else "not started by make run"
        print(f"  {name:<11} :{ports[name]}  {readiness:<20} {where}")
    if state:
        print(f"  PostgreSQL  {state.get('database_url')}\n  Redis       {state.get('redis_url')}")
    if private_postgres_running(layout):
        print(f"  private PostgreSQL running (port {private_postgres_port(layout)})")
    if private_redis_pid(layout) is not None:
        print(f"  private Redis running (port {private_redis_port(layout)})")
    if not running:
        print("  nothing started by `make run` is running")
    if failing:
        raise SystemExit(1)


def configured_env(layout: Layout) -> dict[str, str]:
    """DATABASE_URL/REDIS_URL as configured, else those of the stack `make run` started."""
    settings = PlannerSettings()
    state = layout.read_state()
    database_url = settings.database_url
    redis_url = settings.redis_url
    if "database_url" not in settings.model_fields_set and "database_url" in state:
        database_url = state["database_url"]
    if "redis_url" not in settings.model_fields_set and "redis_url" in state:
        redis_url = state["redis_url"]
    return base_env(database_url, redis_url)


def cmd_migrate(args: argparse.Namespace, layout: Layout) -> None:
    if layout.read_state().get("mode") == "docker" and (compose := compose_command()):
        raise SystemExit(subprocess.run([*compose, "run", "--rm", "migrate"], cwd=ROOT).returncode)
    env = configured_env(layout)
    asyncio.run(create_database_if_missing(env["DATABASE_URL"]))
    run_python_step(MIGRATE_CMD, env, f"migrate {env['DATABASE_URL']}")


def cmd_seed(args: argparse.Namespace, layout: Layout) -> None:
    if layout.read_state().get("mode") == "docker" and (compose := compose_command()):
        raise SystemExit(subprocess.run([*compose, "run", "--rm", "seed"], cwd=ROOT).returncode)
    env = configured_env(layout)
    run_python_step(SEED_CMD, env, f"seed {env['DATABASE_URL']} from {SAMPLE_DIR}")


def cmd_logs(args: argparse.Namespace, layout: Layout) -> None:
    names = [args.service] if args.service else list(SERVICES)
    if layout.read_state().get("mode") == "docker" and (compose := compose_command()):
        os.execvp(compose[0], [*compose, "logs", "-f", "--tail", "50", *names])
    files = [str(layout.log_file(name)) for name in names if layout.log_file(name).exists()]
    if not files:
        raise StackError(f"no logs under {layout.log_dir}: start the services with `make run`")
    os.execvp("tail", ["tail", "-n", "20", "-F", *files])


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "status": cmd_status,
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "logs": cmd_logs,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start everything")
    up.add_argument("--mode", choices=("auto", "docker", "local"), default="auto")
    up.add_argument(
        "--timeout",
        type=float,
        default=WAIT_CAP_SECONDS,
        help="at most this many seconds for every /ready (a stall ends the wait sooner)",
    )
    up.add_argument("--no-seed", action="store_true", help="skip loading the sample data")
    up.add_argument(
        "--servers",
        choices=("auto", "private"),
        default="auto",
        help="private: start PostgreSQL and Redis under the var dir even if the machine has some",
    )
    for name in ("down", "status", "migrate", "seed"):
        sub.add_parser(name)
    logs = sub.add_parser("logs")
    logs.add_argument("service", nargs="?", choices=SERVICES)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.chdir(ROOT)  # settings read ./.env relative to the working directory
    try:
        COMMANDS[args.command](args, Layout(args.var_dir.resolve()))
    except StackError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        if args.command == "up":
            print("`make down` stops whatever was started.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
