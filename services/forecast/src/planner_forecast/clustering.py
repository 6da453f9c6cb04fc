"""Store clusters: K-means on standardised store features, k by silhouette, named by profile.

Input is one row per store (indexed by store code): numeric columns (sales level, size,
traffic and whatever else the data has) and text columns (region, format) that are one-hot
encoded. Numeric columns are z-scored; one-hot columns are scaled by 1/sqrt(2) so that two
stores in different regions are exactly one standard deviation apart on that feature, the
same weight a one-sd difference in sales carries. Columns with no variation are dropped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

_HIGH = 0.5  # cluster mean above +0.5 sd of the store population: "high" / "large"
_LOW = -0.5


class ClusterProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: int
    name: str
    store_codes: list[str]
    size: int
    demand_share: float
    mean_features: dict[str, float]
    # Share of each value of every text column (region, format) among the cluster's stores.
    attribute_mix: dict[str, dict[str, float]]


class ClusteringResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    k: int
    labels: dict[str, int]
    clusters: list[ClusterProfile]
    silhouette: float | None
    silhouette_by_k: dict[int, float]
    features: list[str]
    k_fixed: bool


def _design_matrix(stores: pd.DataFrame) -> pd.DataFrame:
    numeric = stores.select_dtypes(include="number").astype(float)
    text = stores.drop(columns=numeric.columns)
    parts = []
    if not numeric.empty:
        spread = numeric.std(ddof=0)
        numeric = numeric.loc[:, spread > 0]
        parts.append((numeric - numeric.mean()) / numeric.std(ddof=0))
    if not text.empty:
        dummies = pd.get_dummies(text.astype(str), prefix_sep="=", dtype=float)
        dummies = dummies.loc[:, dummies.std(ddof=0) > 0]
        parts.append(dummies / math.sqrt(2.0))
    if not parts:
        return pd.DataFrame(index=stores.index)
    return pd.concat(parts, axis=1)


def _tier(z: float, high: str, low: str, middle: str) -> str:
    if z > _HIGH:
        return high
    if z < _LOW:
        return low
    return middle


def _name(
    members: pd.DataFrame,
    population: pd.DataFrame,
    *,
    sales_column: str,
    size_column: str,
    region_column: str,
) -> str:
    def z(column: str) -> float | None:
        if column not in population.columns:
            return None
        sd = float(population[column].std(ddof=0))
        if sd == 0:
            return 0.0
        return (float(members[column].mean()) - float(population[column].mean())) / sd

    words = []
    sales_z = z(sales_column)
    if sales_z is not None:
        words.append(_tier(sales_z, "High-volume", "Low-volume", "Mid-volume"))
    size_z = z(size_column)
    if size_z is not None:
        words.append(_tier(size_z, "large", "small", "mid-size"))
    words.append("stores")
    name = " ".join(words)
    name = name[0].upper() + name[1:]
    if region_column in members.columns:
        shares = members[region_column].astype(str).value_counts(normalize=True)
        # A region names the cluster only when it is clearly its home: most of its stores.
        place = str(shares.index[0]) if shares.iloc[0] > 0.5 else "mixed regions"
        name += f" ({place})"
    return name


def _choose_labels(
    matrix: np.ndarray, k: int | None, k_max: int, random_state: int
) -> tuple[np.ndarray, float | None, dict[int, float]]:
    """Each store's K-means label, the silhouette of the clustering and the silhouette of
    every k tried: `k` when fixed, otherwise the k with the best silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(matrix)
    distinct = len(np.unique(matrix, axis=0)) if matrix.shape[1] else 1
    silhouettes: dict[int, float] = {}

    def fit(clusters: int) -> np.ndarray:
        model = KMeans(n_clusters=clusters, n_init=10, random_state=random_state)
        return np.asarray(model.fit_predict(matrix))

    if k is not None:
        if not 1 <= k <= n:
            raise ValueError(f"k must be between 1 and the number of stores ({n})")
        if k > distinct:
            raise ValueError(f"k={k} exceeds the {distinct} distinct store profiles")
        labels = fit(k) if k > 1 else np.zeros(n, dtype=int)
        return labels, (float(silhouette_score(matrix, labels)) if 1 < k < n else None), {}
    if distinct < 3:
        # Silhouette needs 2 <= k <= n - 1 and distinct points to compare.
        return (fit(distinct) if distinct > 1 else np.zeros(n, dtype=int)), None, {}
    best: tuple[float, int, np.ndarray] | None = None
    for clusters in range(2, min(k_max, n - 1, distinct) + 1):
        candidate = fit(clusters)
        silhouettes[clusters] = float(silhouette_score(matrix, candidate))
        if best is None or silhouettes[clusters] > best[0]:
            best = (silhouettes[clusters], clusters, candidate)
    assert best is not None
    score, _, labels = best
    return labels, score, silhouettes


def _profile(
    label: int,
    mask: np.ndarray,
    stores: pd.DataFrame,
    demand: pd.Series,
    name: str,
) -> ClusterProfile:
    """One cluster's stores, demand share, mean features and mix of text values."""
    members = stores.loc[mask]
    numeric = stores.select_dtypes(include="number")
    mix: dict[str, dict[str, float]] = {
        column: {
            str(value): float(share)
            for value, share in members[column].astype(str).value_counts(normalize=True).items()
        }
        for column in stores.columns
        if column not in numeric.columns
    }
    total_demand = float(demand.sum())
    share = float(demand[mask].sum()) / total_demand if total_demand > 0 else mask.mean()
    codes = [str(code) for code in stores.index]
    return ClusterProfile(
        label=label,
        name=name,
        store_codes=[code for code, keep in zip(codes, mask, strict=True) if keep],
        size=int(mask.sum()),
        demand_share=float(share),
        mean_features={c: float(members[c].mean()) for c in numeric.columns},
        attribute_mix=mix,
    )


def cluster_stores(
    stores: pd.DataFrame,
    *,
    k: int | None = None,
    k_max: int = 8,
    random_state: int = 0,
    sales_column: str = "sales_level",
    size_column: str = "size_sqft",
    region_column: str = "region",
) -> ClusteringResult:
    """Cluster the stores; `k` fixes the number of clusters, otherwise silhouette picks it.

    Labels are ordered by demand share (label 0 sells the most) so they are stable across
    runs and readable. `sales_column` is the demand measure used for the shares.
    """
    if stores.empty:
        raise ValueError("no stores to cluster")
    if stores.index.has_duplicates:
        raise ValueError("store codes must be unique")
    features = _design_matrix(stores)
    labels, score, silhouettes = _choose_labels(
        features.to_numpy(dtype=float), k, k_max, random_state
    )
    demand = (
        stores[sales_column].astype(float)
        if sales_column in stores.columns
        else pd.Series(1.0, index=stores.index)
    )
    by_label = pd.Series(demand.to_numpy(), index=labels).groupby(level=0).sum()
    order = sorted(by_label.index, key=lambda label: (-by_label[label], label))
    relabel = {old: new for new, old in enumerate(order)}
    final = [relabel[int(label)] for label in labels]
    profiles: list[ClusterProfile] = []
    used_names: dict[str, int] = {}
    for label in range(len(order)):
        mask = np.array(final) == label
        name = _name(
            stores.loc[mask],
            stores,
            sales_column=sales_column,
            size_column=size_column,
            region_column=region_column,
        )
        # Two clusters of the same profile keep apart by a number.
        used_names[name] = used_names.get(name, 0) + 1
        if used_names[name] > 1:
            name = f"{name} #{used_names[name]}"
        profiles.append(_profile(label, mask, stores, demand, name))
    return ClusteringResult(
        k=len(order),
        labels=dict(zip([str(code) for code in stores.index], final, strict=True)),
        clusters=profiles,
        silhouette=score,
        silhouette_by_k=silhouettes,
        features=list(features.columns),
        k_fixed=k is not None,
    )
