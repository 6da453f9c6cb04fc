"""Issue 22, point 2: an uploaded file is parsed off the event loop, in worker processes, a
bounded number at a time, so the gateway goes on answering while a large file is read; the
workers answer as the parser does in-process, and die with the gateway."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from planner_gateway.api.data import _csv_error
from planner_gateway.errors import ApiError
from planner_gateway.parse_pool import ParsePool
from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_gateway.upload_rows import parse_collecting, parse_in_pieces, prepare_history
from planner_gateway.v1.uploads import Known, check_upload
from planner_shared.datasets.csv_formats import (
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    ErrorCollector,
    ParsedCsv,
    parse_historical_sales,
)
from planner_shared.datasets.loader import load_historical_sales
from planner_shared.db.models import HistoricalSale
from planner_tools.testing.gateway import (
    PLANNER,
    Gateway,
    Sessions,
    count,
    running_gateway,
    seed_reference,
    wait_until,
)

UPLOAD = "/api/data/historical-sales"
HISTORY = b"store_code,category_code,week_start,units\n" + b"\n".join(
    f"S00{s},{c},2026-0{m}-0{d},{10 * s + m}".encode()
    for s in (1, 2, 3)
    for c in ("DRESS", "KNIT")
    for m, d in ((2, 2), (3, 2))
)


def history_csv(n_bytes: int) -> bytes:
    """Weekly sales of made-up stores, about `n_bytes` long: valid to parse, seconds of it."""
    lines = [b"store_code,category_code,week_start,units"]
    size = 0
    monday = date(2020, 1, 6)
    i = 0
    while size < n_bytes:
        line = f"S{i // 100:05d},DRESS,{monday + timedelta(weeks=i % 100)},{i % 97}".encode()
        lines.append(line)
        size += len(line) + 1
        i += 1
    return b"\n".join(lines)


def _post(gateway: Gateway, content: bytes) -> asyncio.Task[httpx.Response]:
    return asyncio.create_task(
        gateway.client.post(
            UPLOAD, files={"file": ("history.csv", content, "text/csv")}, headers=PLANNER
        )
    )


async def _parsing(state: GatewayState) -> None:
    await wait_until(lambda: state.parses.running > 0, within=30)


def _settings(gateway_settings: GatewaySettings, **update: object) -> GatewaySettings:
    return gateway_settings.model_copy(
        update={"max_upload_bytes": 4 * 1024 * 1024, "max_body_bytes": 4 * 1024 * 1024} | update
    )


async def test_health_answers_while_a_large_file_is_parsed(
    gateway_settings: GatewaySettings,
) -> None:
    async with running_gateway(_settings(gateway_settings)) as gateway:
        state = gateway.runtime.part(GatewayState)
        upload = _post(gateway, history_csv(2 * 1024 * 1024))
        await _parsing(state)
        answered_during_parse = 0
        while state.parses.running and answered_during_parse < 5:
            health = await gateway.client.get("/health")
            assert health.status_code == 200
            # Counted only if the parse was still under way when the answer came back.
            answered_during_parse += bool(state.parses.running)
        assert answered_during_parse == 5
        response = await upload
        # The made-up stores are not loaded: refused by the checks after the parse.
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] != "uploads_busy"


async def test_parses_past_the_bound_are_refused_with_retry_after(
    gateway_settings: GatewaySettings,
) -> None:
    settings = _settings(gateway_settings, upload_parse_workers=1, upload_parse_queue=0)
    async with running_gateway(settings) as gateway:
        state = gateway.runtime.part(GatewayState)
        first = _post(gateway, history_csv(2 * 1024 * 1024))
        await _parsing(state)
        busy = await gateway.client.post(
            UPLOAD, files={"file": ("small.csv", history_csv(200), "text/csv")}, headers=PLANNER
        )
        assert state.parses.running == 1
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "uploads_busy"
        assert busy.headers["retry-after"] == "5"
        assert (await first).status_code == 422
        again = await gateway.client.post(
            UPLOAD, files={"file": ("small.csv", history_csv(200), "text/csv")}, headers=PLANNER
        )
        assert again.status_code == 422, again.text  # parsed this time; the stores are unknown
        assert state.parses.refused == 1


# ------------------------------------------------------------------ the pool's answers
WEEK = (
    b"store_code,category_code,week_number,units_sold\n"
    b"S001,DRESS,1,10\nS002,DRESS,1,-4\nS003,DRESS,one,3\nS001,DRESS,1,12\nS004,KNIT,1,5\n"
)
FILES: dict[str, tuple[CsvKind, bytes]] = {
    # 60 KB: more rows than one piece (upload_rows.ROWS_PER_PIECE) of a week file's parse.
    "good history": (CsvKind.HISTORICAL_SALES, history_csv(60_000)),
    "history with bad rows": (
        CsvKind.HISTORICAL_SALES,
        history_csv(4_000).replace(b",2020-01-06,", b",2020-01-07,").replace(b",3\n", b",-3\n"),
    ),
    "history with a bad header": (CsvKind.HISTORICAL_SALES, b"shop;when;qty\nS001;x;3\n"),
    "not UTF-8": (CsvKind.HISTORICAL_SALES, b"store_code,category_code\n\xff\xfe\n"),
    "too large": (CsvKind.HISTORICAL_SALES, history_csv(70_000)),
    "week with bad rows": (CsvKind.WEEKLY_ACTUALS, WEEK),
}
MAX_BYTES = 64 * 1024
V1_FILES = {
    "lead_times": b"store_id,dc_location,lead_time_days\nS001,east,x\nS002,,400\n",
    "safety_stock": b"store_id,safety_stock_units,reorder_point\nS001,4,2\nS404,5,1\n",
    "dc_inventory": b"sku,dc_location,available_units,reserved_units\nHAT-1,east,5,0\n",
    "elasticity": b"category,elasticity_coefficient\nwomens_dresses,1.2\nhats,2\n",
}


def _outcome(answer: object) -> tuple[object, ...]:
    """What a caller sees of an answer: the parse and its collected problems, or the
    refusal (its kind, message, problems and their count)."""
    if isinstance(answer, CsvValidationError):
        return type(answer), str(answer), answer.errors, answer.total
    assert isinstance(answer, tuple)
    parsed, problems = answer
    assert isinstance(problems, ErrorCollector)
    return parsed, problems.errors, problems.total


async def test_the_pool_answers_as_the_parser_does_on_good_and_bad_files() -> None:
    pool = ParsePool(workers=1, queue=0)
    try:
        for name, (kind, data) in FILES.items():
            here: object
            try:
                here = parse_collecting(kind, data, MAX_BYTES)
            except CsvValidationError as exc:
                here = exc
            there: object
            try:
                there = await pool.run(parse_collecting, kind, data, MAX_BYTES)
            except CsvValidationError as exc:
                there = exc
            assert _outcome(there) == _outcome(here), name
            # The rows of a week file come back in pickled pieces: the same rows.
            if not isinstance(here, CsvValidationError):
                pieced = await pool.run(parse_in_pieces, kind, data, MAX_BYTES)
                assert _outcome(await pieced.unpickled()) == _outcome(here), name
        # Each kind of answer is among them: rows, rows with problems, and each refusal.
        outcomes = [_outcome(parse_or_refusal(k, d)) for k, d in FILES.values()]
        firsts = [o[0] for o in outcomes]
        assert CsvValidationError in firsts
        assert CsvTooLargeError in firsts
        assert any(isinstance(o[0], ParsedCsv) and o[2] for o in outcomes)
        # The v1 checks too, against the codes we hold: their problems in one answer.
        known = Known(frozenset({"S001"}), (("DRESS", "Dresses"), ("KNIT", "Knitwear")))
        for file_type, v1 in V1_FILES.items():
            here = check_upload(file_type, v1, known)
            assert await pool.run(check_upload, file_type, v1, known) == here, file_type
            assert here.problems, file_type
        # A history file comes back compact: COPY text, not rows.
        batch = await pool.run(prepare_history, FILES["good history"][1], MAX_BYTES)
        assert batch == prepare_history(FILES["good history"][1], MAX_BYTES)
        parsed = parse_historical_sales(FILES["good history"][1], max_bytes=MAX_BYTES)
        assert batch.copy_text.count(b"\n") == batch.file.row_count == len(parsed.rows)
        assert batch.file.sha256 == parsed.sha256
    finally:
        pool.close()


def parse_or_refusal(kind: CsvKind, data: bytes) -> object:
    try:
        return parse_collecting(kind, data, MAX_BYTES)
    except CsvValidationError as exc:
        return exc


async def test_parses_wait_their_turn_and_past_the_queue_are_refused() -> None:
    pool = ParsePool(workers=1, queue=1)
    try:
        first = asyncio.create_task(pool.run(time.sleep, 1.5))
        await wait_until(lambda: pool.running == 1)
        second = asyncio.create_task(pool.run(os.getpid))
        await wait_until(lambda: pool.waiting == 1)
        with pytest.raises(ApiError) as busy:
            await pool.run(os.getpid)
        assert (busy.value.status_code, busy.value.code) == (503, "uploads_busy")
        assert busy.value.headers == {"Retry-After": "5"}
        assert "1 uploads are being read and 1 wait their turn" in busy.value.message
        await first
        worker = await second
        assert pool.pids() == [worker]
        assert worker != os.getpid()
        assert (pool.running, pool.waiting, pool.refused) == (0, 0, 1)
    finally:
        pool.close()


async def test_a_worker_killed_mid_parse_is_answered_503_and_the_next_file_is_read() -> None:
    pool = ParsePool(workers=1, queue=0)
    try:
        assert pool.pids() == []  # started with the first file, not before
        killed = await pool.run(os.getpid)
        parse = asyncio.create_task(pool.run(time.sleep, 30))
        await wait_until(lambda: pool.running == 1)
        await asyncio.sleep(0.2)
        os.kill(killed, signal.SIGKILL)
        with pytest.raises(ApiError) as stopped:
            await asyncio.wait_for(parse, 20)
        assert (stopped.value.status_code, stopped.value.code) == (503, "upload_reader_restarted")
        assert stopped.value.headers == {"Retry-After": "5"}
        kind, data = FILES["week with bad rows"]
        parsed, problems = await pool.run(parse_collecting, kind, data, MAX_BYTES)
        assert len(parsed.rows) == 2
        assert problems.total == 3
        assert killed not in pool.pids()
        assert pool.broken == 1
    finally:
        pool.close()


async def test_the_history_upload_answers_as_the_row_by_row_loader(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """The COPY path (history_ingest) against planner_shared's loader, run first in a
    transaction that is rolled back: the same counts, the same refusal word for word."""
    await seed_reference(sessionmaker)
    good = HISTORY
    changed = HISTORY.replace(b"S001,DRESS,2026-02-02,12", b"S001,DRESS,2026-02-02,99")
    # Unknown codes on 60 rows (and two on one row): the first 50 are listed, all counted.
    unknown = (
        HISTORY
        + b"\n"
        + b"\n".join(
            f"S9{n:02d},{'HATS' if n == 3 else 'KNIT'},2026-04-06,{n}".encode() for n in range(60)
        )
    )
    for content, status in ((good, 200), (good, 200), (changed, 200), (unknown, 422)):
        async with sessionmaker() as session, session.begin():
            try:
                counts = await load_historical_sales(
                    session, parse_historical_sales(content, max_bytes=None).rows
                )
                expected: dict[str, Any] = {
                    "inserted": counts.inserted,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                }
            except CsvValidationError as exc:
                error = _csv_error(exc)
                expected = {
                    "code": error.code,
                    "message": error.message,
                    "details": [
                        d.model_dump(mode="json", exclude_none=True) for d in error.details
                    ],
                }
            await session.rollback()
        # A file name of 250 characters is cut in the audit's source, not refused.
        name = "h" * 246 + ".csv"
        answer = await gateway.client.post(
            UPLOAD, files={"file": (name, content, "text/csv")}, headers=PLANNER
        )
        assert answer.status_code == status, answer.text
        body = answer.json()
        got = body["error"] if status == 422 else body
        assert {k: got[k] for k in expected} == expected
    assert expected["message"].startswith("the file has 61 problems; nothing was stored: row 14")
    assert len(expected["details"]) == 50
    assert await count(sessionmaker, HistoricalSale) == 12


# ------------------------------------------------------------------ no orphan workers
PARENT = """
import asyncio, os, sys, time
from planner_gateway.parse_pool import ParsePool

async def main() -> None:
    pool = ParsePool(workers=2, queue=0)
    await asyncio.gather(pool.run(time.sleep, 0.5), pool.run(time.sleep, 0.5))
    with open(sys.argv[1], "w") as out:
        out.write(" ".join(str(p) for p in pool.pids()))
    await asyncio.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_the_parse_workers_die_when_the_gateway_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "gateway.py"
    script.write_text(PARENT)
    pids_file = tmp_path / "pids"
    parent = subprocess.Popen([sys.executable, str(script), str(pids_file)])
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not pids_file.exists() or not pids_file.read_text():
            assert parent.poll() is None, "the parent process ended early"
            assert time.monotonic() < deadline, "the pool never answered"
            time.sleep(0.1)
        workers = [int(p) for p in pids_file.read_text().split()]
        assert len(workers) == 2
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        for pid in workers:  # only when the test failed: leave no orphan of ours behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
