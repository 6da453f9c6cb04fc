"""The work on an upload's rows that runs in the parse workers (parse_pool.ParsePool).

Pure and light on purpose: a worker imports this module and the CSV formats, not the web
application (seconds of imports in every new worker otherwise). What a worker sends back is
compact: for a history file, its rows as the text of a PostgreSQL COPY (history_ingest
stores them), never a third of a million Python objects for the gateway to unpickle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from planner_shared import worker_life
from planner_shared.datasets.csv_formats import (
    CsvError,
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    ErrorCollector,
    HistoricalSaleRow,
    ParsedCsv,
    parse_csv,
)

T = TypeVar("T")

PARENT_POLL_SECONDS = 0.5
# The plausibility bound (plausibility.py says why): only rows over the floor can be refused.
PLAUSIBLE_FACTOR = 20
PLAUSIBLE_FLOOR = 1_000
HARD_CEILING = 1_000_000


@dataclass(frozen=True)
class Refusal:
    """A `CsvValidationError` raised in a worker, in a form that pickles."""

    too_large: bool
    errors: list[CsvError]
    total: int

    def exception(self) -> CsvValidationError:
        kind = CsvTooLargeError if self.too_large else CsvValidationError
        return kind(self.errors, self.total)


def call(fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T | Refusal:
    """Runs in the worker: `fn`'s answer, or its refusal of the file."""
    try:
        return fn(*args, **kwargs)
    except CsvValidationError as exc:
        return Refusal(isinstance(exc, CsvTooLargeError), exc.errors, exc.total)


def die_with_parent() -> None:
    """The worker's initializer: end this process when the gateway ends, however it ends.
    Watched from a thread as well: the pool's thread that started the worker need not be the
    gateway's last."""
    worker_life.die_with_parent(always_watch=True, poll_seconds=PARENT_POLL_SECONDS)


@dataclass(frozen=True)
class Quantity:
    row: int
    store_code: str
    category_code: str
    units: int
    column: str


def quantities(rows: Iterable[Any], column: str) -> list[Quantity]:
    """The rows' `column` as quantities, only those over the floor: no row under it can be
    refused. A pass over every row: runs in the parse's worker process for a history file,
    in the request for a week of actuals (one week, a row per store and category)."""
    return [
        Quantity(r.row, r.store_code, r.category_code, units, column)
        for r in rows
        if (units := getattr(r, column)) > PLAUSIBLE_FLOOR
    ]


@dataclass(frozen=True)
class FileFacts:
    """How the file was read: what the answer's `file` says."""

    size_bytes: int
    sha256: str
    delimiter: str
    had_bom: bool
    row_count: int


@dataclass(frozen=True)
class HistoryBatch:
    """A validated history file, compact: its rows as COPY text (one line a row, the columns
    of `COLUMNS`, tab separated) and the few rows the plausibility bound must look at."""

    file: FileFacts
    copy_text: bytes
    over_floor: list[Quantity]


def _copy_line(r: HistoricalSaleRow) -> str:
    # Codes are letters, digits and . _ - (csv_formats._CODE): nothing COPY would escape.
    price = "\\N" if r.unit_price is None else f"{r.unit_price:.2f}"
    return f"{r.row}\t{r.store_code}\t{r.category_code}\t{r.week_start}\t{r.units}\t{price}\n"


def prepare_history(data: bytes, max_bytes: int | None) -> HistoryBatch:
    """Runs in a worker process: the file parsed and checked whole (`CsvValidationError`
    when not), as a `HistoryBatch`."""
    parsed = parse_csv(CsvKind.HISTORICAL_SALES, data, max_bytes=max_bytes)
    rows: Sequence[HistoricalSaleRow] = parsed.rows
    return HistoryBatch(
        file=FileFacts(
            size_bytes=parsed.size_bytes,
            sha256=parsed.sha256,
            delimiter=parsed.delimiter_name,
            had_bom=parsed.had_bom,
            row_count=len(rows),
        ),
        copy_text="".join(map(_copy_line, rows)).encode(),
        over_floor=quantities(rows, "units"),
    )


def parse_collecting(
    kind: CsvKind, data: bytes, max_bytes: int
) -> tuple[ParsedCsv[Any], ErrorCollector]:
    """The rows that passed and the problems of the others (the problems of the file as a
    whole still raise)."""
    problems = ErrorCollector()
    return parse_csv(kind, data, max_bytes=max_bytes, row_errors=problems), problems


ROWS_PER_PIECE = 1_000


@dataclass(frozen=True)
class PiecedParse:
    """A parse whose rows travel as pickled pieces of `ROWS_PER_PIECE` rows, each row as the
    tuple of its fields: the gateway rebuilds them a piece at a time and gives the event loop
    its turn between pieces. (The answer of a worker is unpickled on the gateway's side with
    the interpreter held throughout: the rows of a 10 MB week file as one piece of objects
    stopped the loop for half a second; a piece of tuples is a few milliseconds.)"""

    parsed: ParsedCsv[Any]
    """The parse, without its rows."""
    row_type: type[Any] | None
    pieces: list[bytes]
    problems: ErrorCollector

    async def unpickled(self) -> tuple[ParsedCsv[Any], ErrorCollector]:
        """The parse with its rows, and the problems: as `parse_collecting` answers."""
        rows: list[Any] = []
        build = self.row_type
        for piece in self.pieces:
            assert build is not None
            # Our own worker's bytes, as the pool's answer itself is.
            rows.extend(build(*values) for values in pickle.loads(piece))
            await asyncio.sleep(0)
        return dataclasses.replace(self.parsed, rows=tuple(rows)), self.problems


def parse_in_pieces(kind: CsvKind, data: bytes, max_bytes: int) -> PiecedParse:
    """`parse_collecting`, its rows in pickled pieces (see `PiecedParse`)."""
    parsed, problems = parse_collecting(kind, data, max_bytes)
    rows = parsed.rows
    row_type = type(rows[0]) if rows else None
    names = [f.name for f in dataclasses.fields(row_type)] if row_type else []
    pieces = [
        pickle.dumps(
            [tuple(getattr(r, name) for name in names) for r in rows[start:end]],
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        for start in range(0, len(rows), ROWS_PER_PIECE)
        if (end := start + ROWS_PER_PIECE)
    ]
    return PiecedParse(dataclasses.replace(parsed, rows=()), row_type, pieces, problems)
