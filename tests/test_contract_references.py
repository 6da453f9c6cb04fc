"""Every § the code cites is a section of contract v1 listed in docs/frontend-v1.md, and no
reference points at the contract file that lives outside this repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["services", "shared", "tools", "tests", "client", "console/src", "scripts", "docs"]
SUFFIXES = {".py", ".md", ".ts", ".tsx"}
SECTION = re.compile(r"§\s?(\d+)")


def _files() -> list[Path]:
    return [
        path
        for top in SOURCES
        for path in (ROOT / top).rglob("*")
        if path.suffix in SUFFIXES
        and "node_modules" not in path.parts
        and path.name != "api-types.ts"  # generated from the OpenAPI text, checked there
    ]


def test_every_cited_section_is_listed_in_the_contract_page() -> None:
    page = (ROOT / "docs" / "frontend-v1.md").read_text()
    table = page.split("## Section numbers (§)", 1)[1].split("\n## ", 1)[0]
    listed = {int(n) for n in re.findall(r"^\| §(\d+) \|", table, re.MULTILINE)}
    cited: dict[int, str] = {}
    for path in _files():
        for n in SECTION.findall(path.read_text(errors="replace")):
            cited.setdefault(int(n), str(path.relative_to(ROOT)))
    assert len(cited) > 10
    missing = {f"§{n} ({where})" for n, where in cited.items() if n not in listed}
    assert missing == set()


def test_no_reference_to_the_contract_file_outside_the_repository() -> None:
    outside = [
        str(path.relative_to(ROOT))
        for path in _files()
        if "contracts/frontend-v1.md" in path.read_text(errors="replace")
        and path.name != "test_contract_references.py"
    ]
    assert outside == []
