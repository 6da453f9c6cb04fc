"""The worked example of docs/transfers.md: six stores of one category, 4 weeks in, three
selling about twice their plan and three 0.60x (shared/tests/test_stock_transfers.py's
`season(3, stores=6)`), proposed under `dc_only` and `hybrid`.

    uv run --frozen python scripts/transfers_example.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared" / "tests"))

from test_stock_transfers import MARGIN, RULES, season

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import build_category
from planner_shared.stock.transfers import (
    apply_moves,
    projected_lost,
    propose_category,
    velocity,
)


def main() -> None:
    inputs = season(3, stores=6)
    ledger = build_category(inputs)
    print("sales vs plan", np.round(velocity(ledger), 2))
    print("stock after week 4", ledger.closing[3], "DC", ledger.dc_closing[3])
    print("lost from week 5", np.round(ledger.lost[4:].sum(axis=0)))
    for strategy in (TransferStrategy.DC_ONLY, TransferStrategy.HYBRID):
        proposal = propose_category(inputs, MARGIN, RULES, strategy)
        after = build_category(apply_moves(inputs, proposal.moves))
        print(
            f"{strategy.value}: margin saved {proposal.objective:,.0f}, lost sales "
            f"{projected_lost(ledger):,.0f} -> {projected_lost(after):,.0f}"
        )
        for m in proposal.moves:
            print(f"  {m.source} -> {m.target} {m.units} (week {m.arrival_week}): {m.why}")


if __name__ == "__main__":
    main()
