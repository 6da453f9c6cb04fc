"""The stock ledger and its money, as the API shows them (docs/stock.md)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from planner_gateway.schemas.resources import _examples, example_of
from planner_shared.parameters import FRACTION_SCHEMA
from planner_shared.stock.alerts import AlertKind


class UnitsBand(BaseModel):
    model_config = _examples({"point": 1240.0, "lower_80": 610.0, "upper_80": 2105.0})

    point: float
    lower_80: float = Field(description="On the forecast's 80 % band: the lower end.")
    upper_80: float = Field(description="On the forecast's 80 % band: the upper end.")


class PlanWeek(BaseModel):
    """A category's stores and DC in one week; projected weeks carry their 80 % band."""

    model_config = _examples(
        {
            "week_number": 5,
            "actual": False,
            "store_opening": 8120.0,
            "receipts": 1530.0,
            "sales": 1689.4,
            "lost_sales": 12.3,
            "store_closing": 7960.6,
            "weeks_of_cover": 4.6,
            "shipped_from_dc": 1690.0,
            "dc_closing": 2130.0,
            "dc_shortfall": 0.0,
            "sales_band": {"point": 1689.4, "lower_80": 1320.0, "upper_80": 2010.5},
            "lost_sales_band": {"point": 12.3, "lower_80": 0.0, "upper_80": 88.0},
            "dc_closing_band": {"point": 2130.0, "lower_80": 1500.0, "upper_80": 2810.0},
        }
    )

    week_number: int
    actual: bool = Field(description="True for a week whose sales were uploaded.")
    store_opening: float
    receipts: float = Field(
        description="Initial allocation, replenishment arriving, adjustments (all stores)."
    )
    sales: float
    lost_sales: float = Field(
        description="Demand the stores could not serve: projected, or estimated for a week in "
        "from the stores that did not sell out."
    )
    store_closing: float
    weeks_of_cover: float | None = Field(
        description="Closing stock over next week's expected demand; null when none expected."
    )
    shipped_from_dc: float = Field(description="Shipped at the end of the week.")
    dc_closing: float
    dc_shortfall: float = Field(description="Units the stores asked for that the DC lacked.")
    sales_band: UnitsBand
    lost_sales_band: UnitsBand
    dc_closing_band: UnitsBand


class CategoryStock(BaseModel):
    model_config = _examples(
        {
            "category_code": "OUTW",
            "category_name": "Outerwear",
            "units_available": 14230.0,
            "units_sold": 4120.0,
            "sell_through_fraction": 0.2895,
            "season_sales": {"point": 12800.0, "lower_80": 10400.0, "upper_80": 14100.0},
            "season_lost_sales": {"point": 640.0, "lower_80": 120.0, "upper_80": 2300.0},
            "leftover": {"point": 1430.0, "lower_80": 130.0, "upper_80": 3830.0},
            "dc_empty_week": 9,
            "weeks": [example_of(PlanWeek)],
        }
    )

    category_code: str
    category_name: str
    units_available: float = Field(
        description="Units the season holds: the order, the DC's stock on hand, adjustments."
    )
    units_sold: float = Field(description="Sold in the weeks that are in.")
    sell_through_fraction: float | None = Field(
        description="Sold so far over units available.", json_schema_extra=FRACTION_SCHEMA
    )
    season_sales: UnitsBand = Field(description="Units sold by the end of the season.")
    season_lost_sales: UnitsBand
    leftover: UnitsBand = Field(description="Units left in the stores and DC at the end.")
    dc_empty_week: int | None = Field(
        description="The first week the DC is projected to end empty; null if it never does."
    )
    weeks: list[PlanWeek]


class StockRow(BaseModel):
    """One store's category in one week of the ledger."""

    model_config = _examples(
        {
            "store_code": "S001",
            "category_code": "OUTW",
            "week_number": 4,
            "actual": True,
            "opening": 62.0,
            "receipts": 31.0,
            "replenishment_in": 31.0,
            "adjustments": 0.0,
            "sales": 93.0,
            "lost_sales": 41.6,
            "closing": 0.0,
            "weeks_of_cover": 0.0,
            "shipped": 93.0,
        }
    )

    store_code: str
    category_code: str
    week_number: int
    actual: bool
    opening: float
    receipts: float
    replenishment_in: float
    adjustments: float
    sales: float
    lost_sales: float
    closing: float
    weeks_of_cover: float | None
    shipped: float = Field(description="Shipped to the store from the DC at the week's end.")


class DcRow(BaseModel):
    model_config = _examples(
        {
            "category_code": "OUTW",
            "week_number": 4,
            "opening": 6210.0,
            "shipped": 1530.0,
            "closing": 4680.0,
            "shortfall": 0.0,
        }
    )

    category_code: str
    week_number: int
    opening: float
    shipped: float
    closing: float
    shortfall: float


class StockAlertRead(BaseModel):
    model_config = _examples(
        {
            "kind": "dc_stockout",
            "category_code": "OUTW",
            "week_number": 7,
            "units": 1210,
            "stores": [],
            "message": "OUTW: the DC is projected to run empty in week 7, before the last "
            "shipping week (11); 1,210 units the stores ask for cannot be shipped",
            "action": "keep more at the DC (a larger holdback), order more, or move stock "
            "between stores",
        }
    )

    kind: AlertKind
    category_code: str
    week_number: int
    units: int
    stores: list[str]
    message: str
    action: str


class StockView(BaseModel):
    """The season's stock ledger: weeks in as they happened, the rest as the forward plan."""

    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "horizon_weeks": 12,
            "weeks_in": 4,
            "replenishment_strategy": "weekly",
            "categories": [example_of(CategoryStock)],
            "rows": [example_of(StockRow)],
            "dc": [example_of(DcRow)],
            "alerts": [example_of(StockAlertRead)],
        }
    )

    workflow_id: UUID
    horizon_weeks: int
    weeks_in: int
    replenishment_strategy: str
    categories: list[CategoryStock]
    rows: list[StockRow] = Field(description="Store x category x week, as filtered.")
    dc: list[DcRow]
    alerts: list[StockAlertRead]


class MoneyRead(BaseModel):
    """Money of a category or the season: null where a cost or salvage value is missing."""

    model_config = _examples(
        {
            "category_code": "TOTAL",
            "units_sold": 74210.0,
            "lost_sales": 2310.0,
            "leftover_units": 4120.0,
            "sell_through_fraction": 0.9474,
            "revenue": 5120400.0,
            "cost_of_goods_sold": 2010300.0,
            "gross_margin": 3110100.0,
            "markdown_cost": 84200.0,
            "leftover_value": 61800.0,
            "season_margin": 3050200.0,
            "gmroi": 3.42,
        }
    )

    category_code: str = Field(description="A category code, or TOTAL.")
    units_sold: float
    lost_sales: float
    leftover_units: float = Field(description="Stock left at the end of the period.")
    sell_through_fraction: float | None = Field(json_schema_extra=FRACTION_SCHEMA)
    revenue: float
    cost_of_goods_sold: float | None
    gross_margin: float | None = Field(description="Revenue less the cost of the units sold.")
    markdown_cost: float = Field(description="What the markdown gave away on units sold.")
    leftover_value: float | None = Field(description="Leftover units at their salvage value.")
    season_margin: float | None = Field(
        description="Gross margin plus the leftover's salvage less its cost: the buy's margin "
        "once the leftover is cleared."
    )
    gmroi: float | None = Field(
        description="Gross margin over the average stock held at cost (stores and DC)."
    )


class MoneyPeriod(BaseModel):
    model_config = _examples(
        {"total": example_of(MoneyRead), "by_category": [example_of(MoneyRead)]}
    )

    total: MoneyRead
    by_category: list[MoneyRead]


class SeasonMoney(BaseModel):
    """Planned (the buy's plan), actual (the weeks in) and projected (actual + forward plan)."""

    model_config = _examples(
        {
            "weeks_in": 12,
            "planned": example_of(MoneyPeriod),
            "actual": example_of(MoneyPeriod),
            "projected": example_of(MoneyPeriod),
            "missing": [],
        }
    )

    weeks_in: int
    planned: MoneyPeriod = Field(
        description="The plan the order was decided on: the first forecast on the ledger, "
        "no markdown, leftover at salvage."
    )
    actual: MoneyPeriod = Field(
        description="The weeks in as they happened; the leftover is the stock held now."
    )
    projected: MoneyPeriod = Field(
        description="The weeks in, then the forward plan with the decided markdown."
    )
    missing: list[str] = Field(
        description="What money figures cannot be computed for, and why (e.g. no unit cost)."
    )
