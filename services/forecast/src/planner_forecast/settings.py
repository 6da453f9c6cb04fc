"""Settings of the forecast service: the shared ones plus its own (PLANNER_FORECAST_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator

from planner_forecast.ensemble import DEFAULT_MEMBERS, EngineConfig
from planner_forecast.models import INTERMITTENT, MEMBER_NAMES, MemberName
from planner_shared.settings import ServiceSettings

_CORE = [name for name in MEMBER_NAMES if name not in INTERMITTENT]


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"PLANNER_FORECAST_{name.upper()}")


class ForecastSettings(ServiceSettings):
    port: int = Field(default=8002, ge=1, le=65535, validation_alias=_env("port"))
    workers: int = Field(
        default=2,
        ge=1,
        le=32,
        validation_alias=_env("workers"),
        description="Worker processes (lanes) that fit the models: every season's series are "
        "split across all of them.",
    )
    backend: Literal["local", "dask"] = Field(
        default="local",
        validation_alias=_env("backend"),
        description="'local': statsforecast in the worker lanes; 'dask': statsforecast's own "
        "fugue backend on a Dask cluster, whole series per partition.",
    )
    dask_address: str | None = Field(
        default=None,
        validation_alias=_env("dask_address"),
        description="Scheduler of the Dask cluster (tcp://host:8786) for backend 'dask'.",
    )
    dask_partitions: int = Field(
        default=8,
        ge=1,
        le=10_000,
        validation_alias=_env("dask_partitions"),
        description="Partitions the panel is split into on the Dask cluster.",
    )
    reconciliation: Literal["mint_shrink", "wls_struct", "ols", "bottom_up"] = Field(
        default="mint_shrink",
        validation_alias=_env("reconciliation"),
        description="How store, cluster and category forecasts are made to add up.",
    )
    cache_size: int = Field(
        default=16,
        ge=0,
        le=1024,
        validation_alias=_env("cache_size"),
        description="Season panels kept by content: identical requests share one fit.",
    )
    cluster_k: int | None = Field(
        default=None,
        ge=2,
        le=20,
        validation_alias=_env("cluster_k"),
        description="Fix the number of store clusters; unset, silhouette chooses it.",
    )
    min_display_units: int = Field(
        default=2,
        ge=0,
        validation_alias=_env("min_display_units"),
        description="Minimum units of each category every store gets in the allocation.",
    )
    variance_threshold: float = Field(
        default=0.20,
        gt=0,
        le=5,
        validation_alias=_env("variance_threshold"),
        description="Variance above which a week's check is reported as exceeded; the "
        "orchestrator then decides the re-forecast.",
    )
    variance_trigger: Literal["any", "total"] = Field(
        # 'any', as variance_check: re-forecasting is per category, so one category far off
        # inside a steady total (the sample's week-4 cold snap) must start it.
        default="any",
        validation_alias=_env("variance_trigger"),
        description="'any': the total or one category is enough; 'total': the total must drift.",
    )
    transfer_cost_per_unit: float = Field(
        default=1.5,
        ge=0,
        validation_alias=_env("transfer_cost_per_unit"),
        description="What moving one unit between stores or out of the DC costs (handling and "
        "freight), in the prices' currency: the transfer proposal saves margin net of it.",
    )
    service_level: float = Field(
        default=0.90,
        ge=0.5,
        lt=1,
        validation_alias=_env("service_level"),
        description="Service level the safety stock is sized for.",
    )

    members: str = Field(
        default=",".join(DEFAULT_MEMBERS),
        validation_alias=_env("members"),
        description="Comma-separated core members the combination chooses among (e.g. add "
        "'prophet' or 'lgbm', the global LightGBM model, optional members; see "
        "docs/forecasting.md). Intermittent series keep their own members.",
    )

    group_weights: bool = Field(
        default=False,
        validation_alias=_env("group_weights"),
        description="Combination weights per category, each shrunk toward the panel's "
        "(docs/forecasting.md, 'Weights per group'); off: one set for the whole panel.",
    )

    @field_validator("members")
    @classmethod
    def _known_members(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in MEMBER_NAMES or name in INTERMITTENT]
        if not names or unknown:
            raise ValueError(
                f"members must name one or more of {', '.join(_CORE)}; "
                f"not {', '.join(unknown) or 'nothing'}"
            )
        return ",".join(dict.fromkeys(names))

    def member_names(self) -> tuple[MemberName, ...]:
        return tuple(name for name in MEMBER_NAMES if name in self.members.split(","))

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            members=self.member_names(),
            backend=self.backend,
            dask_address=self.dask_address,
            dask_partitions=self.dask_partitions,
            group_weights=self.group_weights,
        )
