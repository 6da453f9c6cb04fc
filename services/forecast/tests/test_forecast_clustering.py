"""Store clustering: well-separated groups are found exactly, named and ordered by demand."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from planner_forecast.clustering import cluster_stores


def three_groups(seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """15 stores in three obvious groups: big northern, mid southern, small eastern."""
    rng = np.random.default_rng(seed)
    groups = {
        "big": (50_000.0, 60_000, 9_000, "North", "mall"),
        "mid": (20_000.0, 30_000, 4_000, "South", "street"),
        "small": (5_000.0, 10_000, 1_000, "East", "street"),
    }
    rows, truth = [], {}
    for group, (sales, size, traffic, region, store_format) in groups.items():
        for i in range(5):
            code = f"{group[0].upper()}{i:02d}"
            truth[code] = group
            rows.append(
                {
                    "store_code": code,
                    "sales_level": sales * rng.uniform(0.95, 1.05),
                    "size_sqft": int(size * rng.uniform(0.95, 1.05)),
                    "weekly_traffic": int(traffic * rng.uniform(0.95, 1.05)),
                    "region": region,
                    "format": store_format,
                }
            )
    return pd.DataFrame(rows).set_index("store_code"), truth


def partition(labels: Mapping[str, object]) -> set[frozenset[str]]:
    groups: dict[object, set[str]] = {}
    for code, label in labels.items():
        groups.setdefault(label, set()).add(code)
    return {frozenset(members) for members in groups.values()}


def test_well_separated_groups_are_found_exactly() -> None:
    stores, truth = three_groups()
    result = cluster_stores(stores)

    assert result.k == 3
    assert not result.k_fixed
    assert partition(result.labels) == partition(truth)
    assert result.silhouette is not None
    assert result.silhouette > 0.6
    assert result.silhouette == max(result.silhouette_by_k.values())
    assert set(result.silhouette_by_k) == set(range(2, 9))


def test_clusters_are_ordered_by_demand_and_named_by_profile() -> None:
    stores, _ = three_groups()
    result = cluster_stores(stores)

    shares = [cluster.demand_share for cluster in result.clusters]
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(1.0)
    assert [c.name for c in result.clusters] == [
        "High-volume large stores (North)",
        "Mid-volume mid-size stores (South)",
        "Low-volume small stores (East)",
    ]
    top = result.clusters[0]
    assert top.size == 5
    assert all(code.startswith("B") for code in top.store_codes)
    assert top.mean_features["sales_level"] == pytest.approx(
        stores.loc[top.store_codes, "sales_level"].mean()
    )
    assert top.attribute_mix["region"] == {"North": 1.0}
    assert "region=North" in result.features


def test_fixed_k_is_honoured_and_results_are_deterministic() -> None:
    stores, _ = three_groups()
    two = cluster_stores(stores, k=2)
    assert two.k == 2
    assert two.k_fixed
    assert two.silhouette_by_k == {}
    assert cluster_stores(stores, k=2) == two
    with pytest.raises(ValueError, match="k must be between"):
        cluster_stores(stores, k=16)


def test_tiny_and_degenerate_store_sets() -> None:
    stores, _ = three_groups()
    one = cluster_stores(stores.iloc[:1])
    assert one.k == 1
    assert one.silhouette is None
    assert one.clusters[0].demand_share == 1.0

    identical = pd.DataFrame(
        {"sales_level": [10.0] * 4, "size_sqft": [100] * 4, "region": ["North"] * 4},
        index=["A", "B", "C", "D"],
    )
    same = cluster_stores(identical)
    assert same.k == 1
    assert same.labels == {"A": 0, "B": 0, "C": 0, "D": 0}

    with pytest.raises(ValueError, match="no stores"):
        cluster_stores(stores.iloc[:0])
