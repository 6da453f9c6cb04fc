"""The offline parser against the corpus of briefs written the way planners write them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from planner_extraction.evaluation import Corpus, CorpusBrief, score
from planner_extraction.offline_parser import parse_brief

CORPUS_PATH = Path(__file__).parent / "corpus" / "briefs.yaml"
CORPUS = Corpus.model_validate(yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8")))


def test_corpus_covers_the_ways_planners_write() -> None:
    styles = Counter(brief.style for brief in CORPUS.briefs)
    assert len(CORPUS.briefs) >= 40
    for style in ("prose", "verbose", "terse", "typos", "table", "missing", "contradictory"):
        assert styles[style] >= 2, style
    assert styles["nothing"] >= 3
    assert styles["out_of_range"] >= 3
    assert len({brief.id for brief in CORPUS.briefs}) == len(CORPUS.briefs)


@pytest.mark.parametrize("brief", CORPUS.briefs, ids=lambda brief: brief.id)
def test_offline_parser_reads_the_brief(brief: CorpusBrief) -> None:
    extraction = parse_brief(brief.brief, reference_date=CORPUS.reference_for(brief))
    result = score(extraction, brief)
    assert result.perfect, "\n".join(result.problems)
    assert extraction.extractor == "offline"
    for field in extraction.fields.values():
        assert 0 <= field.confidence <= 1
        if field.name in brief.expect:
            assert field.evidence, f"{field.name} has no evidence"


@pytest.mark.parametrize(
    "brief",
    [b for b in CORPUS.briefs if not b.expect],
    ids=lambda brief: brief.id,
)
def test_nothing_usable_says_what_is_missing(brief: CorpusBrief) -> None:
    extraction = parse_brief(brief.brief, reference_date=CORPUS.reference_for(brief))
    assert not extraction.usable
    assert extraction.needs_review
    summary = extraction.issues[0]
    assert summary.field is None
    assert summary.kind == "missing"
    for words in ("season length", "start date", "replenishment", "DC holdback", "checkpoint"):
        assert words in summary.message
    assert set(extraction.defaulted) == set(extraction.fields)
