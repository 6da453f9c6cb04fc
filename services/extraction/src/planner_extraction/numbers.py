"""Numbers written in words, turned into digits so the parsing rules only deal with digits.

"twelve-week" -> "12-week", "forty five per cent" -> "45 per cent", "the sixth week" ->
"the 6th week", "one hundred and twenty" -> "120". Fractions ("a quarter", "half") are left
alone on purpose: "a quarter" is a share in "keep a quarter at the DC" and a period of time in
"plan the quarter", so only the rule that knows its context may read it.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS = {
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
}

_CARDINAL = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_ORDINAL = "|".join(sorted([*ORDINAL_UNITS, *ORDINAL_TENS], key=len, reverse=True))
_UNIT_WORDS = "|".join(sorted(UNITS, key=len, reverse=True))
_ORDINAL_UNIT_WORDS = "|".join(sorted(ORDINAL_UNITS, key=len, reverse=True))
_TEN_WORDS = "|".join(TENS)

# Longest forms first: "one hundred and twenty five", "forty-five", "twenty first", "dozen".
_NUMBER_WORDS = re.compile(
    rf"""\b(?:
        (?P<hundreds>{_UNIT_WORDS})[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?
            (?P<rest>(?:{_TEN_WORDS})(?:[\s-]+(?:{_UNIT_WORDS}))?|{_UNIT_WORDS}))?
      | (?P<tens>{_TEN_WORDS})[\s-]+(?P<tens_ordinal_unit>{_ORDINAL_UNIT_WORDS})
      | (?P<tens2>{_TEN_WORDS})[\s-]+(?P<unit>{_UNIT_WORDS})
      | (?P<ordinal>{_ORDINAL})
      | (?P<cardinal>{_CARDINAL})
      | (?P<dozen>(?:a|one)[\s-]+dozen)
    )\b""",
    re.VERBOSE,
)


def _suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _cardinal_value(words: str) -> int:
    parts = [p for p in re.split(r"[\s-]+", words) if p and p != "and"]
    total = 0
    for part in parts:
        total += UNITS.get(part, 0) + TENS.get(part, 0)
    return total


def _replace(match: re.Match[str]) -> str:
    if match["hundreds"]:
        return str(UNITS[match["hundreds"]] * 100 + _cardinal_value(match["rest"] or ""))
    if match["tens"]:
        value = TENS[match["tens"]] + ORDINAL_UNITS[match["tens_ordinal_unit"]]
        return f"{value}{_suffix(value)}"
    if match["tens2"]:
        return str(TENS[match["tens2"]] + UNITS[match["unit"]])
    if match["ordinal"]:
        word = match["ordinal"]
        value = ORDINAL_UNITS[word] if word in ORDINAL_UNITS else ORDINAL_TENS[word]
        return f"{value}{_suffix(value)}"
    if match["cardinal"]:
        word = match["cardinal"]
        return str(UNITS[word] if word in UNITS else TENS[word])
    return "12"  # "a dozen"


def words_to_digits(text: str) -> str:
    """Replace number words in lower-case `text` by their digits (ordinals keep a suffix)."""
    return _NUMBER_WORDS.sub(_replace, text)
