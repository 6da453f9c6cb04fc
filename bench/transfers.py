"""The weekly transfer proposal (docs/transfers.md): time for the sample's size and for 5,000
store series.

    .venv/bin/python bench/transfers.py [--repeats R]

A season of S stores x C categories x 12 weeks, 4 weeks in, weekly replenishment, lead times
of one and two weeks, from a fixed seed; a third of the stores sell 1.6x their plan, a third
0.6x (the donors), the rest on plan. The proposal is what the forecast service computes after
an upload: every category's ledger, its donors and receivers by the rules, the HiGHS flow
program and its rounding to moves of 50-300 units, the moves posted on the ledger to measure the
lost sales saved. Pure computation (no database).
Target: the sample (50 stores x 4 categories = 200 series) under 1 s at the median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from _timing import print_machine, verdict
from stock_ledger import HORIZON, WEEKS_IN, assemble, category_codes, category_inputs, store_names

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.season import SeasonStock
from planner_shared.stock.transfer_plan import propose
from planner_shared.stock.transfers import TransferRules

RULES = TransferRules(unit_cost=1.5)


def season(stores: int, categories: int, seed: int = 11) -> SeasonStock:
    """bench/stock_ledger.py's season with a third of the stores selling 1.6x their plan and
    a third 0.6x (after four weeks on plan): the donors and receivers a transfer pairs."""
    rng = np.random.default_rng(seed)
    names = store_names(stores)
    transit = rng.integers(1, 3, stores).astype(np.int64)
    inputs = {}
    for code in category_codes(categories):
        plan = rng.gamma(4.0, 20.0, stores)[None, :] * np.ones((HORIZON, 1))
        pace = rng.choice([0.6, 1.0, 1.6], stores) * rng.uniform(0.9, 1.1, stores)
        demand = plan * pace
        demand[:WEEKS_IN] = plan[:WEEKS_IN]
        initial = np.floor(plan[0] * 6)
        inputs[code] = category_inputs(
            code,
            names,
            transit,
            initial=initial,
            dc_opening=float(initial.sum() * 0.6),
            actual_sales=np.tile(np.minimum(np.floor(plan[0] * pace), initial / 5), (WEEKS_IN, 1)),
            demand=demand,
        )
    return assemble(names, transit, inputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print_machine()
    print(
        f"{'case':<40}{'series':>8}{'moves':>7}{'lost before':>13}{'after':>11}"
        f"{'median ms':>11}{'cpu ms':>8}"
    )
    failed = False
    for label, stores, cats, target, repeats in (
        ("transfer proposal (sample)", 50, 4, 1000.0, args.repeats),
        ("transfer proposal", 1250, 4, None, max(args.repeats // 3, 1)),
    ):
        stock = season(stores, cats)
        seconds, cpu, proposal = [], [], None
        for _ in range(repeats):
            started, used = time.perf_counter(), time.process_time()
            proposal = propose(stock, RULES, TransferStrategy.HYBRID)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        assert proposal is not None
        middle = 1000 * statistics.median(seconds)
        mark, over = verdict(middle, target)
        failed |= over
        print(
            f"{label:<40}{stores * cats:>8}{len(proposal.moves):>7}"
            f"{proposal.lost_sales_before:>13,.0f}{proposal.lost_sales_after:>11,.0f}"
            f"{middle:>11.1f}{1000 * statistics.median(cpu):>8.1f}{mark}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
