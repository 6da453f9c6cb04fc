"""The console's API types, generated from the gateway's OpenAPI document (and its model
labels from planner_shared.model_labels, the one list the agents use too).

    python scripts/openapi_types.py          write console/openapi.json, console/src/api-types.ts
                                             and console/src/model-labels.ts
    python scripts/openapi_types.py --check  exit 1 when one differs from what Python serves

The document is the gateway's own (`create_app().openapi()`, what `/openapi.json` answers);
openapi-typescript (a console dev dependency) turns it into `api-types.ts`, so a field renamed
in a Pydantic schema changes the console's types, and a stale copy fails the check
(tests/test_console_api_types.py, run by `make test`). `make console-types` regenerates.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "console"
DOCUMENT = CONSOLE / "openapi.json"
TYPES = CONSOLE / "src" / "api-types.ts"
LABELS = CONSOLE / "src" / "model-labels.ts"
GENERATOR = CONSOLE / "node_modules" / ".bin" / "openapi-typescript"
HEADER = (
    "// Generated from the gateway's OpenAPI document by scripts/openapi_types.py\n"
    "// (`make console-types`); do not edit: change the gateway's schemas instead.\n"
)


def document() -> str:
    from planner_gateway.app import create_app
    from planner_gateway.settings import GatewaySettings

    spec = create_app(GatewaySettings()).openapi()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def model_labels() -> str:
    from planner_shared.model_labels import MODEL_LABELS

    entries = "".join(f"  {name}: {json.dumps(label)},\n" for name, label in MODEL_LABELS.items())
    return (
        HEADER.replace("the gateway's OpenAPI document", "planner_shared.model_labels").replace(
            "change the gateway's schemas instead", "change the Python list instead"
        )
        + "export const MODEL_LABELS: Record<string, string> = {\n"
        + entries
        + "};\n"
    )


def typescript(spec: str) -> str:
    if not GENERATOR.exists():
        raise SystemExit(
            f"{GENERATOR.relative_to(ROOT)} is missing: run `scripts/console.sh build` (npm ci)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "openapi.json"
        target = Path(tmp) / "api-types.ts"
        source.write_text(spec)
        subprocess.run(
            [str(GENERATOR), str(source), "--output", str(target)],
            check=True,
            capture_output=True,
            cwd=CONSOLE,
        )
        return HEADER + target.read_text()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args()
    spec = document()
    outputs = ((DOCUMENT, spec), (TYPES, typescript(spec)), (LABELS, model_labels()))
    if args.check:
        stale = [
            str(path.relative_to(ROOT))
            for path, text in outputs
            if not path.exists() or path.read_text() != text
        ]
        if stale:
            print(
                f"stale: {', '.join(stale)}: the gateway's API changed; run `make console-types`",
                file=sys.stderr,
            )
            return 1
        return 0
    for path, text in outputs:
        path.write_text(text)
    print("wrote " + ", ".join(str(path.relative_to(ROOT)) for path, _ in outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
