"""§18 categories, §21 stores and health, the v1 category id, and the 404 of the paths the
contract names without a shape."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import ReadSession
from planner_gateway.errors import ApiError
from planner_gateway.v1 import tiers
from planner_gateway.v1.schemas import CategoryItem, CategoryListAnswer, HealthAnswer, StoreItem
from planner_shared.db.models import Category, HistoricalSale, Store

router = APIRouter()

_GENDER_PREFIXES = ("womens_", "women_", "mens_", "men_", "kids_")


def _plain(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    for prefix in _GENDER_PREFIXES:
        key = key.removeprefix(prefix)
    return key.replace("_", " ").rstrip("s")


async def category_of(session: AsyncSession, category_id: str) -> Category | None:
    """Our category for a v1 category id: its code, or its name (`womens_dresses` is
    Dresses: a gender prefix, underscores and a plural are not part of the name)."""
    categories = list(await session.scalars(select(Category).order_by(Category.code)))
    code = match_category(category_id, [(c.code, c.name) for c in categories])
    return next((c for c in categories if c.code == code), None)


def match_category(category_id: str, categories: Sequence[tuple[str, str]]) -> str | None:
    """The code of the category (code, name), in code order, that a v1 category id names:
    as `category_of`, without the database (the upload's worker process runs it)."""
    for code, _name in categories:
        if code.lower() == category_id.strip().lower():
            return code
    wanted = _plain(category_id)
    for code, name in categories:
        if _plain(name) == wanted:
            return code
    return None


async def category_codes_for(session: AsyncSession, category_id: str | None) -> list[str] | None:
    """The categories a v1 workflow plans: the one its `category_id` names, or every
    category when it names none we hold (the id is then ignored, as the contract allows)."""
    if not category_id:
        return None
    found = await category_of(session, category_id)
    return [found.code] if found else None


def _item(c: Category) -> CategoryItem:
    return CategoryItem(
        id=c.code,
        name=c.name,
        description=f"{c.name}: unit price {c.unit_price:.2f}, elasticity {c.price_elasticity:g}",
    )


@router.get("/categories", response_model=CategoryListAnswer, summary="§18 Categories")
async def categories(_: CurrentPrincipal, session: ReadSession) -> CategoryListAnswer:
    rows = await session.scalars(select(Category).order_by(Category.code))
    return CategoryListAnswer(categories=[_item(c) for c in rows])


@router.get("/categories/{category_id}", response_model=CategoryItem, summary="§18 One category")
async def category(category_id: str, _: CurrentPrincipal, session: ReadSession) -> CategoryItem:
    found = await category_of(session, category_id)
    if found is None:
        raise ApiError(404, f"category {category_id} not found")
    return _item(found)


@router.get("/stores", response_model=list[StoreItem], summary="§21 Stores (bare list)")
async def stores(_: CurrentPrincipal, session: ReadSession) -> list[StoreItem]:
    rows = list(await session.scalars(select(Store).order_by(Store.code)))
    latest = await session.scalar(select(func.max(HistoricalSale.week_start)))
    weekly: defaultdict[object, float] = defaultdict(float)
    if latest is not None:
        since = latest.toordinal() - 7 * 51
        for store_id, units in await session.execute(
            select(HistoricalSale.store_id, func.sum(HistoricalSale.units))
            .where(HistoricalSale.week_start >= datetime.fromordinal(since).date())
            .group_by(HistoricalSale.store_id)
        ):
            weekly[store_id] = float(units) / 52.0
    size_tiers = tiers.size_tiers({s.code: s.size_sqft for s in rows})
    return [
        StoreItem(
            store_id=s.code,
            store_name=s.name,
            cluster_id=None,
            store_size_sqft=s.size_sqft,
            location_tier={"Large": "A", "Medium": "B", "Small": "C"}[size_tiers[s.code]],
            fashion_tier=None,
            store_format=s.format,
            region=s.region,
            median_income=None,
            avg_weekly_sales_12mo=round(weekly[s.id], 2),
        )
        for s in rows
    ]


def _version() -> str:
    try:
        return version("planner-gateway")
    except PackageNotFoundError:
        return "0.1.0"


@router.get("/health", response_model=HealthAnswer, summary="§21 Health")
async def health(session: ReadSession) -> HealthAnswer:
    try:
        await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the answer is the report: any database failure is "error"
        database = f"error: {exc.__class__.__name__}"
    return HealthAnswer(
        status="ok" if database == "ok" else "degraded",
        version=_version(),
        timestamp=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        services={"database": database, "api": "ok"},
    )


# Paths the contract lists (§21) without a request or answer shape: they answer its 404.
UNDEFINED_PATHS = (
    ("POST", "/parameters/validate"),
    ("POST", "/workflows"),
    ("GET", "/workflows/{workflow_id}/status"),
    ("POST", "/workflows/{workflow_id}/cancel"),
    ("GET", "/forecasts/{forecast_id}/metrics"),
    ("GET", "/forecasts/{forecast_id}/timeseries"),
    ("GET", "/stores/{store_id}"),
    ("GET", "/stores/clusters/{cluster_id}"),
    ("GET", "/allocations/{workflow_id}/store/{store_id}"),
    ("GET", "/workflows/{workflow_id}/approvals"),
    ("GET", "/workflows/{workflow_id}/approvals/{approval_id}"),
    ("POST", "/workflows/{workflow_id}/approvals/{approval_id}/respond"),
)


def undefined_router() -> APIRouter:
    """Included last, so that the defined paths win (`/stores/clusters` before
    `/stores/{store_id}`)."""
    undefined = APIRouter(include_in_schema=False)

    async def not_in_contract() -> None:
        raise ApiError(
            404,
            "not found: contract v1 names this path but defines no request or answer for it",
        )

    for method, path in UNDEFINED_PATHS:
        undefined.add_api_route(path, not_in_contract, methods=[method])
    return undefined
