"""`make bench`: run every benchmark script in bench/ and fail if any of them fails.

    python scripts/run_benchmarks.py [NAME ...]   # e.g. forecast_speed; default: all

Each benchmark prints its own tables; they run one after another (they measure speed, so
they must not compete for the cores), and a summary of exit codes and times closes the run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"


def discover(names: list[str], bench_dir: Path) -> list[Path]:
    scripts = sorted(p for p in bench_dir.glob("*.py") if not p.name.startswith("_"))
    if not names:
        return scripts
    by_name = {p.stem: p for p in scripts}
    unknown = [n for n in names if n.removesuffix(".py") not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; known: {known}")
    return [by_name[n.removesuffix(".py")] for n in names]


def main(argv: list[str], bench_dir: Path = BENCH_DIR) -> int:
    scripts = discover(argv, bench_dir)
    if not scripts:
        print(f"no benchmark scripts in {bench_dir}")
        return 1
    results: list[tuple[str, int, float]] = []
    for script in scripts:
        print(f"\n=== bench/{script.name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False).returncode
        results.append((script.stem, code, time.monotonic() - started))
    print("\n=== summary ===")
    print(f"{'benchmark':<28}{'result':<10}{'seconds':>9}")
    for name, code, seconds in results:
        print(f"{name:<28}{'ok' if code == 0 else f'exit {code}':<10}{seconds:>9.1f}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
