"""Offline brief parser: accuracy on the brief corpus per parameter, and latency per brief.

    .venv/bin/python bench/extraction_accuracy.py [--repeat 50] [--json]

Accuracy counts a parameter right when its value matches the corpus and its source does too
(a stated value must come back stated, an absent one as the default). "value" ignores the
source. Two sets are scored: the corpus the tests assert on, and the holdout briefs written
after the rules were frozen (the honest estimate on unseen briefs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from planner_extraction.evaluation import BriefScore, Corpus, score
from planner_extraction.offline_parser import parse_brief
from planner_shared.parameters import PARAMETER_NAMES

CORPUS_DIR = Path(__file__).resolve().parents[1] / "services/extraction/tests/corpus"
SETS = {"corpus": CORPUS_DIR / "briefs.yaml", "holdout": CORPUS_DIR / "holdout.yaml"}


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def evaluate(corpus: Corpus, repeat: int) -> dict[str, Any]:
    scores: list[BriefScore] = []
    latencies_ms: list[float] = []
    for brief in corpus.briefs:
        reference = corpus.reference_for(brief)
        extraction = parse_brief(brief.brief, reference_date=reference)
        scores.append(score(extraction, brief))
        for _ in range(repeat):
            started = time.perf_counter_ns()
            parse_brief(brief.brief, reference_date=reference)
            latencies_ms.append((time.perf_counter_ns() - started) / 1e6)
    count = len(scores)
    per_parameter = {
        name: {
            "correct": sum(s.parameters[name] for s in scores),
            "value_correct": sum(s.values[name] for s in scores),
            "total": count,
        }
        for name in PARAMETER_NAMES
    }
    return {
        "briefs": count,
        "per_parameter": per_parameter,
        "overall_correct": sum(p["correct"] for p in per_parameter.values()),
        "overall_value_correct": sum(p["value_correct"] for p in per_parameter.values()),
        "overall_total": count * len(PARAMETER_NAMES),
        "issues_correct": sum(s.issues_correct for s in scores),
        "usable_correct": sum(s.usable_correct for s in scores),
        "perfect_briefs": sum(s.perfect for s in scores),
        "latency_ms": {
            "median": statistics.median(latencies_ms),
            "p99": _percentile(latencies_ms, 0.99),
            "max": max(latencies_ms),
            "samples": len(latencies_ms),
        },
        "failures": {
            brief.id: result.problems
            for brief, result in zip(corpus.briefs, scores, strict=True)
            if result.problems
        },
    }


def _pct(part: int, whole: int) -> str:
    return f"{part:>3}/{whole:<3} {100 * part / whole:6.1f}%"


def render(name: str, result: dict[str, Any]) -> str:
    lines = [f"{name}: {result['briefs']} briefs"]
    lines.append(f"  {'parameter':<26} {'value+source':>18} {'value':>18}")
    for parameter, counts in result["per_parameter"].items():
        lines.append(
            f"  {parameter:<26} {_pct(counts['correct'], counts['total']):>18} "
            f"{_pct(counts['value_correct'], counts['total']):>18}"
        )
    lines.append(
        f"  {'overall':<26} {_pct(result['overall_correct'], result['overall_total']):>18} "
        f"{_pct(result['overall_value_correct'], result['overall_total']):>18}"
    )
    lines.append(f"  issues exactly right       {_pct(result['issues_correct'], result['briefs'])}")
    lines.append(f"  usable flag right          {_pct(result['usable_correct'], result['briefs'])}")
    lines.append(f"  briefs entirely right      {_pct(result['perfect_briefs'], result['briefs'])}")
    latency = result["latency_ms"]
    lines.append(
        f"  latency per brief: median {latency['median']:.3f} ms, p99 {latency['p99']:.3f} ms, "
        f"max {latency['max']:.3f} ms ({latency['samples']} runs)"
    )
    for brief_id, problems in result["failures"].items():
        lines.append(f"  x {brief_id}: " + "; ".join(problems))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per brief")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    results = {
        name: evaluate(
            Corpus.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))), args.repeat
        )
        for name, path in SETS.items()
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("Offline brief parser (services/extraction)")
        print("\n\n".join(render(name, result) for name, result in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
