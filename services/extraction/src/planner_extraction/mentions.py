"""Values in a normalised sentence and the cue words that say what they are about.

A value alone is ambiguous: "60%" may be the DC holdback or the sell-through threshold,
"week 6" the markdown checkpoint or the week a drop lands, "weekly" the replenishment or the
sales review. Each finder returns `Mention`s; `cues` returns the words around them by
category; `associate` pairs each mention with its nearest cue, one cue per mention, so in
"sell-through under 60% and keep 45% at the DC" each percentage gets its own cue.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from planner_extraction.assembly import NO_MARKDOWN, SeasonFraction, WeeksBeforeEnd

Kind = Literal["percent", "week", "frequency", "date", "horizon"]


@dataclass(frozen=True)
class Mention:
    kind: Kind
    start: int
    end: int
    value: Any
    confidence: float
    text: str
    group: int | None = None  # mentions listed together ("weeks 6 and 9") share a cue
    inferred: bool = False


@dataclass(frozen=True)
class Cue:
    category: str
    start: int
    end: int


# ------------------------------------------------------------------------------ percentages
_PERCENT = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)%")
_DECIMAL = re.compile(r"(?<![\w.%/-])(0?\.\d+|1\.0+)(?![\d%/.-]|\s*weeks?\b)")
_FRACTIONS = {
    "half": 50.0,
    "a quarter": 25.0,
    "1 quarter": 25.0,
    "3 quarters": 75.0,
    "a 3rd": 33.33,
    "1 3rd": 33.33,
    "2 thirds": 66.67,
    "a 5th": 20.0,
    "1 5th": 20.0,
}
_FRACTION = re.compile(
    r"\b((?<!1st )(?<!2nd )(?<!back )(?<!front )half|"
    + "|".join(re.escape(f) for f in _FRACTIONS if f != "half")
    + r")\b(?!\s*(?:-\s*)?(?:of the season|season|way|time|year|the season))"
)
# "DC hold 30": a bare number right after the DC's name is its share.
_DC_BARE = re.compile(
    r"\b(?:dc|holdback)(?:\s+(?:hold|holdback|reserve|share))?\s*(?:of\s+|at\s+|=\s*)?"
    r"(\d{1,3})\b(?![\d.%]|\s*(?:weeks?|stores?|units?|days?|pieces|pcs|skus?)\b)"
)


def find_percents(text: str) -> list[Mention]:
    """Shares of something, each as a percentage; a decimal 0.45 is 45%."""
    found = [
        Mention("percent", m.start(), m.end(), float(m.group(1)), 0.95, m.group(0))
        for m in _PERCENT.finditer(text)
    ]
    found += [
        Mention("percent", m.start(), m.end(), float(m.group(1)) * 100, 0.9, m.group(0))
        for m in _DECIMAL.finditer(text)
    ]
    found += [
        Mention("percent", m.start(), m.end(), _FRACTIONS[m.group(1)], 0.85, m.group(0))
        for m in _FRACTION.finditer(text)
    ]
    found += [
        Mention("percent", m.start(1), m.end(1), float(m.group(1)), 0.8, m.group(0))
        for m in _DC_BARE.finditer(text)
    ]
    return sorted(found, key=lambda m: m.start)


# Saying there is none is a value: zero, never the default. Written on the normalised text,
# where "hold back"/"held back" are "holdback", "distribution centre" is "dc", "zero" is "0".
_STORE = r"(?:dc|warehouse|reserve)"
_NO_HOLDBACK = re.compile(
    rf"\b(?:no|0|nil|without(?:\s+(?:a|any))?)\s+(?:{_STORE}\s+)?(?:holdback|reserve)\b"
    rf"|\bnothing\s+(?:(?:is|will be|gets|to be|should be)\s+)?"
    rf"(?:holdback|held|kept|reserved|retained|stays?|left)(?:\s+back)?\s+(?:at|in)\s+"
    rf"(?:the\s+)?{_STORE}\b"
    rf"|\b(?:holdback|hold|keep|reserve|retain)\s+(?:back\s+)?nothing\b"
    rf"|\bno\s+(?:stock|inventory|units|product|buy)\s+(?:(?:is|will be|gets)\s+)?"
    rf"(?:holdback|held|kept|reserved|retained)(?:\s+back)?\s+(?:(?:at|in)\s+(?:the\s+)?"
    rf"{_STORE}|centrally)\b"
    rf"|\b(?:don't|do not|won't|will not|not)\s+(?:holdback|hold|keep|reserve|retain)\s+"
    rf"(?:anything|any(?:\s+stock)?)\s+(?:back\s+)?(?:at|in)\s+(?:the\s+)?{_STORE}\b"
    rf"|\b(?:{_STORE}\s+)?holdback\s*(?::|=|-|is|of)?\s*(?:none|nil|n/?a|nothing|0)\b(?![.%\d])"
)


def find_no_holdbacks(text: str) -> list[Mention]:
    """Phrases saying nothing is held at the DC ("no DC holdback"): a holdback of 0%."""
    return [
        Mention("percent", m.start(), m.end(), 0.0, 0.9, m.group(0))
        for m in _NO_HOLDBACK.finditer(text)
    ]


# ------------------------------------------------------------------------------ weeks
_WEEK_NUMBER = re.compile(
    r"\bweeks?[\s-]*(?:#|no\.?|number)?\s*(\d{1,2})\b(?!\s*(?:%|-?\s*weeks?\b))"
    r"((?:\s*(?:,|and|or|/)\s*(?:week\s*)?\d{1,2}\b(?!%|\s*-?\s*weeks?\b))*)"
)
_ORDINAL_WEEK = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+week\b")
_WEEKS_ELAPSED = re.compile(
    r"\b(?:after|at|by)\s+(\d{1,2})\s+weeks?\b(?!\s+(?:before|from|prior))"
    r"|\b(\d{1,2})\s+weeks?\s+(?:in|into)\b"
)
_BEFORE_END = re.compile(
    r"\b(\d{1,2})\s+weeks?\s+(?:before|from|prior to|ahead of)\s+(?:the\s+)?"
    r"(?:season(?:'s)?\s+)?(?:end|close|finish)\b"
)
_MIDSEASON = re.compile(r"\b(?:midseason|halfway)\b")


_NO_MARKDOWN = re.compile(
    r"\b(?:no|0|without(?:\s+(?:a|any))?|skip(?:ping)?(?:\s+the)?|not doing(?:\s+(?:a|any))?)"
    r"\s+markdowns?(?:\s+(?:checkpoint|check|review|step|week))?\b"
    # "no markdown before week 6", "no markdown if it sells" still have one.
    r"(?!\s*(?:before|until|till|unless|if|when|below|under|above|earlier|prior"
    r"|(?:in|at)\s+(?:week|the 1st|the first|\d)"
    r"|for the 1st|during|depth|deeper|of more|over|beyond|greater|bigger))"
    r"|\bmarkdowns?(?:\s+(?:checkpoint|week|check|review))?\s*(?::|=|-|is)?\s*"
    r"(?:none|n/?a|nil|not needed|not planned)\b"
)


def find_no_markdowns(text: str) -> list[Mention]:
    """Phrases saying the season has no markdown: no checkpoint."""
    return [
        Mention("week", m.start(), m.end(), NO_MARKDOWN, 0.9, m.group(0))
        for m in _NO_MARKDOWN.finditer(text)
    ]


def _numbered_weeks(match: re.Match[str]) -> list[Mention]:
    """ "week 6", or "weeks 6 and 8": each number a mention, a list grouped by where it
    starts (the parser then knows they were one phrase)."""
    extras = list(re.finditer(r"\d{1,2}", match.group(2) or ""))
    group = match.start() if extras else None
    found = [
        Mention(
            "week",
            match.start(),
            match.end(1),
            int(match.group(1)),
            0.95,
            match.group(0),
            group=group,
        )
    ]
    for extra in extras:
        position = match.start(2) + extra.start()
        found.append(
            Mention(
                "week",
                position,
                position + len(extra.group(0)),
                int(extra.group(0)),
                0.95,
                extra.group(0),
                group=group,
            )
        )
    return found


def find_weeks(text: str) -> list[Mention]:
    """Week ordinals that could be the markdown checkpoint."""
    found: list[Mention] = []
    for match in _WEEK_NUMBER.finditer(text):
        found.extend(_numbered_weeks(match))
    for match in _ORDINAL_WEEK.finditer(text):
        found.append(
            Mention("week", match.start(), match.end(), int(match.group(1)), 0.9, match.group(0))
        )
    for match in _WEEKS_ELAPSED.finditer(text):
        weeks = int(match.group(1) or match.group(2))
        found.append(Mention("week", match.start(), match.end(), weeks, 0.85, match.group(0)))
    for match in _BEFORE_END.finditer(text):
        found.append(
            Mention(
                "week",
                match.start(),
                match.end(),
                WeeksBeforeEnd(int(match.group(1))),
                0.7,
                match.group(0),
                inferred=True,
            )
        )
    for match in _MIDSEASON.finditer(text):
        found.append(
            Mention(
                "week",
                match.start(),
                match.end(),
                SeasonFraction(0.5),
                0.6,
                match.group(0),
                inferred=True,
            )
        )
    return sorted(found, key=lambda m: m.start)


# ------------------------------------------------------------------------------ frequencies
_NONE_PHRASES = re.compile(
    r"\b(?:no|zero|0|without|nil)\s+(?:[a-z-]+\s+)?(?:replenishment|restock\w*|re-?orders?|"
    r"top-?ups?|replenishing|repeat orders?)\b"
    r"|\b(?:not|never|won't|don't|do not|will not|doesn't|does not|shouldn't|should not|"
    r"cannot|can't|no need to)\s+(?:be\s+|to\s+)?(?:\w+\s+)?(?:replenish\w*|restock\w*)"
    r"|\b1[\s-]?(?:shot|time|off)\s+buy\b|\bsingle buy\b|\bbuy(?:ing)? once\b|\b1 and done\b"
    r"|\breplenishment\s*(?::|=|-|is|will be|strategy)?\s*:?\s*(?:none|off|n/?a|nil|no)\b"
)
_FREQUENCIES: tuple[tuple[re.Pattern[str], str, float, bool], ...] = tuple(
    (re.compile(pattern), value, confidence, inferred)
    for pattern, value, confidence, inferred in (
        (
            r"\bbiweekly\b|\bfortnightly\b|\bevery fortnight\b|\bonce a fortnight\b",
            "bi_weekly",
            0.9,
            False,
        ),
        (r"\bevery (?:2|2nd|other|second|couple of) weeks?\b", "bi_weekly", 0.9, False),
        (r"\btwice (?:a|per) month\b|\btwice monthly\b|\bsemi-?monthly\b", "bi_weekly", 0.6, True),
        (r"\btwice (?:a|per) week\b|\btwice weekly\b|\bsemi-?weekly\b", "twice weekly", 0.9, False),
        (
            r"\bweekly\b|\bevery week\b|\beach week\b|\bonce (?:a|per|every) week\b",
            "weekly",
            0.9,
            False,
        ),
        (r"\bdaily\b|\bevery day\b|\beach day\b", "daily", 0.9, False),
        (r"\bmonthly\b|\bevery month\b|\bonce a month\b", "monthly", 0.9, False),
        (r"\bevery ([3-9]|1\d)(?:rd|th)? weeks?\b", "every {} weeks", 0.9, False),
    )
)
_NEGATED = re.compile(r"(?:\bnot|\brather than|\binstead of|\bno longer|\bnever)\s*$")


def find_frequencies(text: str) -> tuple[list[Mention], list[Mention]]:
    """(phrases that say there is no replenishment, frequencies that need a cue)."""
    nones = [
        Mention("frequency", m.start(), m.end(), "none", 0.95, m.group(0))
        for m in _NONE_PHRASES.finditer(text)
    ]
    taken = [(m.start, m.end) for m in nones]
    found: list[Mention] = []
    for pattern, value, confidence, inferred in _FREQUENCIES:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            if _NEGATED.search(text[max(0, match.start() - 16) : match.start()]):
                continue
            taken.append((match.start(), match.end()))
            label = value.format(*match.groups()) if match.groups() else value
            found.append(
                Mention(
                    "frequency",
                    match.start(),
                    match.end(),
                    label,
                    confidence,
                    match.group(0),
                    inferred=inferred,
                )
            )
    return nones, sorted(found, key=lambda m: m.start)


# ------------------------------------------------------------------------------ horizon
_WEEKS_SPAN = re.compile(r"(?<![\w.])(\d{1,3})\s*-?\s*weeks?\b")
_MONTHS_SPAN = re.compile(r"(?<![\w.])(\d{1,2})\s*-?\s*months?\b")
_LABELLED_SPAN = re.compile(
    r"\b(?:horizon|season length|length|duration)\s*(?:of|is|=|:)?\s*(\d{1,3})\b"
    r"(?!\s*(?:%|-?\s*weeks?\b|-?\s*months?\b|days?\b))"
)
_WEEK_OF = re.compile(r"\bweek \d{1,2} of (?:a |the )?(\d{1,2})\b(?!\s*-?\s*weeks?\b)")
_SPAN_BEFORE_EXCLUDES = re.compile(
    r"(?:\bevery|\beach|\bafter|\bwithin|\bfirst|\blast|\bpast|\bprevious|\bprior|\bbefore|"
    r"\bby|\bat|\bper|\bother|\bin(?: the next)?|\bcouple of|\bfew|\binitial|\bfinal|"
    r"\bopening|\bclosing|\bthe 1st|\bthe last|\bremaining|\+)\s*(?:the\s+)?$"
)
_SPAN_AFTER_EXCLUDES = re.compile(
    r"^\s*(?:in\b|into\b|before\b|after\b|later\b|ahead\b|out\b|ago\b|prior\b|lead\b|"
    r"from (?:now|today|the end|the start|launch|season end)\b|"
    r"to go\b|left\b|remaining\b|cover\b|of (?:cover|supply|stock|history|sales|data|actuals|"
    r"past|last)\b|supply\b|notice\b|delay\b|behind\b|history\b|'? ?(?:cover|supply|worth)\b)"
)
_SPAN_IN_THE_PAST = re.compile(
    r"(?:\b(?:last|previous|prior|past)\s+(?:year|season)|\bly\b)'?s?\b[^,;:]{0,12}$"
)
_SPAN_STRONG = re.compile(
    r"^\s*-?\s*(?:[a-z/]+\s+)?(?:season|horizon|plan|long|duration|run|programme|program|window|selling)\b"
)
_SPAN_STRONG_BEFORE = re.compile(
    r"(?:\bseason of|\bhorizon of|\bover|\bfor|\bspanning|\blasting|\bcovering|\bruns?|"
    r"\bhorizon|\blength|\bplan)\s*(?:the\s+)?(?:next\s+)?$"
)


def find_horizons(text: str) -> list[Mention]:
    """Season lengths in weeks (months converted, inferred)."""
    found: list[Mention] = []
    for match in _WEEKS_SPAN.finditer(text):
        if _excluded_span(text, match):
            continue
        before = text[max(0, match.start() - 24) : match.start()]
        strong = _SPAN_STRONG.search(text[match.end() :]) or _SPAN_STRONG_BEFORE.search(before)
        confidence = 0.95 if strong else 0.85
        found.append(
            Mention(
                "horizon",
                match.start(),
                match.end(),
                int(match.group(1)),
                confidence,
                match.group(0),
            )
        )
    for match in _MONTHS_SPAN.finditer(text):
        if _excluded_span(text, match):
            continue
        weeks = round(int(match.group(1)) * 52 / 12)
        found.append(
            Mention(
                "horizon", match.start(), match.end(), weeks, 0.6, match.group(0), inferred=True
            )
        )
    for pattern, confidence in ((_LABELLED_SPAN, 0.9), (_WEEK_OF, 0.8)):
        found.extend(
            Mention("horizon", m.start(), m.end(), int(m.group(1)), confidence, m.group(0))
            for m in pattern.finditer(text)
        )
    return sorted(found, key=lambda m: m.start)


def _excluded_span(text: str, match: re.Match[str]) -> bool:
    # "every 2 weeks", "after 6 weeks", "6 weeks in", "52 weeks of history" are not a season;
    # nor is "last year's 14-week season".
    before = text[max(0, match.start() - 24) : match.start()]
    after = text[match.end() : match.end() + 24]
    return bool(
        _SPAN_BEFORE_EXCLUDES.search(before)
        or _SPAN_AFTER_EXCLUDES.search(after)
        or _SPAN_IN_THE_PAST.search(before)
    )


# ------------------------------------------------------------------------------ cues
_CUES: dict[Kind, tuple[tuple[str, str], ...]] = {
    "percent": (
        (
            "dc",
            r"\bdc\b|\bwarehouse\b|\bholdback\b|\breserved?\b|\bheld\b|\bretain(?:ed)?\b"
            r"|\bcentral(?:ly)?\b|\bholds?\b|\bin reserve\b|\bback room\b|\bstays?\b",
        ),
        (
            "stores",
            r"\bstores?\b|\binitial allocation\b|\ballocat\w*\b|\bpush(?:ed)?\b"
            r"|\bship(?:ped)? (?:out|to)\b|\bfloor\b|\bsend\b",
        ),
        (
            "threshold",
            r"\bsell-through\b|\bthreshold\b|\btargets?\b|\bsold\b|\bsells?\b"
            r"|\bselling\b|\bunder\b|\bbelow\b|\bless than\b|\blower than\b"
            r"|\bshort of\b|\bbeneath\b|<",
        ),
        (
            "other",
            r"\bvariance\b|\bsafety stock\b|\bmargins?\b|\bgrowth\b|\buplift\b"
            r"|\bincrease\b|\bdecrease\b|\bbudget\b|\blast year\b|\bly\b|\boff\b"
            r"|\bdiscount\w*\b|\bmax(?:imum)?\b|\bcap(?:ped)?\b|\bup to\b|\bdepth\b"
            r"|\bprices?\b|\bforecast\w*\b|\berror\b|\bconfidence\b|\binterval\b"
            r"|\bbuffer\b|\bmarkdowns? (?:of|by)\b|(?<=%) ?markdowns?\b|\bcut\b"
            r"|\bbigger\b|\bsmaller\b",
        ),
    ),
    "week": (
        (
            "checkpoint",
            r"\bmarkdowns?\b|\bcheckpoint\b|\bcheck(?:ed|s|ing)?\b|\breview\w*\b"
            r"|\bsell-through\b|\bevaluat\w*\b|\bassess\w*\b|\bpric\w*\b"
            r"|\bclearance\b|\bdiscount\w*\b|\bthreshold\b|\btarget\b|\blook at\b",
        ),
        (
            "other",
            r"\bstart\w*\b|\bbegin\w*\b|\blaunch\w*\b|\bcommencing\b"
            r"|\bdeliver\w*\b|\bdrops?\b|\barriv\w*\b|\breplenish\w*\b|\breceiv\w*\b"
            r"|\bpeak\b|\bpromo\w*\b|\bsale\b|\bholiday\b|\bevent\b|\bcampaign\b"
            r"|\blast\b|\bfinal\b|\bfirst\b",
        ),
    ),
    "frequency": (
        (
            "replenishment",
            r"\breplenish\w*\b|\brestock\w*\b|\bre-?order\w*\b|\btop-?ups?\b"
            r"|\brefill\w*\b|\bresuppl\w*\b|\bdeliver\w*\b|\bshipments?\b"
            r"|\bship(?:ped|s)?\b|\bdc\b|\bwarehouse\b|\brefresh\w*\b",
        ),
        (
            "other",
            r"\bsales\b|\breviews?\b|\breport\w*\b|\bmeetings?\b|\bactuals\b"
            r"|\bforecasts?\b|\bupdates?\b|\bchecks?\b|\bmarkdowns?\b|\bdata\b"
            r"|\buploads?\b|\bsync\b|\bcalls?\b|\bvariance\b|\bre-?forecast\w*\b"
            r"|\bstand-?ups?\b|\bemails?\b|\bsummar\w*\b",
        ),
    ),
    "date": (
        (
            "start",
            r"\bstart\w*\b|\bbegin\w*\b|\bcommenc\w*\b|\blaunch\w*\b|\bfrom\b"
            r"|\bkick(?:s|ing)? off\b|\bopens?\b|\bgo(?:es)? live\b|\bin-store\b|\bweek 1\b"
            r"|\blands?\b|\bdrops?\b|\bfirst day\b|\bon floor\b",
        ),
        (
            "end",
            r"\bends?\b|\bending\b|\buntil\b|\btill\b|(?<!sell-)\bthrough\b"
            r"|\bfinish\w*\b"
            r"|\bclos\w*\b|\bwraps?\b|\blast day\b|\bruns? to\b",
        ),
        (
            "checkpoint",
            r"\bmarkdowns?\b|\bcheckpoint\b|\bcheck\w*\b|\breview\w*\b"
            r"|\bsell-through\b",
        ),
        (
            "other",
            r"\blast year\b|\bly\b|\bwritten\b|\bdated\b|\bas of\b|\btoday is\b"
            r"|\bhistory\b|\bdata\b|\bactuals\b|\bmeeting\b|\bdeadline\b|\bdue\b"
            r"|\bapprov\w*\b|\bsign[- ]?off\b|\border by\b|\bsubmit\w*\b",
        ),
    ),
}
_COMPILED_CUES = {
    kind: tuple((category, re.compile(pattern)) for category, pattern in entries)
    for kind, entries in _CUES.items()
}

_MAX_DISTANCE = 60
_CLAUSE_PENALTY = 25


def cues(text: str, kind: Kind) -> list[Cue]:
    found: list[Cue] = []
    for category, pattern in _COMPILED_CUES[kind]:
        found.extend(Cue(category, m.start(), m.end()) for m in pattern.finditer(text))
    return found


def _distance(text: str, mention: Mention, cue: Cue) -> int:
    if cue.end <= mention.start:
        gap = text[cue.end : mention.start]
    elif mention.end <= cue.start:
        gap = text[mention.end : cue.start]
    else:
        return 0
    # A comma or colon between the two usually means another clause, a dash a table cell.
    return len(gap) + _CLAUSE_PENALTY * sum(gap.count(c) for c in ",:()/|")


def associate(text: str, mentions: Sequence[Mention], found: Iterable[Cue]) -> list[str | None]:
    """The cue category of each mention (None when nothing is near), nearest pairs first."""
    # Only cues within _MAX_DISTANCE characters can pair (the distance is at least the gap),
    # so each mention looks at a window of sorted cues: a 20,000-character brief full of
    # values reads in linear time instead of comparing every value with every cue.
    inside = _covered(mentions)
    cue_list = sorted((c for c in found if not inside(c)), key=lambda c: (c.start, c.end))
    starts = [c.start for c in cue_list]
    longest = max((c.end - c.start for c in cue_list), default=0)
    pairs = []
    for index, mention in enumerate(mentions):
        first = bisect_left(starts, mention.start - _MAX_DISTANCE - longest)
        last = bisect_right(starts, mention.end + _MAX_DISTANCE)
        for cue_index in range(first, last):
            distance = _distance(text, mention, cue_list[cue_index])
            if distance <= _MAX_DISTANCE:
                pairs.append((distance, index, cue_index))
    pairs.sort()
    result: list[str | None] = [None] * len(mentions)
    used: set[int] = set()
    for _, index, cue_index in pairs:
        if result[index] is None and cue_index not in used:
            result[index] = cue_list[cue_index].category
            used.add(cue_index)
    # Mentions listed together ("weeks 6 and 9") take the first cue found for their group.
    by_group: dict[int, str] = {}
    for mention, category in zip(mentions, result, strict=True):
        if mention.group is not None and category is not None:
            by_group.setdefault(mention.group, category)
    return [
        category if category is not None or mention.group is None else by_group.get(mention.group)
        for mention, category in zip(mentions, result, strict=True)
    ]


def _covered(mentions: Sequence[Mention]) -> Callable[[Cue], bool]:
    """Whether a cue lies inside a mention ("week" in "week 6" is not a cue for it)."""
    spans = sorted((m.start, m.end) for m in mentions)
    starts = [start for start, _ in spans]
    reach = list(itertools.accumulate((end for _, end in spans), max))

    def inside(cue: Cue) -> bool:
        index = bisect_right(starts, cue.start)
        return index > 0 and reach[index - 1] >= cue.end

    return inside
