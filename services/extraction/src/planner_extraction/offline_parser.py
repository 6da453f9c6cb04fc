"""The deterministic brief parser: the extractor when no LLM is configured.

It reads a brief sentence by sentence (`text`), finds the values and the cue words around them
(`mentions`, `dates`), turns them into candidates per parameter with a confidence and a source,
and hands them to `assembly`, which validates, defaults and flags exactly as for the LLM.

Decisions a planner may need to know (summarised in the package docstring):
- A value with a clear cue is `stated` (0.85-0.95); one worked out from other words is
  `inferred` ("55% to stores" -> 45% held back, "3 months" -> 13 weeks, "mid-season", a lone
  unlabelled date taken as the start, a start and an end date giving the length).
- A season word with no start date ("the spring season") infers the first Monday of that
  season's first month with confidence 0.3 and raises a `missing` issue asking for the date.
- A value whose parameter cannot be told (a bare "60%" with no cue) is not guessed: it raises
  an `unparsed` issue and the parameter keeps its default.
- Sentences whose words needed typo correction lose 0.05 confidence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TypeVar

from planner_extraction.adjustments import Adjustment, clause_of, find_adjustments, proposal
from planner_extraction.assembly import LABELS, Candidate, Reading, assemble
from planner_extraction.dates import (
    DateMention,
    SeasonMention,
    find_dates,
    first_monday,
    season_mentions,
)
from planner_extraction.mentions import (
    Cue,
    Mention,
    associate,
    cues,
    find_frequencies,
    find_horizons,
    find_no_holdbacks,
    find_no_markdowns,
    find_percents,
    find_weeks,
)
from planner_extraction.text import Sentence, row_parameter, split_sentences
from planner_shared.parameters import ParameterExtraction, ParameterSource

_TYPO_PENALTY = 0.05
_RANGE_GAP = re.compile(r"\s*(?:-|to|until|till|through|and)\s*")


@dataclass(frozen=True)
class _Dated:
    mention: DateMention
    evidence: str
    confidence: float


@dataclass
class _Dates:
    starts: list[_Dated] = field(default_factory=list)
    ends: list[_Dated] = field(default_factory=list)
    checkpoints: list[_Dated] = field(default_factory=list)
    unlabelled: list[_Dated] = field(default_factory=list)
    seasons: list[tuple[SeasonMention, str]] = field(default_factory=list)


def parse_brief(
    brief: str, *, reference_date: date, day_first: bool = False
) -> ParameterExtraction:
    """Read `brief` as of `reference_date` into validated parameters, issues flagged."""
    return assemble(
        read_brief(brief, reference_date=reference_date, day_first=day_first),
        reference_date=reference_date,
        extractor="offline",
    )


def read_brief(brief: str, *, reference_date: date, day_first: bool = False) -> Reading:
    reader = _Reader(reference_date, day_first)
    for sentence in split_sentences(brief):
        reader.read(sentence)
    reader.finish()
    return reader.reading


class _Reader:
    def __init__(self, reference_date: date, day_first: bool) -> None:
        self.reference = reference_date
        self.day_first = day_first
        self.reading = Reading()
        self.dates = _Dates()

    def _add(
        self, name: str, mention: Mention, sentence: Sentence, value: object, confidence: float
    ) -> None:
        if sentence.corrected:
            confidence -= _TYPO_PENALTY
        source = ParameterSource.INFERRED if mention.inferred else ParameterSource.STATED
        self.reading.add(name, Candidate(value, confidence, source, sentence.evidence))

    def read(self, sentence: Sentence) -> None:
        found_before = {name: len(found) for name, found in self.reading.candidates.items()}
        self._read_values(sentence)
        for name in _named_parameters(sentence):
            if len(self.reading.candidates[name]) == found_before[name]:
                self.reading.flag(
                    name,
                    "unparsed",
                    f"Could not read the {LABELS[name]} in '{sentence.evidence}'; "
                    f"the default is used until you write it as {_WRITTEN_AS[name]}.",
                )

    def _read_values(self, sentence: Sentence) -> None:
        text = sentence.text
        for mention in find_horizons(text):
            self._add(
                "forecast_horizon_weeks", mention, sentence, mention.value, mention.confidence
            )
        self._read_percents(sentence)
        self._read_weeks(sentence)
        self._read_frequencies(sentence)
        self._read_dates(sentence)

    def _read_adjustments(self, sentence: Sentence) -> list[Adjustment]:
        """Proposed overrides ("outerwear up 10 % vs last year"); a change of something that
        is not a category is flagged, never dropped (docs/overrides.md)."""
        found = find_adjustments(sentence.text)
        for adjustment in found:
            words = clause_of(sentence.evidence, adjustment.subject)
            if not adjustment.is_category:
                self.reading.flag(
                    None,
                    "unparsed",
                    f"'{words}' reads as an adjustment of the forecast, but "
                    f"'{adjustment.subject}' is not a category: adjust a category, a cluster "
                    "or a store with a forecast override instead.",
                )
                continue
            self.reading.overrides.append(
                proposal(adjustment, words, 0.8 - (_TYPO_PENALTY if sentence.corrected else 0))
            )
        return found

    def _read_percents(self, sentence: Sentence) -> None:
        adjustments = self._read_adjustments(sentence)
        nones = find_no_holdbacks(sentence.text)
        for mention in nones:
            self._add("dc_holdback_percentage", mention, sentence, 0.0, mention.confidence)
        mentions = _outside(_outside(find_percents(sentence.text), nones), adjustments)
        found = _outside(cues(sentence.text, "percent"), nones)
        categories = associate(sentence.text, mentions, found)
        for mention, category in zip(mentions, categories, strict=True):
            if category == "dc":
                self._add(
                    "dc_holdback_percentage", mention, sentence, mention.value, mention.confidence
                )
            elif category == "stores":
                inferred = replace(mention, inferred=True)
                self._add("dc_holdback_percentage", inferred, sentence, 100 - mention.value, 0.7)
            elif category == "threshold":
                self._add(
                    "markdown_threshold",
                    mention,
                    sentence,
                    round(mention.value / 100, 4),
                    mention.confidence,
                )
            elif category is None and nones and mention.value == 0:
                # "Nothing held back at the DC (0%)": the figure repeats the phrase.
                self._add("dc_holdback_percentage", mention, sentence, 0.0, mention.confidence)
            elif category is None:
                self.reading.flag(
                    None,
                    "unparsed",
                    f"Could not tell what '{mention.text}' refers to in '{sentence.evidence}': "
                    "say whether it is the DC holdback or the sell-through threshold.",
                )

    def _read_weeks(self, sentence: Sentence) -> None:
        nones = find_no_markdowns(sentence.text)
        for mention in nones:
            self._add(
                "markdown_checkpoint_week", mention, sentence, mention.value, mention.confidence
            )
        mentions = _outside(find_weeks(sentence.text), nones)
        found = _outside(cues(sentence.text, "week"), nones)
        categories = associate(sentence.text, mentions, found)
        has_other_cue = any(cue.category == "other" for cue in found)
        for mention, category in zip(mentions, categories, strict=True):
            if category == "checkpoint":
                self._add(
                    "markdown_checkpoint_week", mention, sentence, mention.value, mention.confidence
                )
            elif category is None and not has_other_cue and mention.value != 1:
                # A week number with no cue at all, in a terse brief: the checkpoint is the
                # only parameter that is a week of the season.
                inferred = replace(mention, inferred=True)
                self._add("markdown_checkpoint_week", inferred, sentence, mention.value, 0.6)

    def _read_frequencies(self, sentence: Sentence) -> None:
        nones, mentions = find_frequencies(sentence.text)
        for mention in nones:
            self._add("replenishment_strategy", mention, sentence, "none", mention.confidence)
        categories = associate(sentence.text, mentions, cues(sentence.text, "frequency"))
        for mention, category in zip(mentions, categories, strict=True):
            if category == "replenishment":
                self._add(
                    "replenishment_strategy", mention, sentence, mention.value, mention.confidence
                )
            elif category is None:
                inferred = replace(mention, inferred=True)
                self._add(
                    "replenishment_strategy",
                    inferred,
                    sentence,
                    mention.value,
                    min(mention.confidence, 0.6),
                )

    def _read_dates(self, sentence: Sentence) -> None:
        text = sentence.text
        penalty = _TYPO_PENALTY if sentence.corrected else 0.0
        found = find_dates(text, self.reference, day_first=self.day_first)
        self.dates.seasons += [
            (s, sentence.evidence) for s in season_mentions(text, self.reference)
        ]

        def dated(mention: DateMention) -> _Dated:
            return _Dated(mention, sentence.evidence, mention.confidence - penalty)

        in_range: set[int] = set()
        for index, (first, second) in enumerate(itertools.pairwise(found)):
            gap = text[first.end : second.start]
            if _RANGE_GAP.fullmatch(gap) and (
                "and" not in gap or text[: first.start].rstrip().endswith("between")
            ):
                first = _align_year(first, second)
                self.dates.starts.append(dated(first))
                self.dates.ends.append(dated(second))
                in_range |= {index, index + 1}
        rest = [m for i, m in enumerate(found) if i not in in_range]
        as_mentions = [
            Mention("date", m.start, m.end, m, m.confidence, m.text, inferred=False) for m in rest
        ]
        categories = associate(text, as_mentions, cues(text, "date"))
        for date_mention, category in zip(rest, categories, strict=True):
            if category == "start":
                self.dates.starts.append(dated(date_mention))
            elif category == "end":
                self.dates.ends.append(dated(date_mention))
            elif category == "checkpoint":
                self.dates.checkpoints.append(dated(date_mention))
            elif category is None and date_mention.precision == "day":
                self.dates.unlabelled.append(dated(date_mention))

    def finish(self) -> None:
        starts = self.dates.starts
        if not starts and len({d.mention.value for d in self.dates.unlabelled}) == 1:
            starts = [replace(self.dates.unlabelled[0], confidence=0.7)]
            inferred = True
        else:
            inferred = False
            for unused in self.dates.unlabelled:
                self.reading.flag(
                    None,
                    "unparsed",
                    f"Could not tell what the date '{unused.mention.text}' is for in "
                    f"'{unused.evidence}': say if it is the season's start or end.",
                )
        ahead = [s for s in starts if s.mention.value is None or s.mention.value >= self.reference]
        if ahead and len(ahead) < len(starts):
            # A brief planning ahead that also names a past start is recalling an earlier
            # season ("last year's season started 3 March 2025"), not contradicting itself.
            starts = ahead
        for start in starts:
            self._add_start(start, inferred=inferred or start.mention.inferred)
        if not starts:
            self._infer_start_from_season()
        start_values = {
            c.value for c in self.reading.candidates["season_start_date"] if c.value is not None
        }
        if len(start_values) == 1:
            (start_value,) = start_values
            self._derive_from_start(start_value)

    def _add_start(self, start: _Dated, *, inferred: bool) -> None:
        mention = start.mention
        if mention.error is not None:
            self.reading.flag(
                "season_start_date", "invalid", f"{mention.error} ('{start.evidence}')."
            )
            return
        if mention.ambiguity is not None:
            self.reading.flag(
                "season_start_date", "contradictory", f"Ambiguous date: {mention.ambiguity}"
            )
        source = ParameterSource.INFERRED if inferred else ParameterSource.STATED
        self.reading.add(
            "season_start_date",
            Candidate(mention.value, start.confidence, source, start.evidence),
        )

    def _infer_start_from_season(self) -> None:
        seasons = {mention.value: (mention, evidence) for mention, evidence in self.dates.seasons}
        if len(seasons) != 1:
            return
        ((mention, evidence),) = seasons.values()
        self.reading.add(
            "season_start_date",
            Candidate(mention.value, 0.3, ParameterSource.INFERRED, evidence),
        )
        self.reading.flag(
            "season_start_date",
            "missing",
            f"No start date in the brief: '{mention.text}' suggests "
            f"{mention.value:%A} {mention.value.day} {mention.value:%B %Y} (the first Monday "
            "of the season's first month). Confirm it or give the date.",
        )

    def _derive_from_start(self, start: date) -> None:
        ends = {(d.mention.month_end or d.mention.value): d for d in self.dates.ends}
        ends.pop(None, None)
        if len(ends) == 1:
            ((end, dated),) = ends.items()
            assert end is not None
            days = (end - start).days + 1
            if days <= 0:
                self.reading.flag(
                    "forecast_horizon_weeks",
                    "invalid",
                    f"The season would end ({end.isoformat()}) before it starts "
                    f"({start.isoformat()}): '{dated.evidence}'.",
                )
            else:
                self.reading.add(
                    "forecast_horizon_weeks",
                    Candidate(
                        round(days / 7),
                        0.75 if days % 7 == 0 else 0.6,
                        ParameterSource.INFERRED,
                        dated.evidence,
                    ),
                )
        for checkpoint in self.dates.checkpoints:
            if checkpoint.mention.value is None:
                continue
            week = (checkpoint.mention.value - start).days // 7 + 1
            self.reading.add(
                "markdown_checkpoint_week",
                Candidate(week, 0.7, ParameterSource.INFERRED, checkpoint.evidence),
            )


# Words that name a parameter: a sentence using one is about it, so when no value comes out
# of that sentence, the value was written in a way the parser cannot read, and it says so.
_NAMES = (
    ("dc_holdback_percentage", re.compile(r"\bholdback\b")),
    ("markdown_threshold", re.compile(r"\bthreshold\b")),
    ("replenishment_strategy", re.compile(r"\breplenishment\b")),
    ("forecast_horizon_weeks", re.compile(r"\bhorizon\b|\bseason length\b")),
    ("markdown_checkpoint_week", re.compile(r"\bcheckpoint\b")),
)
_WRITTEN_AS = {
    "dc_holdback_percentage": "a share ('30% held at the DC', 'no DC holdback')",
    "markdown_threshold": "a sell-through share ('markdown if sell-through is under 60%')",
    "replenishment_strategy": "'weekly', 'bi-weekly' or 'no replenishment'",
    "forecast_horizon_weeks": "a number of weeks ('a 12-week season')",
    "markdown_checkpoint_week": "a season week ('markdown check at week 6', 'no markdown')",
}


def _named_parameters(sentence: Sentence) -> set[str]:
    named = {name for name, words in _NAMES if words.search(sentence.text)}
    row = row_parameter(sentence.text)
    if row is not None:
        named.add(row)
    return named


_Span = TypeVar("_Span", Mention, Cue)


def _outside(spans: list[_Span], nones: Sequence[Mention | Adjustment]) -> list[_Span]:
    """What is not part of a phrase saying "none" ("holdback" in "no DC holdback")."""
    if not nones:
        return spans
    return [s for s in spans if not any(s.start < n.end and n.start < s.end for n in nones)]


def _align_year(first: DateMention, second: DateMention) -> DateMention:
    """In "2 March - 24 May 2027" the year written once belongs to both ends."""
    if first.explicit_year or first.value is None or second.value is None:
        return first
    aligned = first.value
    for year in (second.value.year, second.value.year - 1):
        if first.precision == "month":
            aligned = first_monday(year, first.value.month)
        else:
            try:
                aligned = first.value.replace(year=year)
            except ValueError:
                continue
        if aligned <= second.value:
            break
    return replace(first, value=aligned)
