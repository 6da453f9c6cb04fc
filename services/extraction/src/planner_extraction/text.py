"""Brief text made regular before the rules read it.

Each sentence keeps its original words (they become the evidence a planner sees) and gets a
normalised form: lower case, plain dashes, typos of the domain's words corrected, the usual
abbreviations expanded ("wk", "replen", "MD", "ST", "DC"), number words as digits and every
way of writing a percentage as "%". Table rows ("DC hold | 40") become phrases the same rules
read ("dc hold 40%").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from planner_extraction.numbers import words_to_digits

# Words worth correcting: long enough that one or two slips cannot turn an ordinary word into
# one of them. Short or everyday neighbours ("season"/"reason") are left out on purpose.
_VOCABULARY = (
    "replenish",
    "replenished",
    "replenishing",
    "replenishment",
    "restock",
    "restocking",
    "fortnightly",
    "biweekly",
    "weekly",
    "markdown",
    "markdowns",
    "checkpoint",
    "threshold",
    "holdback",
    "distribution",
    "warehouse",
    "percent",
    "through",
    "horizon",
    "starting",
    "beginning",
    "commencing",
    "january",
    "february",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "twelve",
    "eleven",
    "twenty",
    "thirty",
    "eighteen",
    "sixteen",
    "fourteen",
    "thirteen",
    "fifteen",
)
_PROTECTED = frozenset(
    {"though", "thorough", "thought", "throughout", "throug", "weeks", "weekend", "mondays"}
)

# `(?<!\s)` starts a bullet's whitespace at its first character only: without it a long run
# of spaces is rescanned from each of its positions (quadratic on a 20,000-space brief).
_SENTENCE_END = re.compile(r"[.!?;]\s+|\n+|[!?;](?=\S)|(?<!\s)\s+[•·]\s+|[.!?;]$")
# A full stop after these is an abbreviation, not the end of a sentence ("Mar. 2").
_ABBREVIATIONS = frozenset(
    {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
    | {"no", "approx", "vs", "wk", "wks", "e.g", "i.e", "etc", "incl", "min", "max", "est"}
)
_BULLET = re.compile(r"^\s*(?:[-*•·>]+|\d+[.)])\s+")
_KEY_VALUE = re.compile(
    r"^\s*\|?\s*(?P<key>[a-z][a-z0-9 #%/()&.'-]{0,40}?)\s*(?::|=|\||\t|\s{2,}|->|\s-\s)\s*"
    r"(?P<value>[^|]+?)\s*\|?\s*$"
)
# A table row is short; a long sentence is never tried as one (the pattern backtracks on it).
_MAX_ROW = 160
_LONG_BLANK = re.compile(r"[^\S\n]{3,}")
_BARE_NUMBER = re.compile(r"^~?\s*(\d{1,3}(?:\.\d+)?|\.\d+)$")

_REPLACEMENTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"[\u2010-\u2015\u2212]", "-"),
        (r"[\u2018\u2019]", "'"),
        (r"[\u201c\u201d]", '"'),
        (r"\u00bd", "half"),
        (r"\uff05", "%"),
        (r"\u00a0", " "),
        (r"_", " "),  # snake_case keys ("season_length: 12")
        (r"\bsell[\s-]*thr(?:ough|u|ought)\b|\bsellthrough\b|\bs/t\b|\bst\b", "sell-through"),
        (r"\bthru\b", "through"),
        (r"\bw/c\b|\bwk/c\b", "week commencing"),
        (r"\bw/e\b", "week ending"),
        (r"\bw(\d{1,2})\b", r"week \1"),
        (r"\bbi[\s-]?w(?:ee)?kly\b", "biweekly"),
        (r"\bw(?:ee)?kly\b", "weekly"),
        (r"(?:\b|(?<=\d))wks\b\.?", "weeks"),
        (r"(?<=\d)w\b", " weeks"),
        (r"(?:\b|(?<=\d))wk(?=\b|\d)\.?", "week "),
        (r"\bfort[\s-]nightly\b", "fortnightly"),
        (r"\bmark[\s-]downs?\b", "markdown"),
        (r"\bmd\b|\bmkdn?\b|\bmkd\b", "markdown"),
        (r"\breplen(?:s|ish(?:ment)?)?\b\.?|\brepl\b\.?", "replenishment"),
        (r"\bre-stock", "restock"),
        (r"\bd\.c\.?(?=\W|$)|\bdistribution\s+cent(?:re|er)s?\b|\bdcs\b", "dc"),
        (r"\bhold(?:ing)?[\s-]?backs?\b|\bheld[\s-]back\b|\bkeep[\s-]back\b", "holdback"),
        (r"\bmid[\s-]?season\b|\bmiddle of the season\b|\bmid[\s-]?point\b", "midseason"),
        (r"\bhalf[\s-]way\b", "halfway"),
        (r"\bper[\s-]?cent\b|\bpercent\b|\bpct\b", "%"),
        (r"&", " and "),
        (r"\bno\.\s*of\b|#\s*of\b", "number of"),
    )
)
_PERCENT_SPACE = re.compile(r"(\d)\s+%")


@dataclass(frozen=True)
class Sentence:
    """One sentence (or table row) of the brief: its own words and its normalised form."""

    original: str
    text: str
    corrected: tuple[str, ...] = ()

    @cached_property  # read once per value found: a long sentence is not re-split each time
    def evidence(self) -> str:
        words = " ".join(self.original.split())
        return words if len(words) <= 200 else words[:197] + "..."


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with transpositions (optimal string alignment), stopping past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=8192)
def correct_typo(word: str) -> str | None:
    """The domain word `word` was probably meant to be, or None when it looks intended."""
    if len(word) < 5 or word in _PROTECTED or word in _VOCABULARY:
        return None
    best: tuple[int, str] | None = None
    for target in _VOCABULARY:
        limit = 2 if len(target) >= 9 else 1 if len(target) >= 6 else 0
        if limit == 0:
            continue
        distance = _distance(word, target, limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, target)
    return best[1] if best else None


def _correct_typos(text: str) -> tuple[str, tuple[str, ...]]:
    corrections: list[str] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        fixed = correct_typo(word)
        if fixed is None:
            return word
        corrections.append(f"{word}->{fixed}")
        return fixed

    return re.sub(r"[a-z]+", fix, text), tuple(corrections)


# A table row's key says which parameter a bare number is; it is rewritten as the phrase a
# planner would have written, so the same rules read prose and tables.
_KEY_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"threshold|target|sell-through"), "sell-through threshold {}%"),
    (re.compile(r"markdown|checkpoint|review|check"), "markdown checkpoint week {}"),
    (re.compile(r"dc|holdback|warehouse|reserve"), "dc holdback {}%"),
    (re.compile(r"horizon|length|duration|weeks|term"), "season of {} weeks"),
)
_NO_VALUES = re.compile(r"^(?:no|none|n/?a|nil|off|-|0|not needed)$")


def _rewrite_key_value(text: str) -> str:
    """A table row `key: value` as a phrase; a bare number gets the unit its key implies."""
    match = _KEY_VALUE.match(text) if len(text) <= _MAX_ROW else None
    if match is None:
        return text
    key, value = match["key"].strip(), match["value"].strip()
    if "replenishment" in key and _NO_VALUES.match(value):
        return f"{key}: no replenishment"
    number = _BARE_NUMBER.match(value)
    if number is not None:
        raw = number.group(1)
        for pattern, phrase in _KEY_PHRASES:
            if pattern.search(key):
                if phrase.endswith("%") and "." in raw and float(raw) <= 1:
                    return phrase.removesuffix("{}%") + raw  # a fraction stays a fraction
                return phrase.format(raw)
    elif _NO_VALUES.match(value):
        # "DC holdback | none" holds nothing back; "Markdown | n/a" is a season without one.
        # A threshold of "none" means nothing readable: left as written, so it is flagged.
        named = next((p for pattern, p in _KEY_PHRASES if pattern.search(key)), "")
        if named.startswith("markdown"):
            return "no markdown"
        if named.startswith("dc"):
            return "dc holdback 0%"
    return text


def row_parameter(text: str) -> str | None:
    """The parameter a table row `key: value` names by its key, if it is one and short."""
    match = _KEY_VALUE.match(text) if len(text) <= _MAX_ROW else None
    if match is None:
        return None
    key = match["key"]
    if "replenish" in key:
        return "replenishment_strategy"
    return next((name for pattern, name in _ROW_KEYS if pattern.search(key)), None)


_ROW_KEYS = tuple(
    (pattern, name)
    for (pattern, _), name in zip(
        _KEY_PHRASES,
        (
            "markdown_threshold",
            "markdown_checkpoint_week",
            "dc_holdback_percentage",
            "forecast_horizon_weeks",
        ),
        strict=True,
    )
)


def normalise(original: str) -> Sentence:
    # Three blanks or thirty say the same (a column gap); shortening them keeps every rule
    # linear in the sentence's length.
    text = _LONG_BLANK.sub("  ", original.lower())
    text, corrected = _correct_typos(text)
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    text = words_to_digits(text)
    text = _PERCENT_SPACE.sub(r"\1%", text)
    text = _rewrite_key_value(_BULLET.sub("", text))
    return Sentence(original=original.strip(), text=" ".join(text.split()), corrected=corrected)


def split_sentences(brief: str) -> list[Sentence]:
    """Sentences and table rows of `brief`, normalised; empty ones dropped."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(brief):
        if match.group(0).startswith("."):
            words = brief[start : match.start()].split()
            if words and words[-1].lower().strip("(") in _ABBREVIATIONS:
                continue
        pieces.append(brief[start : match.start() + (1 if match.group(0)[0] in "!?" else 0)])
        start = match.end()
    pieces.append(brief[start:])
    return [normalise(piece) for piece in pieces if piece.strip(" |-=*\t.")]
