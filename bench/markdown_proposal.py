"""The markdown proposal by category: time for the sample and for 5,000 store series.

    .venv/bin/python bench/markdown_proposal.py [--repeats R]

What the pricing agent computes at the checkpoint (docs/markdown.md), without the database:

- the demand's price elasticity of each category from the history's prices: the log-log fit
  net of store and week effects, on the sample's 31,200 store-weeks (the ledger keeps it per
  process until the history changes, so a season pays it once);
- the proposal: every candidate depth (0 to 40 % in 5 % steps) of every category projected on
  the stock ledger to the season's end, each category's best for margin, and its lines with
  every candidate's figures (`planner_agents.markdown_lines`).

The sample is the README's season after week 6 (`planner_tools.datasets.sample_markdown`);
5,000 series are 1,250 stores x 4 categories drawn as in bench/stock_ledger.py. Target: the
sample's proposal under 1 s at the median (the issue's budget for the three proposals
together); the fit and 5,000 series are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from _timing import median_p95, print_machine, timed_ms, verdict
from stock_ledger import season  # bench/stock_ledger.py: the synthetic season of S stores

from planner_agents.markdown_lines import markdown_lines
from planner_agents.stock_facts import StockFacts
from planner_shared.price_elasticity import estimate_elasticities
from planner_shared.stock.outlook import candidate_depths, markdown_outcomes
from planner_shared.stock.season import SeasonStock
from planner_tools.datasets.generator import CATEGORIES
from planner_tools.datasets.sample_markdown import history_sales, sample_season

CAP = 40.0


def propose(stock: SeasonStock) -> int:
    outcomes = markdown_outcomes(stock, candidate_depths(CAP), stock.weeks_in + 1)
    facts = StockFacts(outcomes=outcomes, elasticities=dict(stock.elasticities))
    return len(markdown_lines(facts, [], 0.6, CAP))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print_machine()
    sales = history_sales()
    catalogue: dict[str, float | None] = {c.code: None for c in CATEGORIES}
    cases: list[tuple[str, int, Callable[[], object], float | None]] = [
        (
            "price elasticity fit, 4 categories (sample)",
            len(sales),
            lambda: estimate_elasticities(sales, catalogue),
            None,
        ),
    ]
    sample = sample_season()
    big = season(1250, 4)
    cases += [
        ("markdown proposal by category (sample)", 200, lambda: propose(sample), 1000.0),
        ("markdown proposal by category", 5000, lambda: propose(big), None),
    ]
    print(f"{'case':<46}{'rows':>8}{'median ms':>11}{'p95 ms':>9}")
    failed = False
    for label, size, call, target in cases:
        middle, p95 = median_p95(timed_ms(call, args.repeats))
        mark, over = verdict(middle, target)
        failed |= over
        print(f"{label:<46}{size:>8}{middle:>11.1f}{p95:>9.1f}{mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
