"""§12 upload file types: their columns and types, and the whole-file check.

A file is read whole: undecodable or unparseable -> one `OTHER`; header only ->
`EMPTY_FILE`; each required column missing -> one `MISSING_COLUMN` (no cell checks then);
else every cell of every row is checked (`DATA_TYPE_MISMATCH` per bad or blank cell, with
`row` counted from 1 after the header, `column`, `expected_type` and `actual_value`).
Extra columns pass. Headers match in any case and with surrounding blanks. Rows that repeat
the file type's key are `DUPLICATE_ROWS`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

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


def _int(text: str) -> int:
    value = float(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


_PARSERS: dict[ColumnType, Callable[[str], Any]] = {"int": _int, "float": float, "str": str}


def check(file_type: str, data: bytes) -> Checked:
    """Check a whole file of `file_type` (a key of COLUMNS)."""
    result = Checked()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.problems.append(Problem("OTHER", f"the file is not UTF-8 text (byte {exc.start})"))
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
        typed: dict[str, Any] = {"_row": number}
        for name, kind in spec:
            index = position[name]
            raw = cells[index].strip() if index < len(cells) else ""
            try:
                if raw == "":
                    raise ValueError
                typed[name] = _PARSERS[kind](raw)
            except ValueError:
                what = "is empty" if raw == "" else f"{raw!r} is not a {_EXPECTED[kind]}"
                result.problems.append(
                    Problem(
                        "DATA_TYPE_MISMATCH",
                        f"{name} {what}",
                        row=number,
                        column=name,
                        expected_type=_EXPECTED[kind],
                        actual_value=raw,
                    )
                )
        if len(typed) != len(spec) + 1:
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
