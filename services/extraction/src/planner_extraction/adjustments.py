"""Adjustments of the forecast a brief asks for: "outerwear up 10 % vs last year", "dresses
flat", "knitwear demand down 5% for weeks 1-4". Each is a proposed override
(docs/overrides.md) for the planner to accept, never a season parameter and never dropped:
a phrase that reads like an adjustment of something that is not a category ("traffic up
5%") is flagged as unparsed instead.

Read on a sentence's normalised text (lower case, "10 %" written "10%"); the evidence is the
clause of the brief's own words it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner_shared.parameters import ProposedOverride

_FILLER = (
    r"(?:\s+(?:demand|sales|units|volumes?|forecast|is|are|to be|should be|will be|"
    r"expected|expect|planned|go(?:es|ing)?|come in|running|trending|stays?|staying|"
    r"remains?|kept|held|at|by))*"
)
_SUBJECT = r"(?P<subject>[a-z][a-z&'-]*(?:\s+[a-z][a-z&'-]*)?)"
_VERSUS = (
    r"(?P<versus>\s+(?:vs\.?|versus|on|over|than|against|compared (?:to|with))\s+"
    r"(?:last year|ly|last season|the forecast|forecast|plan))?"
)
_CHANGE = re.compile(
    r"\b" + _SUBJECT + _FILLER + r"\s+(?P<direction>up|down|higher|lower|\+)\s*(?:by\s+)?"
    r"(?P<number>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per cent)" + _VERSUS
)
_FLAT = re.compile(r"\b" + _SUBJECT + _FILLER + r"\s+(?P<direction>flat|unchanged)\b" + _VERSUS)
_WEEKS = re.compile(
    r"\b(?:for|in|over|during|from)\s+weeks?\s+(?P<first>\d{1,2})"
    r"(?:\s*(?:-|to|through|until)\s*(?P<last>\d{1,2}))?"
)
_DOWN = {"down", "lower"}
_NOT_SUBJECT = frozenset(
    {"and", "but", "while", "with", "the", "demand", "sales", "units", "volume", "volumes",
     "forecast", "is", "are", "be", "expected", "expect", "planned"}
)  # fmt: skip

# Words that name a season parameter or the whole business, not a category: an adjustment
# of them is not an override (the parameters are read elsewhere; "total up 5%" is flagged).
NOT_CATEGORIES = frozenset(
    {
        "dc", "holdback", "threshold", "sell-through", "sellthrough", "markdown", "markdowns",
        "replenishment", "season", "price", "prices", "margin", "margins", "traffic", "budget",
        "total", "overall", "everything", "business", "stores", "store", "it", "that", "this",
        "we", "they", "buy", "order", "stock", "inventory", "cost", "costs", "and", "with",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Adjustment:
    subject: str  # the words naming what is adjusted, as normalised
    percent: float
    weeks: list[int] | None
    versus: str | None  # "last year", "the forecast", ... as written; None: not said
    start: int
    end: int

    @property
    def is_category(self) -> bool:
        return not (set(self.subject.split()) & NOT_CATEGORIES)


def _subject(raw: str) -> str:
    """The last word or two before the change, without a leading connective."""
    words = [w for w in raw.split() if w not in _NOT_SUBJECT]
    return " ".join(words[-1:]) if words else raw


def find_adjustments(text: str) -> list[Adjustment]:
    """Every "<category> up/down N %" and "<category> flat" of a normalised sentence."""
    found: list[Adjustment] = []
    for pattern in (_CHANGE, _FLAT):
        for match in pattern.finditer(text):
            direction = match["direction"]
            if direction in ("flat", "unchanged"):
                percent = 0.0
            else:
                percent = float(match["number"]) * (-1 if direction in _DOWN else 1)
            found.append(
                Adjustment(
                    subject=_subject(match["subject"]),
                    percent=percent,
                    weeks=_weeks(text[match.end() : _clause_end(text, match.end())]),
                    versus=_versus(match["versus"]),
                    start=match.start(),
                    end=match.end(),
                )
            )
    return sorted(found, key=lambda a: a.start)


def _versus(words: str | None) -> str | None:
    """ "last year" of " vs last year": what the change is measured against."""
    parts = (words or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else None


def _clause_end(text: str, start: int) -> int:
    ends = [i for i in (text.find(",", start), text.find(";", start)) if i >= 0]
    return min(ends, default=len(text))


def _weeks(clause: str) -> list[int] | None:
    match = _WEEKS.search(clause)
    if match is None:
        return None
    first = int(match["first"])
    last = int(match["last"] or first)
    return list(range(first, last + 1)) if 1 <= first <= last <= 52 else None


def clause_of(evidence: str, subject: str) -> str:
    """The clause of the brief's words that names `subject` (the whole text if none does)."""
    for clause in re.split(r"[,;]\s*", evidence):
        if subject.lower() in clause.lower():
            return clause.strip()
    return evidence.strip()


def proposal(adjustment: Adjustment, words: str, confidence: float) -> ProposedOverride:
    """The proposed override of an adjustment read in the brief's `words`."""
    return proposed(
        adjustment.subject,
        adjustment.percent,
        adjustment.weeks,
        words,
        confidence,
        against_last_year=adjustment.versus in ("last year", "ly", "last season"),
    )


def proposed(
    category: str,
    percent: float,
    weeks: list[int] | None,
    words: str,
    confidence: float,
    *,
    against_last_year: bool,
) -> ProposedOverride:
    """A proposed override, worded the same for the offline parser and the LLM."""
    note = None
    if percent == 0:
        note = "flat: read as the statistical forecast unchanged (0 %)"
    elif against_last_year:
        note = (
            f"read as {percent:+g} % on the statistical forecast, which is fitted on the sales "
            "history (last year's included): check the forecast's season total against last "
            "year's before accepting"
        )
    return ProposedOverride(
        category=category.strip().lower(),
        percent=percent,
        weeks=weeks,
        reason=f"brief: {words}",
        evidence=words,
        confidence=round(min(max(confidence, 0.0), 1.0), 2),
        note=note,
    )
