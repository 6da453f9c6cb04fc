"""§12 `POST /workflows/{id}/{demand|inventory|pricing}/upload`: the contract's file types,
checked whole (upload_formats.py), then checked against what we hold (stores, categories),
then stored where planning reads them. The answer is 200 `VALID`/`INVALID` with the
contract's `errors[]`; an invalid file stores nothing.

- `sales_data` -> `weekly_actuals`, one domain upload per week (as
  `POST /api/data/weekly-actuals`), read by the variance check and re-forecast; accepted
  while the season runs;
- `store_profiles` -> `uploaded_store_profiles`, read by the store clustering (size,
  region, segment);
- `dc_inventory` -> `uploaded_dc_inventory`, read by the manufacturing quantity (free DC
  stock is the stock on hand);
- `safety_stock` -> `uploaded_safety_stock`, read by the manufacturing order and the
  allocation (a store's units replace its computed safety stock; the reorder point is shown
  by the v1 allocation plan only);
- `lead_times` -> `uploaded_lead_times`, read by the manufacturing plan (the date the order
  is needed at the DC) and the replenishment (a delivery's transit weeks, the last week a
  store can still be replenished);
- `elasticity` -> `uploaded_elasticities`, read by the markdown proposal;
- `markdown_history` -> `uploaded_markdown_history`, read by the markdown proposal (the
  demand lift per markdown point gives the elasticity where none was uploaded);
- `competitor_prices` -> refused (`OTHER`): no part of planning reads it.

Reference data is read when the workflow is planned: upload it before execute (the client's
upload button shows as soon as the workflow exists). A newer upload of a type replaces the
older one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import Principal, SeasonWriter
from planner_gateway.deps import StateDep, UnitOfWork
from planner_gateway.errors import ApiError
from planner_gateway.parse_pool import ParsePool
from planner_gateway.services import actuals, reference_data
from planner_gateway.v1 import catalog, lookup
from planner_gateway.v1.schemas import UploadAnswer, UploadError
from planner_gateway.v1.upload_formats import (
    AGENT_FILE_TYPES,
    COLUMNS,
    MAX_DC_UNITS,
    Checked,
    Problem,
    check,
)
from planner_shared.bus.router import MessageContext
from planner_shared.datasets.csv_formats import CsvValidationError, WeeklyActualRow
from planner_shared.db.models import Category, Store
from planner_shared.workflow import WorkflowState

router = APIRouter()

READ_CHUNK = 1024 * 1024


def upload_paths(prefix: str = "/api/v1") -> list[str]:
    """The upload paths with a placeholder, for the body limit (which matches by pattern)."""
    return [f"{prefix}/workflows/{{workflow_id}}/{agent}/upload" for agent in AGENT_FILE_TYPES]


async def _read(upload: UploadFile, max_bytes: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(READ_CHUNK):
        data.extend(chunk)
        if len(data) > max_bytes:
            raise ApiError(413, f"the file is larger than {max_bytes:,} bytes")
    return bytes(data)


LISTED_PROBLEMS = 50
"""A refused file's answer lists this many problems and counts the others: a 10 MB file of
bad rows would otherwise be answered with a problem per row (a reply of 100 MB, built on the
event loop)."""


@dataclass(frozen=True)
class Known:
    """The codes a file is checked against, read before the parse and sent to the worker."""

    stores: frozenset[str]
    """Store codes, upper case."""
    categories: tuple[tuple[str, str], ...]
    """Category codes and names, in code order."""

    @property
    def category_codes(self) -> list[str]:
        return [code for code, _name in self.categories]


async def _known(session: AsyncSession) -> Known:
    stores = await session.scalars(select(Store.code))
    categories = await session.execute(select(Category.code, Category.name).order_by(Category.code))
    return Known(
        frozenset(code.upper() for code in stores),
        tuple((code, name) for code, name in categories),
    )


def _store_ids(known: Known, checked: Checked, column: str = "store_id") -> None:
    for row in checked.rows:
        if str(row[column]).upper() not in known.stores:
            checked.problems.append(
                Problem(
                    "OTHER",
                    f"unknown store {row[column]}: not one of the loaded stores",
                    row=row["_row"],
                    column=column,
                    actual_value=str(row[column]),
                )
            )


def _dc_totals(checked: Checked, skus: dict[str, str]) -> None:
    """Each row is bounded (upload_formats.BOUNDS); so is a category's stock over them, which
    planning sums (the stock on hand the manufacturing order deducts)."""
    totals: defaultdict[str, int] = defaultdict(int)
    for row in checked.rows:
        if (code := skus.get(row["sku"])) is not None:
            totals[code] += row["available_units"] - row["reserved_units"]
    for code, total in sorted(totals.items()):
        if total > MAX_DC_UNITS:
            checked.problems.append(
                Problem(
                    "OTHER",
                    f"the DC stock of {code} over the file's rows is {total:,} units, more "
                    f"than {MAX_DC_UNITS:,}",
                    column="available_units",
                    actual_value=str(total),
                )
            )


def _sku_category(sku: str, categories: Sequence[str]) -> str | None:
    """A SKU names its category by code: `DRES`, or `DRES-...` / `DRES_...`."""
    upper = sku.strip().upper()
    for c in categories:
        code = c.upper()
        if upper == code or upper.startswith((code + "-", code + "_")):
            return c
    return None


def _sku_categories(checked: Checked, known: Known) -> None:
    skus: dict[str, str] = {}
    for row in checked.rows:
        if (code := _sku_category(row["sku"], known.category_codes)) is None:
            codes = ", ".join(known.category_codes)
            checked.problems.append(
                Problem(
                    "OTHER",
                    f"sku {row['sku']} names no category: start it with a category code ({codes})",
                    row=row["_row"],
                    column="sku",
                    actual_value=row["sku"],
                )
            )
        else:
            skus[row["sku"]] = code
    _dc_totals(checked, skus)


def check_upload(file_type: str, data: bytes, known: Known) -> Checked:
    """Runs in a worker process: the file checked whole (upload_formats.check), then its
    store codes and SKUs against `known`. A refused file comes back without its rows and
    with its first `LISTED_PROBLEMS` problems (the others counted in `unlisted`)."""
    checked = check(file_type, data)
    if not checked.problems:
        if file_type in ("sales_data", "store_profiles", "lead_times", "safety_stock"):
            _store_ids(known, checked)
        if file_type == "dc_inventory":
            _sku_categories(checked, known)
        if file_type == "elasticity":
            _category_names(checked, known)
    if checked.problems:
        checked.unlisted = max(0, len(checked.problems) - LISTED_PROBLEMS)
        del checked.problems[LISTED_PROBLEMS:]
        checked.rows = []
    return checked


def _category_names(checked: Checked, known: Known) -> None:
    named: dict[str, str | None] = {}
    for row in checked.rows:
        name = row["category"]
        if name not in named:
            named[name] = catalog.match_category(name, known.categories)
        if named[name] is None:
            checked.problems.append(
                Problem(
                    "OTHER",
                    f"unknown category {name}",
                    row=row["_row"],
                    column="category",
                    actual_value=name,
                )
            )


async def _lookups(session: AsyncSession, file_type: str, checked: Checked) -> dict[str, Any]:
    """What the storing step uses, for a file that passed the worker's checks: our stores,
    and our categories for the SKUs and the elasticity file's category ids."""
    stores = {s.code.upper(): s for s in await session.scalars(select(Store))}
    categories = list(await session.scalars(select(Category).order_by(Category.code)))
    found: dict[str, Any] = {"stores": stores}
    if file_type == "dc_inventory":
        by_code = {c.code: c for c in categories}
        codes = [c.code for c in categories]
        found["skus"] = {
            row["sku"]: by_code[code]
            for row in checked.rows
            if (code := _sku_category(row["sku"], codes)) is not None
        }
    if file_type == "elasticity":
        by_code = {c.code: c for c in categories}
        pairs = [(c.code, c.name) for c in categories]
        named: dict[str, Category] = {}
        for row in checked.rows:
            code = catalog.match_category(row["category"], pairs)
            if code is None:  # gone since the check: refused as the check would have
                checked.problems.append(
                    Problem("OTHER", f"unknown category {row['category']}", row=row["_row"])
                )
            else:
                named[row["category"]] = by_code[code]
        found["categories"] = named
    return found


def _as_fraction(rows: list[dict[str, Any]], column: str) -> list[float]:
    """The file does not say its unit: a column with a value above 1 is in percent."""
    values = [float(r[column]) for r in rows]
    return [v / 100.0 for v in values] if any(v > 1 for v in values) else values


def _records(
    file_type: str, checked: Checked, found: dict[str, Any]
) -> list[reference_data.Record]:
    """The file's rows in the domain's terms: our ids for codes, fractions for percentages,
    the store profile's `cluster_id` as its segment."""
    rows = checked.rows
    stores = found["stores"]
    if file_type == "store_profiles":
        return [
            reference_data.StoreProfile(
                store_id=stores[r["store_id"].upper()].id,
                store_name=r["store_name"],
                region=r["region"],
                size_sqft=r["size_sqft"],
                segment=r["cluster_id"],
            )
            for r in rows
        ]
    if file_type == "dc_inventory":
        return [
            reference_data.DcStock(
                sku=r["sku"],
                dc_location=r["dc_location"],
                category_id=found["skus"][r["sku"]].id,
                available_units=r["available_units"],
                reserved_units=r["reserved_units"],
            )
            for r in rows
        ]
    if file_type == "lead_times":
        return [
            reference_data.LeadTime(
                store_id=stores[r["store_id"].upper()].id,
                dc_location=r["dc_location"],
                lead_time_days=r["lead_time_days"],
            )
            for r in rows
        ]
    if file_type == "safety_stock":
        return [
            reference_data.SafetyStock(
                store_id=stores[r["store_id"].upper()].id,
                safety_stock_units=r["safety_stock_units"],
                reorder_point=r["reorder_point"],
            )
            for r in rows
        ]
    if file_type == "elasticity":
        by_category: dict[UUID, float] = {}
        for r in rows:
            by_category[found["categories"][r["category"]].id] = r["elasticity_coefficient"]
        return [reference_data.Elasticity(c, e) for c, e in by_category.items()]
    assert file_type == "markdown_history", file_type
    return _markdown_outcomes(rows)


def _markdown_outcomes(rows: list[dict[str, Any]]) -> list[reference_data.Record]:
    fractions = {
        c: _as_fraction(rows, c) for c in ("markdown_pct", "sell_through_pct", "demand_lift_pct")
    }
    return [
        reference_data.MarkdownOutcome(
            row_number=r["_row"],
            week=r["week"],
            markdown_pct=fractions["markdown_pct"][i],
            sell_through_pct=fractions["sell_through_pct"][i],
            demand_lift_pct=fractions["demand_lift_pct"][i],
        )
        for i, r in enumerate(rows)
    ]


async def _season_category(session: AsyncSession, season: lookup.Season) -> str | Problem:
    w = season.workflow
    if w is None or not actuals.takes_actuals(WorkflowState(w.state)):
        return Problem(
            "OTHER",
            f"sales_data are the season's weekly actuals: accepted while the season runs (after "
            f"workflow_complete); workflow {season.v1_id} is {season.status}",
        )
    codes = w.category_codes or list(await session.scalars(select(Category.code)))
    if len(codes) != 1:
        return Problem(
            "OTHER",
            f"sales_data name no category and workflow {season.v1_id} plans {len(codes)} "
            "categories: upload them per category with POST /api/data/weekly-actuals",
        )
    return codes[0]


def _week_problems(week: int, exc: Exception) -> list[Problem]:
    """A refused week in the contract's terms; rows counted after the header."""
    if isinstance(exc, CsvValidationError):
        return [
            Problem(
                "OTHER",
                f"week {week}: {e.reason}",
                row=(e.row - 1) if e.row else None,
                column=e.column,
            )
            for e in exc.errors
        ] or [Problem("OTHER", f"week {week}: {exc}")]
    assert isinstance(exc, ApiError)
    return [
        Problem(
            "OTHER",
            f"week {week}: {d.message}",
            row=(d.row - 1) if d.row else None,
            column="sales_units" if d.column == "units_sold" else d.column,
            actual_value=d.value,
        )
        for d in exc.details
    ] or [Problem("OTHER", exc.message)]


async def _store_sales(
    uow: MessageContext,
    season: lookup.Season,
    checked: Checked,
    file_name: str,
    digest: str,
    principal: Principal,
) -> list[Problem]:
    """One weekly-actuals upload per week of the file, in week order, by the rules of
    `POST /api/data/weekly-actuals` (services.actuals); any refusal refuses the file (the
    caller rolls every week back)."""
    category = await _season_category(uow.session, season)
    if isinstance(category, Problem):
        return [category]
    w = season.require_workflow("sales_data")
    by_week: defaultdict[int, list[WeeklyActualRow]] = defaultdict(list)
    for r in checked.rows:
        by_week[r["week"]].append(
            WeeklyActualRow(
                row=r["_row"] + 1,
                store_code=r["store_id"].upper(),
                category_code=category,
                week_number=r["week"],
                units_sold=r["sales_units"],
            )
        )
    for week in sorted(by_week):
        try:
            await actuals.upload_week(
                uow,
                workflow_id=w.id,
                rows=by_week[week],
                filename=file_name,
                principal=principal,
                sha256=hashlib.sha256(f"{digest}:{week}".encode()).hexdigest(),
                week_number=week,
            )
        except (CsvValidationError, ApiError) as exc:
            return _week_problems(week, exc)
    return []


def _answer(
    season_id: str, file_type: str, file_name: str, size: int, checked: Checked, at: datetime
) -> UploadAnswer:
    valid = not checked.problems
    n = len(checked.problems) + checked.unlisted
    listed = f" (the first {len(checked.problems)} are listed)" if checked.unlisted else ""
    return UploadAnswer(
        workflow_id=season_id,
        file_type=file_type,
        file_name=file_name,
        file_size_bytes=size,
        rows_uploaded=len(checked.rows) if valid else 0,
        columns=checked.columns,
        validation_status="VALID" if valid else "INVALID",
        errors=None if valid else [UploadError(**p.as_dict()) for p in checked.problems],
        uploaded_at=at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        message=(
            f"{file_type}: {len(checked.rows)} rows stored"
            if valid
            else f"{n:,} error{'s' if n != 1 else ''} found{listed}; nothing was stored"
        ),
    )


COMPETITOR_PRICES_UNUSED = (
    "competitor prices are not read by any part of planning, so they are not stored"
)


def _misplaced(agent: str, file_type: str) -> str | None:
    """Why `file_type` is not an upload of `agent`'s, or None when it is."""
    if file_type not in COLUMNS:
        known = ", ".join(AGENT_FILE_TYPES[agent])
        return f"unknown file_type {file_type!r}; the {agent} upload takes {known}"
    if file_type not in AGENT_FILE_TYPES[agent]:
        owner = next(a for a, types in AGENT_FILE_TYPES.items() if file_type in types)
        return f"{file_type} belongs to the {owner} upload, not {agent}"
    return None


async def _upload(
    agent: str,
    workflow_id: str,
    file: UploadFile,
    file_type: str,
    principal: Principal,
    uow: MessageContext,
    max_bytes: int,
    parses: ParsePool,
) -> UploadAnswer:
    session = uow.session
    name = file.filename or ""
    if not name.lower().endswith(".csv"):
        raise ApiError(
            400, f"only .csv files are accepted (CSV); got {name or 'a file without a name'}"
        )
    data = await _read(file, max_bytes)
    season = await lookup.season(session, workflow_id, lock=True)
    refuse_foreign_write(season.owner, principal, season.v1_id, "upload to")
    now = datetime.now(UTC)
    misplaced = _misplaced(agent, file_type)
    if misplaced is not None:
        checked = Checked(problems=[Problem("OTHER", misplaced)])
        return _answer(season.v1_id, file_type, name, len(data), checked, now)
    # In a worker process: a large file's rows are parsed and checked off the event loop.
    checked = await parses.run(check_upload, file_type, data, await _known(session))
    if checked.problems:
        return _answer(season.v1_id, file_type, name, len(data), checked, now)
    if file_type == "competitor_prices":
        checked.problems.append(Problem("OTHER", COMPETITOR_PRICES_UNUSED))
        return _answer(season.v1_id, file_type, name, len(data), checked, now)
    found = await _lookups(session, file_type, checked)
    if checked.problems:
        return _answer(season.v1_id, file_type, name, len(data), checked, now)
    digest = hashlib.sha256(data).hexdigest()
    async with session.begin_nested() as savepoint:
        if file_type == "sales_data":
            checked.problems.extend(
                await _store_sales(uow, season, checked, name, digest, principal)
            )
        else:
            await reference_data.replace(
                session, season.v1.workflow_id, _records(file_type, checked, found)
            )
        if checked.problems:
            await savepoint.rollback()
            return _answer(season.v1_id, file_type, name, len(data), checked, now)
        record = reference_data.UploadRecord(
            file_type=file_type,
            file_name=name,
            size_bytes=len(data),
            row_count=len(checked.rows),
            columns=checked.columns,
            sha256=digest,
            uploaded_by=principal.name,
            uploaded_at=now,
        )
        await reference_data.record_upload(session, season.v1.workflow_id, record)
    return _answer(season.v1_id, file_type, name, len(data), checked, now)


CsvUpload = Annotated[UploadFile, File(description="One CSV file, with its name.")]
FileType = Annotated[
    str,
    Form(
        description="demand: sales_data, store_profiles; inventory: dc_inventory, lead_times, "
        "safety_stock; pricing: markdown_history, elasticity"
    ),
]


def _route(agent: str) -> None:
    @router.post(
        f"/workflows/{{workflow_id}}/{agent}/upload",
        response_model=UploadAnswer,
        summary=f"§12 Upload a {agent} file ({', '.join(AGENT_FILE_TYPES[agent])})",
        name=f"v1_upload_{agent}",
    )
    async def upload(
        workflow_id: str,
        file: CsvUpload,
        file_type: FileType,
        principal: SeasonWriter,
        uow: UnitOfWork,
        state: StateDep,
    ) -> UploadAnswer:
        return await _upload(
            agent,
            workflow_id,
            file,
            file_type,
            principal,
            uow,
            state.settings.max_upload_bytes,
            state.parses,
        )


for _agent in AGENT_FILE_TYPES:
    _route(_agent)
