"""PostgreSQL and Redis for a local stack: the configured ones, the machine's, or private ones.

A private server lives under var/ (var/postgres, var/redis) and records its own port in its
configuration file, so a later run finds it again and `down` stops it; a server the machine
was already running is only ever used, never started or stopped. A DATABASE_URL or REDIS_URL
naming a loopback port where nothing answers gets a private server on exactly that port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from planner_tools.testing.servers import port_open
from runstack.layout import Layout, StackError
from runstack.processes import owned_pid, preferred_port, stop_pid, wait_for_port

DATABASE_NAME = "season_planner"
MACHINE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
SUPERUSER = "postgres"
# Where a private server can stand in for a configured one: it listens on 127.0.0.1 only.
PRIVATE_HOSTS = ("127.0.0.1", "localhost")
POSTGRES_PORT_LINE = r"^port = (\d+)  # planner$"
REDIS_PORT_LINE = r"^port (\d+)$"


def _pg_bin(name: str) -> str:
    # Debian keeps the server binaries out of PATH, under the versioned directory.
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    if found := shutil.which(name):
        return found
    raise StackError(f"PostgreSQL's {name} not found: run `make install` (package postgresql)")


def _as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root; the postgres system user owns the cluster.
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StackError("running as root but there is no `postgres` system user") from exc
    return ["runuser", "-u", "postgres", "--"]


def _refuse_unreachable_data_dir(data: Path) -> None:
    # Running as root, the cluster belongs to the postgres system user, which must be able to
    # walk down to it; a checkout under /root (mode 0700) is the usual way this fails.
    for parent in data.parents:
        if parent.exists() and not parent.stat().st_mode & stat.S_IXOTH:
            raise StackError(
                f"{parent} is closed to other users (mode {parent.stat().st_mode & 0o777:o}), "
                f"so the postgres system user cannot reach {data}: run from a checkout outside "
                "it, or point DATABASE_URL at a running server"
            )


def _conf_port(conf: Path, pattern: str) -> int | None:
    with contextlib.suppress(OSError):
        found = re.findall(pattern, conf.read_text(), flags=re.MULTILINE)
        if found:
            return int(found[-1])
    return None


def _move_conf_port(conf: Path, pattern: str, line: str, what: str, port: int) -> None:
    """Point a stopped private server at another port (the one a configured URL names)."""
    text = conf.read_text()
    moved, count = re.subn(pattern, line, text, flags=re.MULTILINE)
    if count == 0:
        raise StackError(f"{conf} does not name the port this script set")
    conf.write_text(moved)
    print(f"  the private {what} moves to port {port}, the one configured")


def _refuse_foreign_listener(port: int, what: str) -> None:
    # Waiting for the port would otherwise succeed on someone else's server.
    if port_open("127.0.0.1", port):
        raise StackError(
            f"port {port}, the private {what}'s, is taken by a process this script did not "
            f"start: stop it, or remove the private {what}'s directory under var/ for a new port"
        )


def _run(cmd: Sequence[str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def private_postgres_port(layout: Layout) -> int | None:
    return _conf_port(layout.postgres_dir / "postgresql.conf", POSTGRES_PORT_LINE)


def private_postgres_running(layout: Layout) -> bool:
    if not (layout.postgres_dir / "PG_VERSION").exists():
        return False
    cmd = [*_as_postgres_user(), _pg_bin("pg_ctl"), "-D", str(layout.postgres_dir), "status"]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def start_private_postgres(layout: Layout, port: int | None = None) -> str:
    """Start (creating on first use) the cluster under var/postgres; return its server URL.

    `port` is where it must listen (a configured DATABASE_URL's); None keeps the port it has,
    or on first use takes 5432 when free, else any free one.
    """
    data = layout.postgres_dir
    run_as = _as_postgres_user()
    log = layout.log_file("postgres")
    if not (data / "PG_VERSION").exists():
        chosen = port or preferred_port(5432)
        if run_as:
            _refuse_unreachable_data_dir(data)
        data.mkdir(mode=0o700, exist_ok=True)
        if run_as:
            shutil.chown(data, user="postgres", group="postgres")
        print(f"  initialising a private PostgreSQL cluster in {data} (port {chosen})")
        _run(
            [
                *run_as,
                _pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            "initdb",
        )
        with (data / "postgresql.conf").open("a") as conf:
            # The cluster remembers its own port and socket, so later runs find it again.
            conf.write(
                f"port = {chosen}  # planner\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{data}'\n"
            )
    current = private_postgres_port(layout)
    if current is None:
        raise StackError(f"{data}/postgresql.conf does not name the port this script set")
    running = private_postgres_running(layout)
    if port is not None and port != current:
        if running:
            raise StackError(
                f"the private PostgreSQL in {data} runs on port {current}, not {port}: "
                f"`make down` first, or point DATABASE_URL at port {current}"
            )
        _move_conf_port(
            data / "postgresql.conf",
            POSTGRES_PORT_LINE,
            f"port = {port}  # planner",
            "PostgreSQL",
            port,
        )
        current = port
    port = current
    if not running:
        _refuse_foreign_listener(port, "PostgreSQL")
        log.touch()
        if run_as:
            shutil.chown(log, user="postgres")
        print(f"  starting the private PostgreSQL on 127.0.0.1:{port}")
        _run(
            [*run_as, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start"],
            f"starting PostgreSQL (log: {log})",
        )
    wait_for_port(port, "PostgreSQL", log)
    return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{port}"


def stop_private_postgres(layout: Layout) -> bool:
    if not private_postgres_running(layout):
        return False
    _run(
        [
            *_as_postgres_user(),
            _pg_bin("pg_ctl"),
            "-D",
            str(layout.postgres_dir),
            "-m",
            "fast",
            "-w",
            "stop",
        ],
        "stopping PostgreSQL",
    )
    return True


def private_redis_port(layout: Layout) -> int | None:
    return _conf_port(layout.redis_dir / "redis.conf", REDIS_PORT_LINE)


def private_redis_pid(layout: Layout) -> int | None:
    return owned_pid(layout.pid_file("redis"), "redis-server")


def start_private_redis(layout: Layout, port: int | None = None) -> str:
    """Start (configuring on first use) the Redis under var/redis; return its server URL.

    `port` as for start_private_postgres: a configured REDIS_URL's, else the one it has.
    """
    conf = layout.redis_dir / "redis.conf"
    if not conf.exists():
        layout.redis_dir.mkdir(exist_ok=True)
        chosen = port or preferred_port(6379)
        # Append-only persistence: the streams are the bus, a restart must not lose events.
        conf.write_text(
            f"port {chosen}\n"
            "bind 127.0.0.1\n"
            f"dir {layout.redis_dir}\n"
            "appendonly yes\n"
            'save ""\n'
            "daemonize yes\n"
            f"pidfile {layout.pid_file('redis')}\n"
            f"logfile {layout.log_file('redis')}\n"
        )
    current = private_redis_port(layout)
    if current is None:
        raise StackError(f"{conf} does not name a port")
    running = private_redis_pid(layout) is not None
    if port is not None and port != current:
        if running:
            raise StackError(
                f"the private Redis in {layout.redis_dir} runs on port {current}, not {port}: "
                f"`make down` first, or point REDIS_URL at port {current}"
            )
        _move_conf_port(conf, REDIS_PORT_LINE, f"port {port}", "Redis", port)
        current = port
    port = current
    if not running:
        _refuse_foreign_listener(port, "Redis")
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError("redis-server not found: run `make install` (package redis-server)")
        print(f"  starting the private Redis on 127.0.0.1:{port}")
        _run([binary, str(conf)], "starting redis-server")
    wait_for_port(port, "Redis", layout.log_file("redis"))
    return f"redis://127.0.0.1:{port}"


def stop_private_redis(layout: Layout) -> bool:
    pid = private_redis_pid(layout)
    if pid is None:
        return False
    stop_pid(pid, "redis-server", group=False)
    return True


@dataclass(frozen=True)
class Infra:
    database_url: str
    redis_url: str
    postgres_origin: str
    redis_origin: str


@dataclass(frozen=True)
class Configured:
    """A URL the operator set, and where it came from (for the summary)."""

    url: str
    origin: str


def _with_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _unanswered_loopback_port(url: str, default: int, what: str) -> int | None:
    """The port of a loopback URL where nothing answers (a private server may take it)."""
    parts = urlsplit(url)
    port = parts.port or default
    if port_open(parts.hostname or "127.0.0.1", port):
        return None
    if parts.hostname not in PRIVATE_HOSTS:
        raise StackError(f"{what} names {parts.hostname}:{port} but nothing answers there")
    return port


def _is_private_postgres(layout: Layout, url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.hostname in PRIVATE_HOSTS
        and (parts.port or 5432) == private_postgres_port(layout)
        and private_postgres_running(layout)
    )


def _is_private_redis(layout: Layout, url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.hostname in PRIVATE_HOSTS
        and (parts.port or 6379) == private_redis_port(layout)
        and private_redis_pid(layout) is not None
    )


def _postgres(layout: Layout, configured: Configured | None, private: bool) -> tuple[str, str]:
    where = f"private, data in {layout.postgres_dir}"
    if configured is not None:
        port = _unanswered_loopback_port(configured.url, 5432, "DATABASE_URL")
        if port is None:
            if _is_private_postgres(layout, configured.url):
                return configured.url, f"{configured.origin}; {where}"
            return configured.url, configured.origin
        server = start_private_postgres(layout, port)
        user = urlsplit(configured.url).username or SUPERUSER
        asyncio.run(_ensure_role(server, user))
        return configured.url, f"{configured.origin}; {where}"
    if not private and port_open("127.0.0.1", 5432) and asyncio.run(_can_log_in(MACHINE_POSTGRES)):
        return _with_database(MACHINE_POSTGRES, DATABASE_NAME), "the machine's server"
    return _with_database(start_private_postgres(layout), DATABASE_NAME), where


def _redis(layout: Layout, configured: Configured | None, private: bool) -> tuple[str, str]:
    where = f"private, data in {layout.redis_dir}"
    if configured is not None:
        port = _unanswered_loopback_port(configured.url, 6379, "REDIS_URL")
        if port is None:
            if _is_private_redis(layout, configured.url):
                return configured.url, f"{configured.origin}; {where}"
            return configured.url, configured.origin
        start_private_redis(layout, port)
        return configured.url, f"{configured.origin}; {where}"
    if not private and port_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", "the machine's server"
    return start_private_redis(layout) + "/0", where


def ensure_infra(
    layout: Layout,
    database: Configured | None,
    redis: Configured | None,
    *,
    private: bool = False,
) -> Infra:
    """PostgreSQL and Redis: the configured ones, the machine's, or private ones we start.

    A configured URL is used as it is; when it names a loopback port where nothing answers,
    a private server is started on that port. Unconfigured: the machine's server on the
    default port when it answers, else the private one under var/ (created on first use).
    `private` skips the machine's servers, for a stack isolated from whatever else runs.
    """
    database_url, pg_origin = _postgres(layout, database, private)
    redis_url, redis_origin = _redis(layout, redis, private)
    return Infra(database_url, redis_url, pg_origin, redis_origin)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _can_log_in(server_url: str) -> bool:
    # A freshly installed Debian cluster answers on 5432 but wants a password over TCP;
    # then a private cluster is the way to run without touching the machine's configuration.
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(server_url) + "/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"  PostgreSQL on 127.0.0.1:5432 answers but refuses us ({exc}): using our own")
        return False
    await conn.close()
    return True


async def _ensure_role(server_url: str, user: str) -> None:
    # The private cluster's superuser is `postgres`; a DATABASE_URL naming another user gets
    # that role (superuser: it is a development cluster with trust authentication anyway).
    if user == SUPERUSER:
        return
    if not re.fullmatch(r"[A-Za-z0-9_]+", user):
        raise StackError(f"unexpected user name {user!r} in DATABASE_URL")
    conn = await asyncpg.connect(_asyncpg_dsn(server_url) + "/postgres", timeout=10)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user):
            await conn.execute(f'CREATE ROLE "{user}" LOGIN SUPERUSER')
    finally:
        await conn.close()


async def create_database_if_missing(database_url: str) -> bool:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise StackError(f"unexpected database name {name!r} in DATABASE_URL")
    admin = _asyncpg_dsn(urlunsplit(parts._replace(path="/postgres")))
    try:
        conn = await asyncpg.connect(admin, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StackError(f"cannot connect to PostgreSQL at {parts.netloc}: {exc}") from exc
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()
