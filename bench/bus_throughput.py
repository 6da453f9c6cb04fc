"""Durable bus throughput, and WebSocket fan-out latency of one gateway to 200 clients.

    .venv/bin/python bench/bus_throughput.py [--events N] [--clients C] [--fanout-events E]

Everything runs on a database and a stream prefix of its own (bench/_stack.py: a fresh
database, migrated; streams deleted and database dropped at the end), on the PostgreSQL and
Redis that DATABASE_URL / REDIS_URL name, so the stack of `make run` is never touched.

Bus. The publisher is `planner_shared.bus` (EventPublisher: XADD through FastStream) in this
process. The subscribers are `python -m planner_tools.testing.bus_probe` processes: a real
service runtime with one DurableConsumer in consumer group `bus-test`. Its handler is
idempotent the way every service's is: per message it checks `processed_events`, writes its
effect (a workflow_transitions row) and stages a follow-up event in the outbox, and records
the event as processed, all in one transaction, then acks; the outbox relay publishes the
follow-up (which the probe reads and ignores). Measured:

- publish: N `agent.progress` events, one awaited XADD after another, and 50 in flight;
- drain: a backlog of N events handled by 1, then 2 subscriber processes (same group),
  from the first effect to the last (process start-up excluded);
- live + duplicates: 2 subscribers running while N events are published twice each; the
  rate counts unique events, and the run fails unless exactly N effects exist, none twice.

Beside each rate, the subscribers' CPU time per event (user + system, from /proc): on a shared
machine the rate depends on what else runs, the CPU cost much less.

Fan-out. One gateway process (`python -m planner_gateway`, its stream reader stores every
event in workflow_events, then queues it to each connection); C WebSocket clients in this
process follow one workflow. Events for that workflow are published to the bus and the
latency is publish -> receive per client (monotonic clock of this process; the clients' own
receive loop is part of it). Paced: one event every 50 ms. Burst: all events at once. The
gateway's CPU time per delivered message is shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
from _stack import private_stack
from websockets.asyncio.client import ClientConnection, connect

from planner_shared.events import AgentProgress, AgentProgressPayload
from planner_shared.runtime import Runtime, open_runtime
from planner_shared.settings import ServiceSettings
from planner_tools.testing.stack import Stack

# FastStream's Redis pool holds 100 connections, shared with the outbox relay.
IN_FLIGHT = 50
POLL_SECONDS = 0.02
DRAIN_TIMEOUT = 120.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def service_settings(stack: Stack) -> ServiceSettings:
    return ServiceSettings(
        _env_file=None,  # the benchmark's publisher, like its services, ignores `.env`
        database_url=stack.database_url,
        redis_url=stack.redis_url,
        stream_prefix=stack.stream_prefix,
        log_json=False,
        log_level="WARNING",
    )


async def new_workflow(db: asyncpg.Connection) -> UUID:
    workflow_id = uuid4()
    await db.execute(
        "INSERT INTO workflows (id, state, created_by, context) "
        "VALUES ($1, 'created', 'bench', '{}')",
        workflow_id,
    )
    return workflow_id


def progress(workflow_id: UUID, text: str) -> AgentProgress:
    return AgentProgress(
        workflow_id=workflow_id,
        producer="bench",
        payload=AgentProgressPayload(agent="demand", message=text),
    )


# ---------------------------------------------------------------- bus
class Subscribers:
    """bus_probe processes started by this benchmark, stopped by their own handles."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self, *names: str) -> None:
        for name in names:
            with (self._stack.log_dir / f"probe-{name}.log").open("ab") as log:
                self._processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "planner_tools.testing.bus_probe", name],
                        cwd=self._stack.log_dir,  # as the services: no `.env` there
                        env=self._stack.env | {"PLANNER_LOG_LEVEL": "WARNING"},
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self._processes if p.poll() is None)

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._processes = []


async def effects(db: asyncpg.Connection, workflow_id: UUID) -> tuple[int, int]:
    """(effect rows, distinct events with an effect) of one workflow."""
    row = await db.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d "
        "FROM workflow_transitions WHERE workflow_id = $1",
        workflow_id,
    )
    assert row is not None
    return int(row["n"]), int(row["d"])


@dataclass(frozen=True)
class Drain:
    events_per_second: float
    cpu_ms_per_event: float  # the subscribers' CPU, from the first effect to the last


async def drain(
    db: asyncpg.Connection, workflow_id: UUID, expected: int, cpu: Callable[[], float]
) -> Drain:
    """How fast `expected` effects appear, from the first one seen (start-up excluded)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    first: tuple[float, int, float] | None = None
    while True:
        count, _ = await effects(db, workflow_id)
        now = time.monotonic()
        if first is None and count > 0:
            first = (now, count, cpu())
        if count >= expected and first is not None:
            handled = count - first[1]
            elapsed = now - first[0]
            return Drain(
                handled / elapsed if elapsed > 0 else float("inf"),
                (cpu() - first[2]) * 1000 / handled if handled else float("nan"),
            )
        if now > deadline:
            raise RuntimeError(f"only {count} of {expected} events handled in {DRAIN_TIMEOUT}s")
        await asyncio.sleep(POLL_SECONDS)


def drained(d: Drain) -> str:
    return f"{d.events_per_second:,.0f} events/s, {d.cpu_ms_per_event:.1f} ms CPU/event"


async def publish_all(runtime: Runtime, events: list[AgentProgress], in_flight: int) -> float:
    """Seconds to publish `events` with at most `in_flight` XADDs outstanding."""
    started = time.perf_counter()
    for i in range(0, len(events), in_flight):
        await asyncio.gather(*(runtime.publisher.publish(e) for e in events[i : i + in_flight]))
    return time.perf_counter() - started


async def bench_bus(stack: Stack, n: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    subscribers = Subscribers(stack)
    db = await asyncpg.connect(plain(stack.database_url))
    try:
        async with open_runtime("bench-publisher", service_settings(stack)) as runtime:
            # Publish, nobody consuming yet: the backlog the first drain works through.
            first = await new_workflow(db)
            events = [progress(first, "ok") for _ in range(n)]
            seconds = await publish_all(runtime, events, 1)
            rows.append(("publish, 1 in flight", f"{n / seconds:,.0f} events/s"))
            second = await new_workflow(db)
            events = [progress(second, "ok") for _ in range(n)]
            seconds = await publish_all(runtime, events, IN_FLIGHT)
            rows.append((f"publish, {IN_FLIGHT} in flight", f"{n / seconds:,.0f} events/s"))

            # Both backlogs are on the stream: one subscriber drains them.
            subscribers.start("c1")
            result = await drain(db, first, n, subscribers.cpu)
            await drain(db, second, n, subscribers.cpu)
            rows.append(("drain backlog, 1 subscriber", drained(result)))
            subscribers.stop()

            third = await new_workflow(db)
            await publish_all(runtime, [progress(third, "ok") for _ in range(n)], IN_FLIGHT)
            subscribers.start("c1", "c2")
            result = await drain(db, third, n, subscribers.cpu)
            rows.append(("drain backlog, 2 subscribers", drained(result)))

            # Live, with every event delivered twice: idempotency must hold under load.
            fourth = await new_workflow(db)
            unique = [progress(fourth, "ok") for _ in range(n)]
            started, cpu_before = time.perf_counter(), subscribers.cpu()
            await publish_all(runtime, [e for e in unique for _ in range(2)], IN_FLIGHT)
            await drain(db, fourth, n, subscribers.cpu)
            seconds = time.perf_counter() - started
            cpu_ms = (subscribers.cpu() - cpu_before) * 1000 / n
            await asyncio.sleep(1.0)  # let any late duplicate show itself
            count, distinct = await effects(db, fourth)
            if count != n or distinct != n:
                raise RuntimeError(f"idempotency broken: {count} effects for {n} events")
            rows.append(
                (
                    "live publish->handled, 2 subscribers, x2 dup",
                    f"{n / seconds:,.0f} events/s, {cpu_ms:.1f} ms CPU/event "
                    f"({2 * n:,} deliveries, {count:,} effects)",
                )
            )
    finally:
        subscribers.stop()
        await db.close()
    return rows


# ---------------------------------------------------------------- fan-out
class Phase:
    """What the clients record into: publish times in, receive latencies out."""

    def __init__(self, expected: int) -> None:
        self.sent: dict[int, float] = {}
        self.expected = expected
        self.received = 0
        self.done = asyncio.Event()


class Client:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.latencies: dict[int, float] = {}
        self.phase: Phase | None = None

    async def run(self) -> None:
        async for raw in self.socket:
            received = time.monotonic()
            message = json.loads(raw)
            if message.get("type") == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            text = str(message.get("message") or "")
            phase = self.phase
            if phase is None or not text.startswith("fanout:"):
                continue
            seq = int(text.split(":", 1)[1])
            self.latencies[seq] = received - phase.sent[seq]
            phase.received += 1
            if phase.received >= phase.expected:
                phase.done.set()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def connect_clients(url: str, count: int) -> list[Client]:
    clients: list[Client] = []
    for i in range(0, count, 20):  # batches: each handshake reads the workflow from the DB
        sockets = await asyncio.gather(
            *(connect(url, open_timeout=30) for _ in range(min(20, count - i)))
        )
        clients.extend(Client(s) for s in sockets)
    return clients


async def fanout_phase(
    runtime: Runtime,
    workflow_id: UUID,
    clients: list[Client],
    first_seq: int,
    events: int,
    pace: float | None,
) -> tuple[list[float], list[float], float]:
    """(per delivery latencies, per event time to the last client, seconds for all)."""
    phase = Phase(events * len(clients))
    for client in clients:
        client.phase = phase
    started = time.monotonic()
    publishes: list[Awaitable[None]] = []
    for seq in range(first_seq, first_seq + events):
        event = progress(workflow_id, f"fanout:{seq}")
        phase.sent[seq] = time.monotonic()
        if pace is None:
            publishes.append(runtime.publisher.publish(event))
        else:
            await runtime.publisher.publish(event)
            await asyncio.sleep(pace)
    await asyncio.gather(*publishes)
    await asyncio.wait_for(phase.done.wait(), 60)
    total = time.monotonic() - started
    seqs = range(first_seq, first_seq + events)
    per_delivery = [c.latencies[s] for c in clients for s in seqs]
    per_event = [max(c.latencies[s] for c in clients) for s in seqs]
    return per_delivery, per_event, total


async def bench_fanout(stack: Stack, clients_count: int, events: int) -> list[tuple[str, ...]]:
    db = await asyncpg.connect(plain(stack.database_url))
    try:
        workflow_id = await new_workflow(db)
    finally:
        await db.close()
    gateway = stack["gateway"]
    assert gateway.process is not None
    url = f"ws://127.0.0.1:{gateway.port}/ws/workflows/{workflow_id}?token=dev-planner-key"
    rows: list[tuple[str, ...]] = []
    gateway_pid = gateway.process.pid
    async with open_runtime("bench-publisher", service_settings(stack)) as runtime:
        started = time.monotonic()
        clients = await connect_clients(url, clients_count)
        connected = time.monotonic() - started
        readers = [asyncio.create_task(c.run()) for c in clients]
        await asyncio.sleep(1.0)  # each connection subscribes right after its handshake
        try:
            # Warm-up: the first event pays for lazy imports and connection set-up.
            await fanout_phase(runtime, workflow_id, clients, 0, 1, 0.0)
            for label, pace, first in (("paced 50 ms", 0.05, 1), ("burst", None, 10_000)):
                cpu_before = cpu_seconds(gateway_pid)
                latencies, last, total = await fanout_phase(
                    runtime, workflow_id, clients, first, events, pace
                )
                cpu_us = (cpu_seconds(gateway_pid) - cpu_before) * 1e6 / len(latencies)
                rows.append(
                    (
                        f"{label}: {events} events x {clients_count} clients",
                        f"{percentile(latencies, 0.5) * 1000:.1f}",
                        f"{percentile(latencies, 0.99) * 1000:.1f}",
                        f"{max(latencies) * 1000:.1f}",
                        f"{statistics.median(last) * 1000:.1f}",
                        f"{len(latencies) / total:,.0f}",
                        f"{cpu_us:.0f}",
                    )
                )
        finally:
            await asyncio.gather(*(c.socket.close() for c in clients), return_exceptions=True)
            await asyncio.gather(*readers, return_exceptions=True)
    print(f"  {clients_count} clients connected in {connected:.2f}s", flush=True)
    return rows


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per bus scenario")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--fanout-events", type=int, default=100)
    args = parser.parse_args(argv)
    print(
        f"machine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start",
        flush=True,
    )

    with private_stack((), seed=False) as stack:
        print(f"bus: database and stream prefix {stack.stream_prefix}", flush=True)
        bus_rows = asyncio.run(bench_bus(stack, args.events))
    print(f"\nDurable bus ({args.events:,} events per scenario)")
    print(f"{'scenario':<48}result")
    for name, result in bus_rows:
        print(f"{name:<48}{result}")

    with private_stack(("gateway",), seed=False) as stack:
        print(f"\nfan-out: gateway at {stack.gateway_url}", flush=True)
        fan_rows = asyncio.run(bench_fanout(stack, args.clients, args.fanout_events))
    header = (
        "WebSocket fan-out",
        "p50 ms",
        "p99 ms",
        "max ms",
        "last p50 ms",
        "msg/s",
        "gw µs/msg",
    )
    print(f"\n{header[0]:<40}" + "".join(f"{h:>12}" for h in header[1:]))
    for row in fan_rows:
        print(f"{row[0]:<40}" + "".join(f"{c:>12}" for c in row[1:]))
    print(
        "\nlatency: publish (XADD) -> client received, every delivery; last p50: median over "
        "events of the time\nuntil the last client had it; msg/s: deliveries over the phase; "
        "gw µs/msg: gateway CPU per delivery"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
