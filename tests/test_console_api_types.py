"""The console's API types are generated from the gateway's OpenAPI document: a schema changed
without regenerating them (`make console-types`) fails here, naming the stale file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_console_types_match_the_gateways_openapi_document() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi_types.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    types = (ROOT / "console" / "src" / "api-types.ts").read_text()
    # The generated file holds the gateway's schemas, e.g. the weekly chart's variance marks.
    assert "VarianceMark: {" in types
    assert "reforecast_run_number: number | null;" in types
    # The model labels: one list, the agents' (planner_shared.model_labels).
    labels = (ROOT / "console" / "src" / "model-labels.ts").read_text()
    assert 'auto_theta: "seasonal theta",' in labels


# What the OpenAPI document does not describe: the form's parameters (stored as an open
# object), the extraction's answer as the console reads it, and the socket's messages.
HAND_WRITTEN = {"SeasonParameters", "Extraction", "LiveMessage"}


def test_the_pages_read_the_generated_types_not_copies_of_them() -> None:
    """console/src/types.ts names generated schemas; only HAND_WRITTEN shapes are its own."""
    text = (ROOT / "console" / "src" / "types.ts").read_text()
    own = set(re.findall(r"^export interface (\w+)", text, flags=re.MULTILINE))
    assert own == HAND_WRITTEN
    aliases = re.findall(r'^export type (\w+) = .*Schemas\["(\w+)"\]', text, flags=re.MULTILINE)
    generated = (ROOT / "console" / "src" / "api-types.ts").read_text()
    assert len(aliases) >= 20
    for name, schema in aliases:
        assert f"        {schema}: {{" in generated, f"{name}: no schema {schema}"
