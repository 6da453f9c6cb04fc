"""The three decisions of a season, one after another, for the sample: the buy (every
category's newsvendor order), the markdown (every category's candidate depths projected on the
ledger at the checkpoint) and the transfers (the week's program and its moves on the ledger).

    .venv/bin/python bench/decisions.py [--repeats R]

Each is what its service computes, without the database, on the sample's size (50 stores x 4
categories): bench/buy_proposal.py's season, the README's season after week 6
(`planner_tools.datasets.sample_markdown`), bench/transfers.py's season after week 4. Target:
the three together under 1 s at the median (issue 25). The machine is shared, so each line
also gives the CPU time the process used (`time.process_time`, every thread of the process):
the wall-clock time of a loaded machine is an upper bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import buy_proposal  # bench/buy_proposal.py
import markdown_proposal  # bench/markdown_proposal.py
import transfers  # bench/transfers.py

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.transfer_plan import propose as propose_transfers
from planner_tools.datasets.sample_markdown import sample_season

TARGET_MS = 1000.0


def timed(call: Callable[[], object], repeats: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeats):
        started, used = time.perf_counter(), time.process_time()
        call()
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - used))
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"machine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start"
    )
    buy = buy_proposal.season(50, 4)
    checkpoint = sample_season()
    week_4 = transfers.season(50, 4)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("buy proposal", lambda: buy_proposal.propose(buy)),
        ("markdown proposal", lambda: markdown_proposal.propose(checkpoint)),
        (
            "transfer proposal",
            lambda: propose_transfers(week_4, transfers.RULES, TransferStrategy.HYBRID),
        ),
    ]
    print(f"{'decision (sample, 200 series)':<34}{'median ms':>11}{'cpu ms':>9}")
    total_wall = total_cpu = 0.0
    for label, call in cases:
        call()  # warm: imports and caches a service pays once
        wall, cpu = timed(call, args.repeats)
        middle, used = statistics.median(wall), statistics.median(cpu)
        total_wall, total_cpu = total_wall + middle, total_cpu + used
        print(f"{label:<34}{middle:>11.1f}{used:>9.1f}")
    verdict = " ok" if total_wall < TARGET_MS else f" OVER {TARGET_MS:g} ms"
    print(f"{'the three together':<34}{total_wall:>11.1f}{total_cpu:>9.1f}{verdict}")
    return 0 if total_wall < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
