"""A season's name, so a person can tell seasons apart (docs/console.md, "Season names").

A name is typed by the planner, or read from the brief's title ("Spring 2026 womenswear: a
12-week season ..."), or, for a season started from parameters alone, said from its start
("Spring 2026"). Pure functions: the gateway names a workflow with them when it creates it,
and its extraction answer proposes the brief's name the same way.
"""

from __future__ import annotations

import re
from datetime import date

MAX_NAME_LENGTH = 120

_SEASON_WORDS = "spring|summer|autumn|fall|winter|resort|holiday|pre-fall|cruise|ss|aw|fw"
# "Spring 2026 womenswear", "AW26 menswear", "Holiday 2025": a season word, a year, and the
# words after them up to the end of the title (a colon, a dash, a full stop or the line's end).
_TITLE = re.compile(
    rf"\b(?P<season>{_SEASON_WORDS})[ -]?(?P<year>(?:19|20)\d{{2}}|\d{{2}})\b"
    r"(?P<rest>[^\n:;.,()\u2013\u2014-]{0,60})",
    re.IGNORECASE,
)
_ABBREVIATIONS = {"ss": "SS", "aw": "AW", "fw": "FW"}
_MONTH_SEASONS = (
    "Winter", "Winter", "Spring", "Spring", "Spring", "Summer",
    "Summer", "Summer", "Autumn", "Autumn", "Autumn", "Winter",
)  # fmt: skip


def clean_name(name: str) -> str:
    """A typed name as stored: single spaces, no control characters, at most 120 characters."""
    printable = "".join(c if c.isprintable() else " " for c in name)
    return " ".join(printable.split())[:MAX_NAME_LENGTH]


def name_from_brief(brief: str | None) -> str | None:
    """The season's title in a brief, or None when the brief names no season.

    Only the brief's first season word with a year counts, with the words that follow it on
    its line ("Spring 2026 womenswear"); a lone "spring" without a year names nothing.
    """
    if not brief:
        return None
    found = _TITLE.search(brief)
    if found is None:
        return None
    word = found["season"].lower()
    season = _ABBREVIATIONS.get(word, word.capitalize())
    year = found["year"]
    rest = " ".join(found["rest"].split())
    # A title's words end where the sentence goes on ("Spring 2026 womenswear runs 12 weeks").
    rest = re.split(r"\b(?:is|runs|starts|season|with|for|from|of|over|and)\b", rest)[0].strip()
    joiner = "" if word in _ABBREVIATIONS and len(year) == 2 else " "
    return clean_name(f"{season}{joiner}{year} {rest}") or None


def name_from_start(start: date) -> str:
    """The season a start date falls in, by the northern calendar: 'Spring 2026'."""
    season = _MONTH_SEASONS[start.month - 1]
    # December's winter belongs to the next year's winter, as retailers label it.
    year = start.year + 1 if start.month == 12 else start.year
    return f"{season} {year}"


def season_name(typed: str | None, brief: str | None, start: date | None) -> str | None:
    """The name a new season gets: typed, else the brief's title, else its start's season."""
    if typed and (name := clean_name(typed)):
        return name
    return name_from_brief(brief) or (name_from_start(start) if start else None)
