"""Write a season's week N of the sample: the sample's demand capped by what the season put in
each store, as the gateway computes it (GET /api/workflows/{id}/sample-actuals.csv).

    python -m planner_tools.datasets.season_weeks --workflow ID --week N [--out FILE]
        [--base-url http://127.0.0.1:8000] [--key dev-planner-key]

The file is a valid upload of that week for that season: no store sells more than it held
(docs/stock.md). Without `--out` it is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx


def fetch(base_url: str, key: str, workflow_id: str, week: int) -> str:
    response = httpx.get(
        f"{base_url.rstrip('/')}/api/workflows/{workflow_id}/sample-actuals.csv",
        params={"week": week},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    if response.status_code != 200:
        raise SystemExit(f"the gateway answered {response.status_code}: {response.text}")
    return response.text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflow", required=True, help="the season's workflow id")
    parser.add_argument("--week", type=int, required=True, help="the season week")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")
    port = os.environ.get("PLANNER_GATEWAY_PORT", "8000")
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--key", default="dev-planner-key", help="a key that may read seasons")
    args = parser.parse_args(argv)
    text = fetch(args.base_url, args.key, args.workflow, args.week)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
        print(f"{args.out}: week {args.week}, {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
