"""Whole-file validation of the CSV files planners upload, before anything is written.

Four kinds of file, each with its required columns (optional ones in brackets):

| kind               | columns                                                                |
|--------------------|------------------------------------------------------------------------|
| `stores`           | store_code, name, region, size_sqft, weekly_traffic, format            |
| `categories`       | category_code, name, unit_price, price_elasticity, [stock_on_hand = 0] |
| `historical_sales` | store_code, category_code, week_start (a Monday), units, [unit_price]  |
| `weekly_actuals`   | store_code, category_code, week_number (1-52), units_sold, [week_start]|

What is tolerated, because spreadsheets produce it: a UTF-8 byte-order mark; a comma,
semicolon or tab delimiter (read off the header; with semicolons a decimal comma is accepted
in prices, as European spreadsheets write them); header names in any case and spacing
("Store ID", "store-id"), and the usual other names for a column (`store_id`, `qty`,
`foot_traffic`, ... see `ALIASES`); blank lines; trailing empty cells; whole numbers written
`12.0`; codes in any case (they are stored upper case, so `s001` is `S001`).

What is refused, with every problem listed: an empty file, a file over the size limit (413),
bytes that are not UTF-8, a missing or unexpected column or one given twice, a value of the
wrong type or out of range (negative units, a week start that is not a Monday, ...), a row
with too many or too few cells, and the same key twice in one file (the same store, or the
same store, category and week).

Row numbers are those a spreadsheet shows for the file: the header is row 1, the first data
row is row 2, and a blank line counts as a row. Problems with the file as a whole (empty,
too large, not UTF-8 before its first line break) have no row; header problems are row 1.
At most `MAX_REPORTED_ERRORS` problems are listed; the exception says how many more there are.

Everything here is pure: bytes in, typed rows or one `CsvValidationError` out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

MAX_REPORTED_ERRORS = 50
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Limits of the columns the rows are stored in (INTEGER, NUMERIC(10,2), NUMERIC(6,3), ...).
_INT_MAX = 2_147_483_647
_PRICE_MAX = Decimal("99999999.99")
_ELASTICITY_MAX = Decimal("999.999")
# A demand that grows more than 20% per 1% of price cut is no retail category's.
_DEMAND_ELASTICITY_MAX = Decimal("20")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}")
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CsvKind(StrEnum):
    STORES = "stores"
    CATEGORIES = "categories"
    HISTORICAL_SALES = "historical_sales"
    WEEKLY_ACTUALS = "weekly_actuals"


# ---------------------------------------------------------------------------- errors
@dataclass(frozen=True, slots=True)
class CsvError:
    """One problem: where (spreadsheet row, canonical column) and why."""

    row: int | None
    column: str | None
    reason: str
    value: str | None = None

    def as_detail(self) -> dict[str, Any]:
        """The shape of the API's error details (`message` is the reason)."""
        return {"row": self.row, "column": self.column, "message": self.reason, "value": self.value}

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        got = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.reason}{got}" if where else f"{self.reason}{got}"


class CsvValidationError(ValueError):
    """The file (or the rows) cannot be stored; `errors` lists the first problems found.

    `total` counts every problem found, `omitted` those beyond the listed ones. Nothing of a
    file that raised this has been written.
    """

    status_code = 422
    code = "invalid_csv"

    def __init__(self, errors: Sequence[CsvError], total: int | None = None) -> None:
        self.errors = list(errors[:MAX_REPORTED_ERRORS])
        self.total = max(total if total is not None else len(errors), len(self.errors))
        self.omitted = self.total - len(self.errors)
        noun = "problem" if self.total == 1 else "problems"
        first = f": {self.errors[0]}" if self.errors else ""
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(f"the file has {self.total} {noun}; nothing was stored{first}{more}")


class CsvTooLargeError(CsvValidationError):
    status_code = 413
    code = "payload_too_large"


class ErrorCollector:
    """Gathers problems up to the reporting cap while still counting all of them."""

    def __init__(self) -> None:
        self.errors: list[CsvError] = []
        self.total = 0

    def add(
        self, row: int | None, column: str | None, reason: str, value: str | None = None
    ) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(CsvError(row, column, reason, _shorten(value)))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            raise CsvValidationError(self.errors, self.total)


def _shorten(value: str | None) -> str | None:
    if value is None or len(value) <= 80:
        return value
    return value[:77] + "..."


# ---------------------------------------------------------------------------- typed rows
@dataclass(frozen=True, slots=True)
class StoreRow:
    row: int
    store_code: str
    name: str
    region: str
    size_sqft: int
    weekly_traffic: int
    format: str


@dataclass(frozen=True, slots=True)
class CategoryRow:
    row: int
    category_code: str
    name: str
    unit_price: float
    price_elasticity: float
    stock_on_hand: int
    unit_cost: float | None = None
    salvage_value: float | None = None
    demand_elasticity: float | None = None


@dataclass(frozen=True, slots=True)
class HistoricalSaleRow:
    row: int
    store_code: str
    category_code: str
    week_start: date
    units: int
    unit_price: float | None = None
    """The week's selling price; the price elasticity is estimated from its changes."""


@dataclass(frozen=True, slots=True)
class WeeklyActualRow:
    row: int
    store_code: str
    category_code: str
    week_number: int
    units_sold: int
    week_start: date | None = None
    on_hand: int | None = None
    """The store's own count at the end of the week; a difference from the ledger is posted
    as a stock adjustment (docs/stock.md)."""


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class ParsedCsv(Generic[RowT]):
    """A validated file: its rows, and how it was read."""

    kind: CsvKind
    rows: tuple[RowT, ...]
    delimiter: str
    had_bom: bool
    headers: Mapping[str, str]
    """Canonical column -> the header as the file wrote it."""
    sha256: str
    size_bytes: int

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]


# ---------------------------------------------------------------------------- field parsers
class _CellError(ValueError):
    """A cell's value is unusable; the message is the reason shown to the planner."""


@dataclass(frozen=True)
class _Context:
    decimal_comma: bool


FieldParser = Callable[[str, _Context], object]


def _code(value: str, ctx: _Context) -> str:
    code = value.strip().upper()
    if not code:
        raise _CellError("must not be empty")
    if not _CODE.fullmatch(code):
        raise _CellError("must be a code of at most 32 letters, digits, '.', '_' or '-'")
    return code


def _text(max_length: int) -> FieldParser:
    def parse(value: str, ctx: _Context) -> str:
        text = " ".join(value.split())
        if not text:
            raise _CellError("must not be empty")
        if len(text) > max_length:
            raise _CellError(f"must be at most {max_length} characters")
        return text

    return parse


def _number(value: str, ctx: _Context) -> Decimal:
    text = value.strip()
    if not text:
        raise _CellError("must not be empty")
    if ctx.decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _CellError("must be a number") from None
    if not number.is_finite():
        raise _CellError("must be a number")
    return number


def _whole(minimum: int, maximum: int = _INT_MAX) -> FieldParser:
    def parse(value: str, ctx: _Context) -> int:
        number = _number(value, ctx)
        if number != number.to_integral_value():
            raise _CellError("must be a whole number")
        if number < minimum:
            raise _CellError(
                "must not be negative" if minimum == 0 else f"must be at least {minimum}"
            )
        if number > maximum:
            raise _CellError(f"must be at most {maximum}")
        return int(number)

    return parse


def _positive_decimal(maximum: Decimal, places: int) -> FieldParser:
    quantum = Decimal(1).scaleb(-places)

    def parse(value: str, ctx: _Context) -> float:
        number = _number(value, ctx)
        if number <= 0:
            raise _CellError("must be greater than 0")
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
        if rounded > maximum:
            raise _CellError(f"must be at most {maximum}")
        if rounded == 0:
            raise _CellError(f"must be at least {quantum}")
        return float(rounded)

    return parse


def _money(value: str, ctx: _Context) -> float:
    number = _number(value, ctx)
    if number < 0:
        raise _CellError("must not be negative")
    rounded = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded > _PRICE_MAX:
        raise _CellError(f"must be at most {_PRICE_MAX}")
    return float(rounded)


def _demand_elasticity(value: str, ctx: _Context) -> float:
    number = _number(value, ctx)
    if number >= 0:
        raise _CellError(
            "must be negative: the demand's price elasticity (-2 means a 1% lower price sells "
            "2% more)"
        )
    if number < -_DEMAND_ELASTICITY_MAX:
        raise _CellError(f"must be at least -{_DEMAND_ELASTICITY_MAX}")
    return float(number.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _date(value: str) -> date:
    text = value.strip()
    if not text:
        raise _CellError("must not be empty")
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _CellError("must be a date written YYYY-MM-DD") from None
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise _CellError("must be a date written YYYY-MM-DD, without a time of day")
    return moment.date()


def _any_date(value: str, ctx: _Context) -> date:
    return _date(value)


def _monday(value: str, ctx: _Context) -> date:
    day = _date(value)
    if day.weekday() != 0:
        raise _CellError(
            f"{day.isoformat()} is a {_WEEKDAYS[day.weekday()]}; a week starts on its Monday"
        )
    return day


# ---------------------------------------------------------------------------- kinds
@dataclass(frozen=True)
class _Column:
    name: str
    parse: FieldParser
    aliases: tuple[str, ...] = ()
    required: bool = True
    default: object = None


@dataclass(frozen=True)
class _Spec:
    kind: CsvKind
    columns: tuple[_Column, ...]
    key: tuple[str, ...]
    build: Callable[..., Any]


_STORE = ("store_id", "store", "store_number", "store_no", "shop_code", "shop_id")
_CATEGORY = ("category_id", "category", "cat_code", "product_category")

_SPECS: dict[CsvKind, _Spec] = {
    CsvKind.STORES: _Spec(
        CsvKind.STORES,
        (
            _Column("store_code", _code, (*_STORE, "code")),
            _Column("name", _text(200), ("store_name",)),
            _Column("region", _text(64), ("area", "district")),
            _Column(
                "size_sqft",
                _whole(1),
                ("size", "sqft", "square_feet", "size_sq_ft", "store_size", "floor_area_sqft"),
            ),
            _Column(
                "weekly_traffic",
                _whole(0),
                ("traffic", "foot_traffic", "footfall", "weekly_footfall", "visitors"),
            ),
            _Column("format", _text(32), ("store_format", "store_type", "type")),
        ),
        ("store_code",),
        StoreRow,
    ),
    CsvKind.CATEGORIES: _Spec(
        CsvKind.CATEGORIES,
        (
            _Column("category_code", _code, (*_CATEGORY, "code")),
            _Column("name", _text(200), ("category_name",)),
            _Column("unit_price", _positive_decimal(_PRICE_MAX, 2), ("price", "avg_price")),
            _Column("price_elasticity", _positive_decimal(_ELASTICITY_MAX, 3), ("elasticity",)),
            _Column(
                "stock_on_hand",
                _whole(0),
                ("stock", "on_hand", "inventory", "dc_stock"),
                required=False,
                default=0,
            ),
            _Column("unit_cost", _money, ("cost", "cost_price"), required=False),
            _Column(
                "salvage_value",
                _money,
                ("salvage", "clearance_price", "salvage_price"),
                required=False,
            ),
            _Column(
                "demand_elasticity",
                _demand_elasticity,
                ("price_elasticity_of_demand",),
                required=False,
            ),
        ),
        ("category_code",),
        CategoryRow,
    ),
    CsvKind.HISTORICAL_SALES: _Spec(
        CsvKind.HISTORICAL_SALES,
        (
            _Column("store_code", _code, _STORE),
            _Column("category_code", _code, _CATEGORY),
            _Column("week_start", _monday, ("week", "week_start_date", "week_beginning", "date")),
            _Column(
                "units",
                _whole(0),
                ("units_sold", "quantity", "quantity_sold", "qty", "sales_units"),
            ),
            _Column(
                "unit_price",
                _positive_decimal(_PRICE_MAX, 2),
                ("price", "selling_price", "avg_selling_price"),
                required=False,
            ),
        ),
        ("store_code", "category_code", "week_start"),
        HistoricalSaleRow,
    ),
    CsvKind.WEEKLY_ACTUALS: _Spec(
        CsvKind.WEEKLY_ACTUALS,
        (
            _Column("store_code", _code, _STORE),
            _Column("category_code", _code, _CATEGORY),
            _Column("week_number", _whole(1, 52), ("week", "week_no", "season_week")),
            _Column("units_sold", _whole(0), ("units", "quantity", "quantity_sold", "qty", "sold")),
            _Column("week_start", _any_date, ("week_start_date", "date"), required=False),
            _Column(
                "on_hand",
                _whole(0),
                ("stock_on_hand", "store_count", "counted_stock", "closing_stock"),
                required=False,
            ),
        ),
        ("store_code", "category_code", "week_number"),
        WeeklyActualRow,
    ),
}

ALIASES: dict[CsvKind, dict[str, str]] = {
    kind: {alias: c.name for c in spec.columns for alias in (c.name, *c.aliases)}
    for kind, spec in _SPECS.items()
}
"""Per kind: every accepted (normalised) header name -> its canonical column."""


def required_columns(kind: CsvKind) -> list[str]:
    return [c.name for c in _SPECS[kind].columns if c.required]


def normalise_header(name: str) -> str:
    """`" Store ID "` -> `store_id`: case, spacing and punctuation do not matter."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().strip("\ufeff").lower()).strip("_")


# ---------------------------------------------------------------------------- reading
def _decode(data: bytes, max_bytes: int | None) -> tuple[str, bool]:
    if max_bytes is not None and len(data) > max_bytes:
        reason = f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes"
        raise CsvTooLargeError([CsvError(None, None, reason)])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        reason = "the file is UTF-16; save it as 'CSV UTF-8' and upload again"
        raise CsvValidationError([CsvError(None, None, reason)])
    had_bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if had_bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = body[exc.start : exc.start + 1].hex()
        reason = (
            f"the file is not UTF-8 (byte 0x{byte} in row {line}); "
            "save it as 'CSV UTF-8' and upload again"
        )
        raise CsvValidationError([CsvError(line, None, reason)]) from None
    if not text.strip():
        raise CsvValidationError([CsvError(None, None, "the file is empty")])
    return text, had_bom


def read_text(data: bytes, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """A file's text by the rules of every upload (UTF-8, a BOM dropped, UTF-16 refused with
    how to save it); `CsvValidationError` says why not."""
    return _decode(data, max_bytes)[0]


def finite_number(value: str) -> Decimal:
    """A cell as a number: blank, text, NaN and Infinity refused (`ValueError` with the
    reason a planner reads)."""
    return _number(value, _Context(decimal_comma=False))


def _sniff_delimiter(header_line: str, aliases: Mapping[str, str]) -> str:
    """The delimiter under which the header names the most known columns (comma on a tie)."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(normalise_header(c) in aliases for c in cells), len(cells)

    return max(_DELIMITERS, key=score)


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


@dataclass
class _Layout:
    positions: dict[str, int]
    """Canonical column -> its cell position."""
    headers: dict[str, str]
    width: int
    unnamed: set[int]
    """Positions under an empty header: tolerated while their cells are empty too."""
    ignored: set[int]
    """Positions of unknown columns, when the caller allows extra columns."""


def _layout(spec: _Spec, header: list[str], allow_extra: bool, errors: ErrorCollector) -> _Layout:
    aliases = ALIASES[spec.kind]
    layout = _Layout({}, {}, len(header), set(), set())
    expected = ", ".join(c.name if c.required else f"[{c.name}]" for c in spec.columns)
    if not any(normalise_header(raw) in aliases for raw in header):
        shown = ", ".join(repr(raw.strip()) for raw in header[:4] if raw.strip())
        errors.add(
            1,
            None,
            f"the first row must be the header naming the columns ({expected}); "
            f"it names none of them: {shown}",
        )
        return layout
    for position, raw in enumerate(header):
        name = normalise_header(raw)
        canonical = aliases.get(name)
        if not name:
            layout.unnamed.add(position)
        elif canonical is None and allow_extra:
            layout.ignored.add(position)
        elif canonical is None:
            errors.add(1, raw.strip(), f"unexpected column; this file takes: {expected}")
        elif canonical in layout.positions:
            errors.add(
                1,
                canonical,
                f"column given twice (as {layout.headers[canonical]!r} and {raw.strip()!r})",
            )
        else:
            layout.positions[canonical] = position
            layout.headers[canonical] = raw.strip()
    for column in spec.columns:
        if column.required and column.name not in layout.positions:
            accepted = ", ".join((column.name, *column.aliases))
            errors.add(1, column.name, f"required column is missing (accepted names: {accepted})")
    return layout


def _records(reader: Iterable[list[str]], errors: ErrorCollector) -> list[tuple[int, list[str]]]:
    """Every record with its spreadsheet row number; malformed quoting stops the read."""
    records: list[tuple[int, list[str]]] = []
    iterator = iter(reader)
    while True:
        try:
            cells = next(iterator)
        except StopIteration:
            return records
        except csv.Error as exc:
            errors.add(len(records) + 1, None, f"malformed CSV: {exc}")
            raise CsvValidationError(errors.errors, errors.total) from None
        records.append((len(records) + 1, cells))


def _row_values(
    spec: _Spec,
    layout: _Layout,
    number: int,
    cells: list[str],
    ctx: _Context,
    errors: ErrorCollector,
) -> dict[str, object] | None:
    if any(position >= len(cells) for position in layout.positions.values()):
        errors.add(number, None, f"expected {layout.width} values, found {len(cells)}")
        return None
    stray = [
        cell
        for position, cell in enumerate(cells)
        if (position >= layout.width or position in layout.unnamed) and cell.strip()
    ]
    if stray:
        errors.add(
            number,
            None,
            f"expected {layout.width} values, found {len(cells)}: a value lies outside any "
            "named column",
            stray[0],
        )
        return None
    before = errors.total
    values: dict[str, object] = {}
    for column in spec.columns:
        position = layout.positions.get(column.name)
        raw = cells[position] if position is not None else ""
        if not column.required and not raw.strip():
            values[column.name] = column.default
            continue
        try:
            values[column.name] = column.parse(raw, ctx)
        except _CellError as exc:
            errors.add(number, column.name, str(exc), raw)
    return values if errors.total == before else None


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _parse(
    spec: _Spec,
    data: bytes,
    *,
    max_bytes: int | None,
    allow_extra_columns: bool,
    row_errors: ErrorCollector | None,
) -> ParsedCsv[Any]:
    text, had_bom = _decode(data, max_bytes)
    delimiter = _sniff_delimiter(_first_line(text), ALIASES[spec.kind])
    ctx = _Context(decimal_comma=delimiter == ";")
    errors = ErrorCollector() if row_errors is None else row_errors
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(reader, errors)
    # Blank lines before the header are tolerated; the header is the first row with content.
    header_row, header = next(((n, cells) for n, cells in records if any(cells)), (0, []))
    layout = _layout(spec, header, allow_extra_columns, errors)
    # A header problem makes the reading of every row doubtful: report the header alone.
    errors.raise_if_any()

    rows: list[Any] = []
    seen: dict[tuple[object, ...], int] = {}
    data_rows = 0
    for number, cells in records[header_row:]:
        if not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        values = _row_values(spec, layout, number, cells, ctx, errors)
        if values is None:
            continue
        key = tuple(values[name] for name in spec.key)
        if key in seen:
            errors.add(
                number,
                ", ".join(spec.key),
                f"same {_join(spec.key)} as row {seen[key]}",
                " / ".join(str(part) for part in key),
            )
            continue
        seen[key] = number
        rows.append(spec.build(row=number, **values))
    if not data_rows:
        errors.add(None, None, "the file has a header but no data rows")
    if row_errors is None:
        errors.raise_if_any()
    return ParsedCsv(
        kind=spec.kind,
        rows=tuple(rows),
        delimiter=delimiter,
        had_bom=had_bom,
        headers=layout.headers,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )


def check_unique(rows: Sequence[Any], key: Sequence[str], errors: ErrorCollector) -> None:
    """Report rows (typed, with `.row`) repeating an earlier row's key, as the parser does."""
    seen: dict[tuple[object, ...], int] = {}
    for row in rows:
        value = tuple(getattr(row, name) for name in key)
        if value in seen:
            errors.add(
                row.row,
                ", ".join(key),
                f"same {_join(key)} as row {seen[value]}",
                " / ".join(str(part) for part in value),
            )
        else:
            seen[value] = row.row


# ---------------------------------------------------------------------------- public API
def parse_csv(
    kind: CsvKind | str,
    data: bytes,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    allow_extra_columns: bool = False,
    row_errors: ErrorCollector | None = None,
) -> ParsedCsv[Any]:
    """Validate a whole file of `kind`: typed rows, or `CsvValidationError` listing why not.

    `max_bytes=None` lifts the size limit (for trusted local files). With
    `allow_extra_columns`, columns this kind does not know are ignored instead of refused.
    With `row_errors`, the problems of the rows go there and the rows that passed come back,
    so the caller's own checks (unknown codes, ...) can join them in one answer; problems with
    the file as a whole (size, encoding, header) still raise at once.
    """
    return _parse(
        _SPECS[CsvKind(kind)],
        data,
        max_bytes=max_bytes,
        allow_extra_columns=allow_extra_columns,
        row_errors=row_errors,
    )


def parse_stores(data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> ParsedCsv[StoreRow]:
    return parse_csv(CsvKind.STORES, data, max_bytes=max_bytes)


def parse_categories(
    data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ParsedCsv[CategoryRow]:
    return parse_csv(CsvKind.CATEGORIES, data, max_bytes=max_bytes)


def parse_historical_sales(
    data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ParsedCsv[HistoricalSaleRow]:
    return parse_csv(CsvKind.HISTORICAL_SALES, data, max_bytes=max_bytes)


def parse_weekly_actuals(
    data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ParsedCsv[WeeklyActualRow]:
    return parse_csv(CsvKind.WEEKLY_ACTUALS, data, max_bytes=max_bytes)
