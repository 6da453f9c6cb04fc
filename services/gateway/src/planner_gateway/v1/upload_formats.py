"""§12 upload file types: their columns and types, and the whole-file check.

A file is read whole: undecodable or unparseable -> one `OTHER`; header only ->
`EMPTY_FILE`; each required column missing -> one `MISSING_COLUMN` (no cell checks then);
else every cell of every row is checked (`DATA_TYPE_MISMATCH` per bad or blank cell, with
`row` counted from 1 after the header, `column`, `expected_type` and `actual_value`).
Extra columns pass. Headers match in any case and with surrounding blanks. Rows that repeat
the file type's key are `DUPLICATE_ROWS`.

The text and the numbers are read by the rules of every upload (`planner_shared.datasets.
csv_formats`: UTF-8 with or without BOM; NaN and Infinity are not numbers). Every number is
then held to what its column means (`BOUNDS`): a lead time is 0-365 days, a stock a count a
store or DC can hold, a percentage 0-100 (or a fraction). A value outside is one `OTHER`
naming the row, the column, the value and the range, so no figure reaches planning that it
cannot plan with (2,147,483,647 days of lead time once stalled a season).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from planner_gateway.upload_rows import HARD_CEILING
from planner_shared.datasets.csv_formats import CsvValidationError, finite_number, read_text

ErrorType = Literal["MISSING_COLUMN", "DATA_TYPE_MISMATCH", "EMPTY_FILE", "DUPLICATE_ROWS", "OTHER"]
ColumnType = Literal["str", "int", "float"]

AGENT_FILE_TYPES: dict[str, tuple[str, ...]] = {
    "demand": ("sales_data", "store_profiles"),
    "inventory": ("dc_inventory", "lead_times", "safety_stock"),
    "pricing": ("markdown_history", "elasticity", "competitor_prices"),
}

COLUMNS: dict[str, tuple[tuple[str, ColumnType], ...]] = {
    "sales_data": (
        ("store_id", "str"),
        ("week", "int"),
        ("sales_units", "int"),
        ("sales_revenue", "float"),
        ("inventory_on_hand", "int"),
    ),
    "store_profiles": (
        ("store_id", "str"),
        ("store_name", "str"),
        ("region", "str"),
        ("size_sqft", "int"),
        ("cluster_id", "str"),
    ),
    "dc_inventory": (
        ("sku", "str"),
        ("dc_location", "str"),
        ("available_units", "int"),
        ("reserved_units", "int"),
    ),
    "lead_times": (("store_id", "str"), ("dc_location", "str"), ("lead_time_days", "int")),
    "safety_stock": (("store_id", "str"), ("safety_stock_units", "int"), ("reorder_point", "int")),
    "markdown_history": (
        ("week", "int"),
        ("markdown_pct", "float"),
        ("sell_through_pct", "float"),
        ("demand_lift_pct", "float"),
    ),
    "elasticity": (("category", "str"), ("elasticity_coefficient", "float")),
    "competitor_prices": (("competitor", "str"), ("price", "float"), ("markdown_pct", "float")),
}

# The columns that identify a row: two rows with the same key are duplicates.
KEYS: dict[str, tuple[str, ...]] = {
    "sales_data": ("store_id", "week"),
    "store_profiles": ("store_id",),
    "dc_inventory": ("sku", "dc_location"),
    "lead_times": ("store_id", "dc_location"),
    "safety_stock": ("store_id",),
    "markdown_history": ("week",),
    "elasticity": ("category",),
    "competitor_prices": ("competitor",),
}

_EXPECTED = {"int": "integer", "float": "float", "str": "string"}


@dataclass(frozen=True)
class Bound:
    """The values a column may hold, and what they mean (said when one is refused)."""

    low: float
    high: float
    meaning: str
    low_excluded: bool = False

    def refuses(self, value: float) -> bool:
        return value < self.low or value > self.high or (self.low_excluded and value == self.low)

    def describe(self) -> str:
        low = f"above {self.low:,g}" if self.low_excluded else f"from {self.low:,g}"
        return f"{self.meaning}: {low} to {self.high:,g}"


# Ceilings no real season comes near, each well inside the column's type (PostgreSQL
# integer, 2,147,483,647): a store holding or keeping in reserve a million units, a DC ten
# million of one SKU, a store of five million square feet.
MAX_STORE_UNITS = 1_000_000
MAX_DC_UNITS = 10_000_000
MAX_STORE_SQFT = 5_000_000
MAX_LEAD_TIME_DAYS = 365
MAX_REVENUE = 1e10
MAX_ELASTICITY = 10.0
WEEK = Bound(1, 52, "a week of the season")
PERCENT = Bound(0, 100, "a percentage (0-100, or a fraction 0-1)")

BOUNDS: dict[str, dict[str, Bound]] = {
    "sales_data": {
        "week": WEEK,
        "sales_units": Bound(0, HARD_CEILING, "units one store sold in the week"),
        "sales_revenue": Bound(0, MAX_REVENUE, "one store's revenue of the week"),
        "inventory_on_hand": Bound(0, MAX_STORE_UNITS, "units on hand at one store"),
    },
    "store_profiles": {
        "size_sqft": Bound(0, MAX_STORE_SQFT, "a store's floor area in sq ft", low_excluded=True)
    },
    "dc_inventory": {
        "available_units": Bound(0, MAX_DC_UNITS, "units of the SKU at the DC"),
        "reserved_units": Bound(0, MAX_DC_UNITS, "units of the SKU reserved at the DC"),
    },
    "lead_times": {
        "lead_time_days": Bound(0, MAX_LEAD_TIME_DAYS, "days from the DC to the store"),
    },
    "safety_stock": {
        "safety_stock_units": Bound(0, MAX_STORE_UNITS, "units a store keeps in reserve"),
        "reorder_point": Bound(0, MAX_STORE_UNITS, "units at which a store reorders"),
    },
    "markdown_history": {
        "week": WEEK,
        "markdown_pct": PERCENT,
        "sell_through_pct": PERCENT,
        # A lift may pass 100 % (demand more than doubled), not a thousand.
        "demand_lift_pct": Bound(0, 1000, "a demand lift in percent (or a fraction)"),
    },
    "elasticity": {
        "elasticity_coefficient": Bound(0, MAX_ELASTICITY, "a price elasticity", low_excluded=True),
    },
    "competitor_prices": {"price": Bound(0, MAX_REVENUE, "a price"), "markdown_pct": PERCENT},
}


@dataclass
class Problem:
    error_type: ErrorType
    message: str
    row: int | None = None
    column: str | None = None
    expected_type: str | None = None
    actual_value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Checked:
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # typed, with "_row"
    problems: list[Problem] = field(default_factory=list)
    unlisted: int = 0
    """Problems found beyond those in `problems` (the answer lists the first ones only)."""


def _int(text: str) -> int:
    value = finite_number(text)
    if value != value.to_integral_value():
        raise ValueError(f"{text} is not a whole number")
    return int(value)


def _float(text: str) -> float:
    value = float(finite_number(text))
    if not math.isfinite(value):  # 1e999: a finite decimal, but no float holds it
        raise ValueError(f"{text} is too large")
    return value


_PARSERS: dict[ColumnType, Callable[[str], Any]] = {"int": _int, "float": _float, "str": str}


def _out_of_bounds(file_type: str, typed: dict[str, Any]) -> list[Problem]:
    problems = []
    for name, bound in BOUNDS.get(file_type, {}).items():
        value = typed.get(name)
        if value is not None and bound.refuses(value):
            problems.append(
                Problem(
                    "OTHER",
                    f"{name} {value:,g} is out of range for {bound.describe()}",
                    row=typed["_row"],
                    column=name,
                    actual_value=str(value),
                )
            )
    return problems


def _typed(
    spec: tuple[tuple[str, ColumnType], ...],
    position: dict[str, int],
    cells: list[str],
    number: int,
    problems: list[Problem],
) -> dict[str, Any]:
    """Row `number`'s cells by their column types; a `DATA_TYPE_MISMATCH` per cell that is
    not one (the row then lacks that column)."""
    typed: dict[str, Any] = {"_row": number}
    for name, kind in spec:
        index = position[name]
        raw = cells[index].strip() if index < len(cells) else ""
        try:
            if raw == "":
                raise ValueError
            typed[name] = _PARSERS[kind](raw)
        except ValueError:
            what = (
                "is empty"
                if raw == ""
                else f"{raw!r} is not a {_EXPECTED[kind]}"
                + ("" if kind == "str" else " (a finite number)")
            )
            problems.append(
                Problem(
                    "DATA_TYPE_MISMATCH",
                    f"{name} {what}",
                    row=number,
                    column=name,
                    expected_type=_EXPECTED[kind],
                    actual_value=raw,
                )
            )
    return typed


def check(file_type: str, data: bytes) -> Checked:
    """Check a whole file of `file_type` (a key of COLUMNS)."""
    result = Checked()
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        result.problems.append(Problem("EMPTY_FILE", "the file is empty"))
        return result
    try:
        text = read_text(data, max_bytes=None)
    except CsvValidationError as exc:
        result.problems.append(Problem("OTHER", exc.errors[0].reason))
        return result
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        result.problems.append(Problem("OTHER", f"the file is not valid CSV: {exc}"))
        return result
    table = [r for r in table if any(cell.strip() for cell in r)]
    if not table:
        result.problems.append(Problem("EMPTY_FILE", "the file is empty"))
        return result
    header = [h.strip() for h in table[0]]
    result.columns = header
    body = table[1:]
    if not body:
        result.problems.append(Problem("EMPTY_FILE", "the file has a header but no data rows"))
        return result
    position = {h.lower(): i for i, h in enumerate(header)}
    spec = COLUMNS[file_type]
    missing = [name for name, _t in spec if name not in position]
    for name in missing:
        result.problems.append(
            Problem("MISSING_COLUMN", f"required column {name} is missing", column=name)
        )
    if missing:
        return result
    seen: dict[tuple[Any, ...], int] = {}
    for number, cells in enumerate(body, start=1):
        typed = _typed(spec, position, cells, number, result.problems)
        if len(typed) != len(spec) + 1:
            continue
        if out := _out_of_bounds(file_type, typed):
            result.problems.extend(out)
            continue
        key = tuple(str(typed[k]).lower() for k in KEYS[file_type])
        if key in seen:
            result.problems.append(
                Problem(
                    "DUPLICATE_ROWS",
                    f"row {number} repeats row {seen[key]} ({', '.join(KEYS[file_type])})",
                    row=number,
                    column=KEYS[file_type][0],
                )
            )
            continue
        seen[key] = number
        result.rows.append(typed)
    return result
