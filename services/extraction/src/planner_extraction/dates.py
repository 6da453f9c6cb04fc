"""Dates as planners write them, read against a reference date (never the clock).

Rules (summarised in the package docstring):
- ISO `2027-03-02` and dotted `02.03.2027` (day first, the European convention) are read as
  written. Month names in either order: "March 2", "2nd of March 2027", "Mar 2, 2027".
- Slashed or dashed numeric dates `03/02/2027`: when one part is above 12 the reading is
  certain. Otherwise, if exactly one reading falls on or after the reference date, that one is
  taken (a season is planned ahead); else if exactly one reading is a Monday, that one (season
  weeks start on Mondays). Otherwise the month-first (US) reading is taken, or the day-first
  one when `day_first` is set, and the mention is marked ambiguous so the parser flags it.
- A date without a year is its next occurrence on or after the reference date.
- A month alone ("starting in March", "March 2027") means the first Monday of that month
  (season weeks run Monday to Sunday); as an end ("until May") the month's last day.
- Season words ("spring", "AW27") are not dates; `season_mentions` finds them so the parser
  can infer a start with low confidence and say so (northern-hemisphere retail calendar:
  spring March, summer June, autumn/fall September, winter December).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
# Four digits, or two after an apostrophe: a bare "12" next to a date is more often weeks.
_YEAR = r"(?P<{name}>\d{{4}}|'\d{{2}})(?!\d)"

_ISO = re.compile(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})\b")
_DAY_MONTH = re.compile(
    rf"\b(?:(?:{_WEEKDAY})\.?,?\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?:\s+of)?\s+"
    rf"(?P<m>{_MONTH})\b\.?(?:,?\s+{_YEAR.format(name='y')})?(?![\d/.-]\d)"
)
_MONTH_DAY = re.compile(
    rf"\b(?:(?:{_WEEKDAY})\.?,?\s+)?(?P<m>{_MONTH})\b\.?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}"
    rf"(?![\d:%]|\s*(?:-\s*)?(?:weeks?|months?|days?)\b)(?:,?\s+{_YEAR.format(name='y')})?\b"
)
_MONTH_ONLY = re.compile(
    rf"(?P<lead>\b(?:in|from|starting|start|starts|begin|begins|beginning|early|launch|"
    rf"launching|until|till|through|to|end|ending|of)\s+(?:of\s+)?)?"
    rf"\b(?P<m>{_MONTH})\b\.?(?:\s+{_YEAR.format(name='y')}\b)?"
)
_MONTH_RANGE = re.compile(
    rf"\b(?P<m1>{_MONTH})\b\.?\s*(?:-|to|through|until|till)\s*(?P<m2>{_MONTH})\b\.?"
    rf"(?:\s+{_YEAR.format(name='y')}\b)?"
)
_RELATIVE = re.compile(
    rf"\b(?:(?P<which>next|this|coming|following)\s+(?P<wd>{_WEEKDAY})\b"
    r"|(?P<day>today|tomorrow))"
)
_SEASON = re.compile(
    r"\b(?:(?:(?P<word>spring|summer|autumn|winter)(?:\s*/\s*(?:summer|winter))?"
    r"|(?P<fall>fall)(?=\s*(?:/|-|season|collection|range|\d{4}|'\d{2})))"
    r"(?:\s+(?:season\s+)?(?P<y>\d{4})\b|\s*(?P<y2>'\d{2})\b)?"
    r"|(?P<code>ss|aw|fw)\s?'?(?P<cy>\d{4}|\d{2})\b)"
)

Precision = Literal["day", "month"]


@dataclass(frozen=True)
class DateMention:
    """A date found in text, with where it was and how sure the reading is."""

    start: int
    end: int
    value: date | None
    precision: Precision
    confidence: float
    text: str
    ambiguity: str | None = None
    error: str | None = None
    month_end: date | None = None  # for a month alone: its last day, when used as an end
    explicit_year: bool = True
    inferred: bool = False  # read by a rule of thumb (an ambiguous or month-only date)


@dataclass(frozen=True)
class SeasonMention:
    start: int
    end: int
    season: str
    value: date
    text: str


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = int(raw.lstrip("'"))
    return value + 2000 if value < 100 else value


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_occurrence(month: int, day: int, reference: date) -> date | None:
    for year in range(reference.year, reference.year + 9):
        candidate = _make(year, month, day)
        if candidate is not None and candidate >= reference:
            return candidate
    return None


def first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _month_start(month: int, year: int | None, reference: date) -> date:
    if year is not None:
        return first_monday(year, month)
    candidate = first_monday(reference.year, month)
    return candidate if candidate >= reference else first_monday(reference.year + 1, month)


def _month_name(month: int) -> str:
    return calendar.month_name[month]


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)


def _named_day(match: re.Match[str], reference: date) -> DateMention:
    """ "March 2" or "2 march 2026": a year given is explicit; without one, the next time
    that day comes."""
    month, day, year = MONTHS[match["m"]], int(match["d"]), _year(match["y"])
    if year is not None:
        value = _make(year, month, day)
    elif _make(2000, month, day) is None:  # 2000 is a leap year: any real day fits
        value = None
    else:
        value = _next_occurrence(month, day, reference)
    mention = _day_mention(match, value, 0.95 if year is not None else 0.9)
    return replace(mention, explicit_year=year is not None)


def _month_range(match: re.Match[str], reference: date) -> tuple[DateMention, DateMention]:
    """ "march to may (2026)": the first month's Monday and the last month's, the last never
    before the first (a range over the new year ends in the next one)."""
    year = _year(match["y"])
    last = _month_mention(match, "m2", year, reference)
    first_year = year if year is None else year - (MONTHS[match["m1"]] > MONTHS[match["m2"]])
    first = _month_mention(match, "m1", first_year, reference)
    if year is None and first.value is not None and last.value is not None:
        while last.value < first.value:
            last = replace(
                last,
                value=first_monday(last.value.year + 1, last.value.month),
                month_end=_month_last_day(last.value.year + 1, last.value.month),
            )
    return first, last


def _relative_day(match: re.Match[str], reference: date) -> date:
    """ "today", "tomorrow", or the next such weekday (a week on when it is today's)."""
    if match["day"]:
        return reference + timedelta(days=0 if match["day"] == "today" else 1)
    weekday = WEEKDAYS[match["wd"]]
    return reference + timedelta(days=(weekday - reference.weekday()) % 7 or 7)


def find_dates(text: str, reference: date, *, day_first: bool = False) -> list[DateMention]:
    """Every date mentioned in lower-case `text`, in order of position."""
    found: list[DateMention] = []
    spans: list[tuple[int, int]] = []

    def add(mention: DateMention) -> None:
        found.append(mention)
        spans.append((mention.start, mention.end))

    for match in _ISO.finditer(text):
        value = _make(int(match["y"]), int(match["m"]), int(match["d"]))
        add(_day_mention(match, value, 0.95))

    for match in _NUMERIC.finditer(text):
        if _overlaps(spans, match.start(), match.end()):
            continue
        add(_numeric(match, reference, day_first=day_first))

    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            if _overlaps(spans, match.start(), match.end()):
                continue
            add(_named_day(match, reference))

    for match in _MONTH_RANGE.finditer(text):
        if _overlaps(spans, match.start(), match.end()):
            continue
        for mention in _month_range(match, reference):
            add(mention)

    for match in _MONTH_ONLY.finditer(text):
        start = match.start("m")
        if _overlaps(spans, start, match.end()):
            continue
        if match["lead"] is None and match["y"] is None:
            continue  # "may" is usually a verb: a bare month needs a lead word or a year
        add(_month_mention(match, "m", _year(match["y"]), reference))

    for match in _RELATIVE.finditer(text):
        if _overlaps(spans, match.start(), match.end()):
            continue
        add(_day_mention(match, _relative_day(match, reference), 0.85))

    return sorted(found, key=lambda m: m.start)


def _month_last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_mention(
    match: re.Match[str], group: str, year: int | None, reference: date
) -> DateMention:
    month = MONTHS[match[group]]
    value = _month_start(month, year, reference)
    return DateMention(
        start=match.start(group),
        end=match.end(group) if group != "m" else match.end(),
        value=value,
        precision="month",
        confidence=0.6,
        text=match[group],
        month_end=_month_last_day(value.year, month),
        explicit_year=year is not None,
        inferred=True,
    )


def _day_mention(match: re.Match[str], value: date | None, confidence: float) -> DateMention:
    text = match.group(0).strip()
    return DateMention(
        start=match.start(),
        end=match.end(),
        value=value,
        precision="day",
        confidence=confidence,
        text=text,
        error=None if value is not None else f"'{text}' is not a calendar date",
    )


def _numeric(match: re.Match[str], reference: date, *, day_first: bool) -> DateMention:
    a, b, year = int(match["a"]), int(match["b"]), _year(match["y"])
    assert year is not None
    text = match.group(0)
    if match["sep"] == ".":
        return _day_mention(match, _make(year, b, a), 0.9)
    month_first = _make(year, a, b)
    day_first_value = _make(year, b, a)
    if a > 12 or b > 12 or a == b or month_first is None or day_first_value is None:
        return _day_mention(match, month_first or day_first_value, 0.9)
    on_or_after = [v for v in (month_first, day_first_value) if v >= reference]
    if len(on_or_after) == 1:
        return replace(_day_mention(match, on_or_after[0], 0.75), inferred=True)
    mondays = [v for v in (month_first, day_first_value) if v.weekday() == 0]
    if len(mondays) == 1:
        return replace(_day_mention(match, mondays[0], 0.7), inferred=True)
    chosen, other = (day_first_value, month_first) if day_first else (month_first, day_first_value)
    order = "day first" if day_first else "month first"
    return DateMention(
        start=match.start(),
        end=match.end(),
        value=chosen,
        precision="day",
        confidence=0.55,
        text=text,
        inferred=True,
        ambiguity=(
            f"'{text}' could be {_long(chosen)} or {_long(other)}; read {order} as "
            f"{_long(chosen)}. Write {chosen.isoformat()} or the month's name to be sure."
        ),
    )


def _long(value: date) -> str:
    return f"{value.day} {_month_name(value.month)} {value.year}"


def season_mentions(text: str, reference: date) -> list[SeasonMention]:
    """Season words in lower-case `text`, each with the start it would imply."""
    found = []
    for match in _SEASON.finditer(text):
        if match["code"]:
            season = "spring" if match["code"] == "ss" else "autumn"
        else:
            season = match["word"] or "fall"
        year = _year(match["y"] or match["y2"] or match["cy"])
        value = _month_start(SEASON_MONTHS[season], year, reference)
        found.append(
            SeasonMention(
                start=match.start(),
                end=match.end(),
                season=season,
                value=value,
                text=match.group(0).strip(),
            )
        )
    return found
