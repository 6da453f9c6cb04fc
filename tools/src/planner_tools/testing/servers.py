"""Find or start real PostgreSQL and Redis servers on loopback for tests and `make run`.

Order of preference: the URL in the environment; the default local port when a server
answers there; a Docker engine through testcontainers; otherwise a private server process
started from the installed binaries on a free port (and stopped at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlparse


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    return result.returncode == 0


def _wait_for_port(port: int, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start listening on port {port} within {timeout}s")


@dataclass(frozen=True)
class Servers:
    postgres_url: str  # server-level URL, without a database name
    redis_url: str


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found and "/usr/local/bin" not in found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    if found:
        return found
    raise RuntimeError(f"PostgreSQL binary {name!r} not found: install postgresql")


def _start_local_postgres() -> str:
    data_dir = tempfile.mkdtemp(prefix="planner-pg-")
    port = free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; the postgres system user owns the cluster.
        shutil.chown(data_dir, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            _pg_bin("initdb"),
            "-D",
            data_dir,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            _pg_bin("pg_ctl"),
            "-D",
            data_dir,
            "-l",
            f"{data_dir}/log",
            "-w",
            "-o",
            f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    atexit.register(
        subprocess.run,
        [*run_as, _pg_bin("pg_ctl"), "-D", data_dir, "-m", "immediate", "stop"],
        capture_output=True,
        check=False,
    )
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}"


def _start_local_redis() -> str:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: install redis-server")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    _wait_for_port(port, "redis-server")
    return f"redis://127.0.0.1:{port}"


def _server_url(database_url: str) -> str:
    parsed = urlparse(database_url)
    return f"{parsed.scheme}://{parsed.netloc}"


def find_or_start_postgres() -> str:
    if url := os.environ.get("DATABASE_URL"):
        return _server_url(url)
    if port_open("127.0.0.1", 5432):
        return "postgresql+asyncpg://postgres@127.0.0.1:5432"
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver="asyncpg")
        container.start()
        atexit.register(container.stop)
        return _server_url(container.get_connection_url())
    return _start_local_postgres()


def find_or_start_redis() -> str:
    if url := os.environ.get("REDIS_URL"):
        return url.rsplit("/", 1)[0] if urlparse(url).path not in ("", "/") else url
    if port_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379"
    if _docker_available():
        from testcontainers.redis import RedisContainer

        container = RedisContainer("redis:7-alpine")
        container.start()
        atexit.register(container.stop)
        host = container.get_container_host_ip()
        return f"redis://{host}:{container.get_exposed_port(6379)}"
    return _start_local_redis()
