"""Data the forecast benchmarks read: the shipped sample, and the real Walmart series if present.

Not a benchmark itself (the leading underscore keeps scripts/run_benchmarks.py from running
it). The Walmart file is not in the repository: it is read from --data-dir, else
$PLANNER_SHARED_DATA, else ../shared/data next to the repository (see that folder's README).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
DATA_DIR_ENV = "PLANNER_SHARED_DATA"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
WALMART_FILE = "walmart_store_weekly_sales.csv"


def walmart_path(data_dir: Path | None) -> Path:
    """Where the Walmart file should be: the argument, else the variable, else the default."""
    if data_dir is None:
        env = os.environ.get(DATA_DIR_ENV)
        data_dir = Path(env) if env else DEFAULT_DATA_DIR
    return data_dir / WALMART_FILE


def walmart_missing_message(path: Path) -> str:
    return (
        f"{path} not found (the repository ships without it; pass --data-dir or set "
        f"{DATA_DIR_ENV} to the folder holding {WALMART_FILE})"
    )


def walmart_weekly(path: Path) -> pd.DataFrame:
    """Weekly US$ sales, one column per store (1-45), indexed by week-ending date."""
    frame = pd.read_csv(path)
    frame["Date"] = pd.to_datetime(frame["Date"], format="%d/%m/%y")
    return frame.pivot_table(index="Date", columns="Store", values="Weekly_Sales", aggfunc="sum")


def sample_sales() -> pd.DataFrame:
    """data/sample/historical_sales.csv: store_code, category_code, week_start, units."""
    return pd.read_csv(SAMPLE_DIR / "historical_sales.csv", parse_dates=["week_start"])


def category_totals(sales: pd.DataFrame) -> dict[str, pd.Series]:
    """Weekly units per category summed over stores: the series the forecast service fits."""
    totals = sales.groupby(["category_code", "week_start"])["units"].sum().astype(float)
    return {str(code): totals.loc[code] for code in sorted(sales["category_code"].unique())}
