"""The code's health figures, against the targets of issue 23 (`make fitness`).

    duplicate pairs       places sharing six or more lines (`duplicates`, when installed)
    functions > 60 lines  in the services', shared and tools packages (tests excluded)
    type: ignore          in every tracked Python file, each with its reason on the line before

Prints the figures and the worst offenders; exits 0 (a report, not a gate) unless --strict.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"duplicate pairs": 100, "functions over 60 lines": 10, "type: ignore": 10}
LONG = 60
# Generated from Python (scripts/openapi_types.py): repetition there is the generator's.
GENERATED = ("console/src/api-types.ts", "console/src/model-labels.ts")
IGNORE = re.compile(r"#\s*type:\s*ignore")
PACKAGES = [*ROOT.glob("services/*/src"), ROOT / "shared" / "src", ROOT / "tools" / "src"]


def tracked_python() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


def long_functions() -> list[tuple[int, str]]:
    found = []
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > LONG:
                        where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                        found.append((length, where))
    return sorted(found, reverse=True)


def type_ignores() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked_python()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if IGNORE.search(line)
    ]


def duplicate_pairs() -> tuple[int | None, str]:
    tool = shutil.which("duplicates")
    if tool is None:
        return None, "`duplicates` is not installed here: figure skipped"
    out = subprocess.run(
        [tool, "--repo", str(ROOT), "--most", "200", "--seconds", "120"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    rows = [line for line in out.splitlines() if re.match(r"^D\d+ ", line)]
    kept = [row for row in rows if not any(g in row for g in GENERATED)]
    more = re.search(r"\(\+(\d+) more pairs\)", out)
    total = len(kept) + (int(more.group(1)) if more else 0)
    note = f"{len(rows) - len(kept)} pairs inside generated files not counted"
    if more:
        note += "; past the 200 rows listed, pairs are counted without that filter"
    return total, note


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure is over")
    args = parser.parse_args()
    pairs, note = duplicate_pairs()
    functions = long_functions()
    ignores = type_ignores()
    figures = {
        "duplicate pairs": pairs,
        "functions over 60 lines": len(functions),
        "type: ignore": len(ignores),
    }
    over = False
    for name, value in figures.items():
        target = TARGETS[name]
        if value is None:
            print(f"{name:<24} {'-':>5}   (target <= {target}; {note})")
            continue
        mark = "ok" if value <= target else "OVER"
        over |= value > target
        extra = f"; {note}" if name == "duplicate pairs" else ""
        print(f"{name:<24} {value:>5}   (target <= {target}: {mark}{extra})")
    print(f"\nfunctions over {LONG} lines, longest first:")
    for length, where in functions:
        print(f"  {length:>4}  {where}")
    print("\ntype: ignore:")
    for where in ignores:
        print(f"  {where}")
    return 1 if args.strict and over else 0


if __name__ == "__main__":
    sys.exit(main())
