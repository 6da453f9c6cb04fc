"""Whole-file CSV validation: what is tolerated, and the exact error for each bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from planner_shared.datasets.csv_formats import (
    MAX_REPORTED_ERRORS,
    CsvError,
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    StoreRow,
    parse_categories,
    parse_csv,
    parse_historical_sales,
    parse_stores,
    parse_weekly_actuals,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SALES_HEADER = "store_code,category_code,week_start,units\n"


def errors_of(kind: CsvKind, data: bytes, **kwargs: Any) -> list[CsvError]:
    with pytest.raises(CsvValidationError) as caught:
        parse_csv(kind, data, **kwargs)
    return caught.value.errors


def only_error(kind: CsvKind, data: bytes) -> CsvError:
    errors = errors_of(kind, data)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------------------- the shipped files
@pytest.mark.parametrize(
    ("name", "kind", "rows"),
    [
        ("stores.csv", CsvKind.STORES, 50),
        ("categories.csv", CsvKind.CATEGORIES, 4),
        ("historical_sales.csv", CsvKind.HISTORICAL_SALES, 50 * 4 * 156),
        ("season_demand.csv", CsvKind.WEEKLY_ACTUALS, 50 * 4 * 12),
        ("weekly_actuals_by_week/week_04.csv", CsvKind.WEEKLY_ACTUALS, 50 * 4),
    ],
)
def test_the_shipped_sample_files_validate(name: str, kind: CsvKind, rows: int) -> None:
    parsed = parse_csv(kind, (SAMPLE / name).read_bytes())
    assert len(parsed.rows) == rows
    assert parsed.delimiter == ","
    assert not parsed.had_bom
    assert parsed.rows[0].row == 2


# ---------------------------------------------------------------------------- tolerated
def test_semicolons_bom_aliases_and_decimal_commas_are_read() -> None:
    data = (
        "\ufeff Category ID ;Category Name;Price;ELASTICITY;On Hand\r\n"
        "outw;Outerwear;189,5;1,6;120\r\n"
        "KNIT;Knitwear;69.00;1.4;\r\n"
    ).encode()
    parsed = parse_categories(data)
    assert parsed.had_bom
    assert parsed.delimiter_name == "semicolon"
    assert parsed.headers["category_code"] == "Category ID"
    outerwear, knitwear = parsed.rows
    assert (outerwear.category_code, outerwear.unit_price, outerwear.price_elasticity) == (
        "OUTW",
        189.5,
        1.6,
    )
    assert outerwear.stock_on_hand == 120
    assert knitwear.stock_on_hand == 0  # optional column left empty: its default


def test_tabs_blank_lines_trailing_cells_and_whole_floats_are_read() -> None:
    data = (
        b"\n"
        b"Store\tName\tRegion\tSize (sqft)\tFoot Traffic\tStore Type\t\n"
        b"s001\t Boston   Mall \tNortheast\t12000.0\t9000\tmall\t\n"
        b"\n"
        b"S002\tAustin Downtown\tSouthwest\t6000\t8000\thigh_street\n"
    )
    parsed = parse_stores(data)
    assert parsed.delimiter_name == "tab"
    assert parsed.rows == (
        StoreRow(3, "S001", "Boston Mall", "Northeast", 12000, 9000, "mall"),
        StoreRow(5, "S002", "Austin Downtown", "Southwest", 6000, 8000, "high_street"),
    )


def test_weekly_actuals_take_aliases_and_an_optional_week_start() -> None:
    data = b"store_id,category,week,qty\nS001,OUTW,4,17\n"
    (row,) = parse_weekly_actuals(data).rows
    assert (row.store_code, row.category_code, row.week_number, row.units_sold) == (
        "S001",
        "OUTW",
        4,
        17,
    )
    assert row.week_start is None


def test_dates_may_carry_a_midnight_time() -> None:
    data = (SALES_HEADER + "S001,OUTW,2024-03-04 00:00:00,5\n").encode()
    assert parse_historical_sales(data).rows[0].week_start == date(2024, 3, 4)


def test_unknown_columns_can_be_allowed() -> None:
    data = b"store_code,category_code,week_start,units,notes\nS001,OUTW,2024-03-04,5,promo\n"
    parsed = parse_csv(CsvKind.HISTORICAL_SALES, data, allow_extra_columns=True)
    assert parsed.rows[0].units == 5


# ---------------------------------------------------------------------------- refused: cells
@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("S001,OUTW,2024-03-04,-4", "units", "must not be negative"),
        ("S001,OUTW,2024-03-04,4.5", "units", "must be a whole number"),
        ("S001,OUTW,2024-03-04,many", "units", "must be a number"),
        ("S001,OUTW,2024-03-04,", "units", "must not be empty"),
        ("S001,OUTW,2024-03-04,99999999999", "units", "must be at most 2147483647"),
        ("S001,OUTW,2024-03-05,4", "week_start", "2024-03-05 is a Tuesday"),
        ("S001,OUTW,04/03/2024,4", "week_start", "must be a date written YYYY-MM-DD"),
        ("S 001,OUTW,2024-03-04,4", "store_code", "must be a code"),
        (",OUTW,2024-03-04,4", "store_code", "must not be empty"),
    ],
)
def test_a_bad_cell_names_row_column_and_reason(line: str, column: str, reason: str) -> None:
    data = (SALES_HEADER + "S001,OUTW,2024-02-26,3\n" + line + "\n").encode()
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert (error.row, error.column) == (3, column)
    assert reason in error.reason
    assert (
        error.value
        == line.split(",")[["store_code", "category_code", "week_start", "units"].index(column)]
    )


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("S001,Boston,Northeast,0,100,mall", "size_sqft", "must be at least 1"),
        ("S001,Boston,Northeast,100,-1,mall", "weekly_traffic", "must not be negative"),
        ("S001,Boston,Northeast,100,100,", "format", "must not be empty"),
    ],
)
def test_store_values_are_range_checked(line: str, column: str, reason: str) -> None:
    data = f"store_code,name,region,size_sqft,weekly_traffic,format\n{line}\n".encode()
    error = only_error(CsvKind.STORES, data)
    assert (error.row, error.column) == (2, column)
    assert reason in error.reason


def test_category_prices_must_be_positive() -> None:
    data = b"category_code,name,unit_price,price_elasticity\nOUTW,Outerwear,0,1.2\n"
    error = only_error(CsvKind.CATEGORIES, data)
    assert (error.row, error.column, error.reason) == (2, "unit_price", "must be greater than 0")


def test_weekly_actuals_weeks_stay_within_a_year() -> None:
    data = b"store_code,category_code,week_number,units_sold\nS001,OUTW,53,4\n"
    error = only_error(CsvKind.WEEKLY_ACTUALS, data)
    assert (error.row, error.column, error.reason) == (2, "week_number", "must be at most 52")


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    data = (
        SALES_HEADER + "S001,OUTW,2024-03-04,-1\nS002,OUTW,2024-03-04,2\nS003,x y,2024-03-04,1\n"
    ).encode()
    errors = errors_of(CsvKind.HISTORICAL_SALES, data)
    assert [(e.row, e.column) for e in errors] == [(2, "units"), (4, "category_code")]


def test_the_list_is_capped_and_counts_the_rest() -> None:
    bad = "".join(f"S{i:03d},OUTW,2024-03-04,-1\n" for i in range(MAX_REPORTED_ERRORS + 10))
    with pytest.raises(CsvValidationError) as caught:
        parse_historical_sales((SALES_HEADER + bad).encode())
    assert len(caught.value.errors) == MAX_REPORTED_ERRORS
    assert caught.value.total == MAX_REPORTED_ERRORS + 10
    assert caught.value.omitted == 10
    assert "60 problems" in str(caught.value)


# ---------------------------------------------------------------------------- refused: rows
def test_a_duplicate_key_names_the_first_row() -> None:
    data = (
        SALES_HEADER + "S001,OUTW,2024-03-04,3\nS001,KNIT,2024-03-04,3\ns001,outw,2024-03-04,9\n"
    ).encode()
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert error.row == 4
    assert error.column == "store_code, category_code, week_start"
    assert error.reason == "same store_code, category_code and week_start as row 2"


def test_a_duplicate_store_code() -> None:
    data = (
        b"store_code,name,region,size_sqft,weekly_traffic,format\n"
        b"S001,A,North,1,1,mall\nS001,B,North,1,1,mall\n"
    )
    error = only_error(CsvKind.STORES, data)
    assert (error.row, error.column, error.reason) == (3, "store_code", "same store_code as row 2")


def test_too_few_and_too_many_values() -> None:
    data = (SALES_HEADER + "S001,OUTW,2024-03-04\nS001,KNIT,2024-03-04,3,7\n").encode()
    short, long = errors_of(CsvKind.HISTORICAL_SALES, data)
    assert (short.row, short.column, short.reason) == (2, None, "expected 4 values, found 3")
    assert (long.row, long.value) == (3, "7")
    assert "outside any named column" in long.reason


def test_malformed_quoting_is_reported_at_its_row() -> None:
    data = (SALES_HEADER + 'S001,OUTW,2024-03-04,3\nS002,"OUTW,2024-03-04,3\n').encode()
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert error.row == 3
    assert error.reason.startswith("malformed CSV")


# ---------------------------------------------------------------------------- refused: the file
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \n\r\n\n"])
def test_an_empty_file(data: bytes) -> None:
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert (error.row, error.column, error.reason) == (None, None, "the file is empty")


def test_a_header_without_rows() -> None:
    error = only_error(CsvKind.HISTORICAL_SALES, SALES_HEADER.encode() + b"\n\n")
    assert error.reason == "the file has a header but no data rows"


def test_a_missing_column_lists_the_accepted_names() -> None:
    error = only_error(CsvKind.HISTORICAL_SALES, b"store_code,category_code,week_start\nS1,O,x\n")
    assert (error.row, error.column) == (1, "units")
    assert error.reason.startswith("required column is missing (accepted names: units, units_sold")


def test_an_unexpected_column_is_refused() -> None:
    data = b"store_code,category_code,week_start,units,promo\nS001,OUTW,2024-03-04,1,x\n"
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert (error.row, error.column) == (1, "promo")
    assert error.reason.startswith("unexpected column; this file takes: store_code")


def test_a_column_given_twice() -> None:
    data = b"store_code,category_code,week_start,units,qty\nS001,OUTW,2024-03-04,1,1\n"
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert (error.row, error.column) == (1, "units")
    assert error.reason == "column given twice (as 'units' and 'qty')"


def test_the_wrong_kind_of_file() -> None:
    stores = (SAMPLE / "stores.csv").read_bytes()
    errors = errors_of(CsvKind.HISTORICAL_SALES, stores)
    assert {e.column for e in errors} >= {"category_code", "week_start", "units", "name"}
    assert all(e.row == 1 for e in errors)


def test_a_file_without_a_header() -> None:
    error = only_error(CsvKind.HISTORICAL_SALES, b"S001,OUTW,2024-03-04,3\n")
    assert error.row == 1
    assert error.reason.startswith("the first row must be the header")


def test_bytes_that_are_not_utf8() -> None:
    data = SALES_HEADER.encode() + b"S001,OUTW,2024-03-04,3\nS002,CAF\xc9,2024-03-04,3\n"
    error = only_error(CsvKind.HISTORICAL_SALES, data)
    assert error.row == 3
    assert "not UTF-8 (byte 0xc9 in row 3)" in error.reason


def test_utf16_is_refused_with_advice() -> None:
    error = only_error(CsvKind.HISTORICAL_SALES, SALES_HEADER.encode("utf-16"))
    assert "UTF-16" in error.reason


def test_the_size_limit() -> None:
    data = (SALES_HEADER + "S001,OUTW,2024-03-04,3\n").encode()
    with pytest.raises(CsvTooLargeError) as caught:
        parse_historical_sales(data, max_bytes=len(data) - 1)
    assert caught.value.status_code == 413
    assert caught.value.errors[0].reason == (
        f"the file is {len(data)} bytes; the limit is {len(data) - 1} bytes"
    )
    assert len(parse_historical_sales(data, max_bytes=len(data)).rows) == 1


def test_an_error_renders_for_the_api_and_for_people() -> None:
    error = CsvError(3, "units", "must not be negative", "-4")
    assert error.as_detail() == {
        "row": 3,
        "column": "units",
        "message": "must not be negative",
        "value": "-4",
    }
    assert str(error) == "row 3, column units: must not be negative (got '-4')"
    exc = CsvValidationError([error])
    assert (exc.status_code, exc.code) == (422, "invalid_csv")
    assert str(exc) == "the file has 1 problem; nothing was stored: " + str(error)
