"""Issue 27, point 8: the README's API answers come from a real run (`make readme-api`) and
their drift is found (`make readme-api-check`). The season itself takes minutes; here, the
rewrite and the comparison, and the README's markers for every block the script writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_api", ROOT / "scripts" / "readme_api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEXT = """intro
<!-- readme-api:start -->
```console
$ curl start
{"workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61", "at": "2026-11-24T21:22:04.143854Z"}
```
<!-- /readme-api:start -->
between
<!-- readme-api:variance -->
old
<!-- /readme-api:variance -->
end
"""


def test_the_readme_has_a_block_for_every_answer_the_script_writes() -> None:
    script = _script()
    assert set(script.blocks((ROOT / "README.md").read_text())) == set(script.NAMES)


def test_a_rewrite_replaces_the_marked_blocks_only() -> None:
    script = _script()
    new = script.rewrite(TEXT, {"variance": "```console\n$ curl v\n0.1\n```\n"})
    assert new.startswith("intro\n<!-- readme-api:start -->\n```console\n$ curl start")
    assert "<!-- readme-api:variance -->\n```console\n$ curl v\n0.1\n```\n<!-- /readme" in new
    assert "old" not in new
    assert new.endswith(
        "between\n<!-- readme-api:variance -->\n```console\n$ curl v\n0.1\n```\n"
        "<!-- /readme-api:variance -->\nend\n"
    )


def test_drift_ignores_ids_and_times_but_not_figures() -> None:
    script = _script()
    same = script.blocks(TEXT)["start"].replace("d705839e", "0badcafe").replace("21:22", "09:01")
    assert script.drift(TEXT, {"start": same}) == []
    changed = same.replace("curl start", "curl started")
    assert script.drift(TEXT, {"start": changed}) == ["start: differs from the run"]
    assert script.drift(TEXT, {"markdown": "x"}) == ["markdown: no block in the README"]
