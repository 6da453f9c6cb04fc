"""Load the sample reference data into the database: `make seed`.

    python -m planner_shared.datasets.seed [--dir data/sample] [--database-url URL]

Reads `stores.csv`, `categories.csv` and `historical_sales.csv` from the folder, validates
every row of the three files first (all problems of all files are printed, and nothing is
written, when one is bad), then upserts them in one transaction on the database of
`PlannerSettings` (`DATABASE_URL`). Running it again changes nothing: the counts say how many
rows were inserted, updated and already there. Weekly actuals are not seeded: they belong to
a workflow and arrive by upload, week by week, during the season.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import (
    CategoryRow,
    CsvValidationError,
    HistoricalSaleRow,
    ParsedCsv,
    StoreRow,
    parse_categories,
    parse_historical_sales,
    parse_stores,
)
from planner_shared.datasets.loader import (
    LoadCounts,
    load_categories,
    load_historical_sales,
    load_stores,
)
from planner_shared.db.engine import create_engine, create_sessionmaker, transaction
from planner_shared.settings import PlannerSettings

STORES_FILE = "stores.csv"
CATEGORIES_FILE = "categories.csv"
HISTORY_FILE = "historical_sales.csv"
R = TypeVar("R")


class SeedFileError(Exception):
    """One or more sample files are missing or invalid; the message lists every problem."""


@dataclass(frozen=True)
class SampleFiles:
    stores: ParsedCsv[StoreRow]
    categories: ParsedCsv[CategoryRow]
    history: ParsedCsv[HistoricalSaleRow]


@dataclass(frozen=True)
class SeedReport:
    stores: LoadCounts
    categories: LoadCounts
    historical_sales: LoadCounts

    def lines(self) -> list[str]:
        return [
            f"{name:17} {counts}"
            for name, counts in (
                ("stores", self.stores),
                ("categories", self.categories),
                ("historical_sales", self.historical_sales),
            )
        ]


def _read(
    path: Path, parse: Callable[..., ParsedCsv[R]], problems: list[str]
) -> ParsedCsv[R] | None:
    try:
        # Local files the operator chose: no upload size limit applies.
        return parse(path.read_bytes(), max_bytes=None)
    except FileNotFoundError:
        problems.append(f"{path}: missing")
    except CsvValidationError as exc:
        problems.extend(f"{path}: {error}" for error in exc.errors)
        if exc.omitted:
            problems.append(f"{path}: ... and {exc.omitted} more problems")
    return None


def read_sample(directory: Path) -> SampleFiles:
    """Validate the three files whole; every problem of every file in one `SeedFileError`."""
    problems: list[str] = []
    stores = _read(directory / STORES_FILE, parse_stores, problems)
    categories = _read(directory / CATEGORIES_FILE, parse_categories, problems)
    history = _read(directory / HISTORY_FILE, parse_historical_sales, problems)
    if stores is None or categories is None or history is None:
        raise SeedFileError("\n".join(problems))
    return SampleFiles(stores=stores, categories=categories, history=history)


async def load_sample(session: AsyncSession, files: SampleFiles) -> SeedReport:
    """Upsert the files' rows in the caller's transaction (stores and categories first)."""
    stores = await load_stores(session, files.stores.rows)
    categories = await load_categories(session, files.categories.rows)
    history = await load_historical_sales(session, files.history.rows)
    return SeedReport(stores=stores, categories=categories, historical_sales=history)


async def seed(database_url: str, directory: Path) -> SeedReport:
    """Validate the folder's files, then load them in one committed transaction."""
    files = read_sample(directory)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await load_sample(session, files)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the sample reference data.")
    parser.add_argument("--dir", type=Path, default=Path("data/sample"), help="sample folder")
    parser.add_argument(
        "--database-url", default=None, help="defaults to DATABASE_URL / PlannerSettings"
    )
    args = parser.parse_args(argv)
    url = args.database_url or PlannerSettings().database_url
    try:
        report = asyncio.run(seed(url, args.dir))
    except SeedFileError as exc:
        print(f"nothing was loaded; the sample files have problems:\n{exc}", file=sys.stderr)
        return 1
    except CsvValidationError as exc:
        print(f"nothing was loaded: {exc}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(f"seeded from {args.dir}:")
    for line in report.lines():
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
