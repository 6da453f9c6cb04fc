"""Scenario evaluation: time for the sample's size and for 5,000 store series.

    .venv/bin/python bench/scenarios.py [--repeats R]

The season of bench/stock_ledger.py (S stores x C categories x 12 weeks, lead times of one and
two weeks, demand from a fixed seed), forked before the buy: a scenario with every lever the
sample's example moves (the buy of one category raised, the DC holdback at 30 %, bi-weekly
replenishment, a markdown, a demand adjustment, an elasticity) is applied and evaluated on the
point path and both ends of the 80 % band, then the live plan likewise and the differences,
as `POST /api/workflows/{id}/scenarios` computes them (its database reads and write are not
timed here). With a transfer strategy ('hybrid', the season's default) the season's transfer
rule runs after every week ahead on every path, for the scenario and the live plan alike; the
in-season case forks the same season 4 weeks in, its stores selling unevenly against plan.
Target: the sample (50 stores x 4 categories) under 2 s at p95.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np
from _timing import print_machine, timed_ms, verdict
from stock_ledger import season

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.levers import ScenarioLevers
from planner_shared.stock.scenario import Fork, compare, evaluate_levers
from planner_shared.stock.scenario_transfers import NO_TRANSFERS, Transfers
from planner_shared.stock.transfers import TransferRules

TARGET_P95_MS = 2000.0


def transfers(strategy: TransferStrategy) -> Transfers:
    return Transfers(strategy, TransferRules(unit_cost=1.5))


def fork(stores: int, categories: int, strategy: TransferStrategy | None = None) -> Fork:
    stock = season(stores, categories)
    inputs = {
        code: replace(i, actual_sales=i.actual_sales[:0], initial=np.zeros(stores))
        for code, i in stock.inputs.items()
    }
    pre = replace(stock, weeks_in=0, inputs=inputs, allocated=False)
    targets = {code: stock.paths[code].point.sum(axis=0) for code in stock.categories}
    return Fork(pre, 45.0, targets, transfers(strategy) if strategy else NO_TRANSFERS)


def in_season(stores: int, categories: int, strategy: TransferStrategy) -> Fork:
    stock = season(stores, categories)
    targets = {code: stock.paths[code].point.sum(axis=0) for code in stock.categories}
    return Fork(stock, 45.0, targets, transfers(strategy))


def levers(codes: list[str], *, before_the_buy: bool = True) -> ScenarioLevers:
    first, last = codes[0], codes[-1]
    if not before_the_buy:
        return ScenarioLevers.model_validate(
            {
                "replenishment_strategy": "bi_weekly",
                "markdown": {last: {"markdown_percentage": 20, "markdown_checkpoint_week": 8}},
                "demand_adjustment": {first: {"change_percentage": 10, "weeks": [5, 6, 7]}},
            }
        )
    return ScenarioLevers.model_validate(
        {
            "buy": {first: 6_155 + 5_000},
            "dc_holdback_percentage": 30,
            "replenishment_strategy": "bi_weekly",
            "markdown": {last: {"markdown_percentage": 20, "markdown_checkpoint_week": 8}},
            "demand_adjustment": {first: {"change_percentage": 10, "weeks": [1, 2, 3]}},
            "demand_elasticity": {last: -2.5},
        }
    )


def scenario(f: Fork, lv: ScenarioLevers) -> None:
    compare(evaluate_levers(f, lv), evaluate_levers(f, ScenarioLevers()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print_machine()
    print(f"{'case':<60}{'series':>8}{'p50 ms':>9}{'p95 ms':>9}")
    hybrid = TransferStrategy.HYBRID
    failed = False
    for label, stores, cats, target, make in (
        ("scenario + live plan + differences (sample)", 50, 4, TARGET_P95_MS, fork),
        ("scenario + live plan + differences", 1250, 4, None, fork),
        (
            "  transfers hybrid, before the buy (sample)",
            50,
            4,
            TARGET_P95_MS,
            lambda s, c: fork(s, c, hybrid),
        ),
        (
            "  transfers hybrid, 4 weeks in (sample)",
            50,
            4,
            TARGET_P95_MS,
            lambda s, c: in_season(s, c, hybrid),
        ),
        ("  transfers hybrid, before the buy", 1250, 4, None, lambda s, c: fork(s, c, hybrid)),
    ):
        f = make(stores, cats)
        lv = levers(sorted(f.stock.categories), before_the_buy=f.before_the_buy)
        ms = timed_ms(lambda f=f, lv=lv: scenario(f, lv), args.repeats)
        p50, p95 = ms[len(ms) // 2], ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        mark, over = verdict(p95, target)
        failed |= over
        print(f"{label:<60}{stores * cats:>8}{p50:>9.1f}{p95:>9.1f}{mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
