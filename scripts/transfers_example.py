"""The worked example of docs/transfers.md: six stores of one category, 4 weeks in, three
selling about twice their plan and three 0.60x (shared/tests/test_stock_transfers.py's
`season(3, stores=6)`), proposed under `dc_only` and `hybrid`.

    uv run --frozen python scripts/transfers_example.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import build_category
from planner_shared.stock.transfers import (
    apply_moves,
    projected_lost,
    propose_category,
    velocity,
)

TESTS = Path(__file__).resolve().parents[1] / "shared" / "tests" / "test_stock_transfers.py"


def _tests() -> Any:
    """The test module whose season this is (one definition of it)."""
    spec = importlib.util.spec_from_file_location("test_stock_transfers", TESTS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    tests = _tests()
    inputs = tests.season(3, stores=6)
    ledger = build_category(inputs)
    print("sales vs plan", np.round(velocity(ledger), 2))
    print("stock after week 4", ledger.closing[3], "DC", ledger.dc_closing[3])
    print("lost from week 5", np.round(ledger.lost[4:].sum(axis=0)))
    for strategy in (TransferStrategy.DC_ONLY, TransferStrategy.HYBRID):
        proposal = propose_category(inputs, tests.MARGIN, tests.RULES, strategy)
        after = build_category(apply_moves(inputs, proposal.moves))
        print(
            f"{strategy.value}: margin saved {proposal.objective:,.0f}, lost sales "
            f"{projected_lost(ledger):,.0f} -> {projected_lost(after):,.0f}"
        )
        for m in proposal.moves:
            print(f"  {m.source} -> {m.target} {m.units} (week {m.arrival_week}): {m.why}")


if __name__ == "__main__":
    main()
