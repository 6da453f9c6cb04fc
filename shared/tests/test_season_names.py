"""Season names: typed, read from a brief's title, or said from the start."""

from __future__ import annotations

from datetime import date

import pytest

from planner_shared.season_names import (
    MAX_NAME_LENGTH,
    clean_name,
    name_from_brief,
    name_from_start,
    season_name,
)


@pytest.mark.parametrize(
    ("brief", "name"),
    [
        ("Spring 2026 womenswear: a 12-week season starting 2 March", "Spring 2026 womenswear"),
        ("AW26 menswear - keep 30% at the DC", "AW26 menswear"),
        ("Our Summer 2025 capsule runs 10 weeks from June", "Summer 2025 capsule"),
        ("holiday 2025", "Holiday 2025"),
        ("Plan the 12-week spring season starting March 2, 2026", None),
        ("keep 45% at the DC", None),
        ("", None),
    ],
)
def test_a_brief_names_its_season_only_by_a_season_word_and_a_year(
    brief: str, name: str | None
) -> None:
    assert name_from_brief(brief) == name


@pytest.mark.parametrize(
    ("start", "name"),
    [
        (date(2025, 3, 3), "Spring 2025"),
        (date(2026, 7, 6), "Summer 2026"),
        (date(2026, 10, 5), "Autumn 2026"),
        (date(2026, 12, 7), "Winter 2027"),
        (date(2027, 1, 4), "Winter 2027"),
    ],
)
def test_a_start_names_the_season_it_falls_in(start: date, name: str) -> None:
    assert name_from_start(start) == name


def test_a_typed_name_wins_and_is_cleaned() -> None:
    assert season_name("  Spring\t2025   replay\n", "Summer 2026 menswear", None) == (
        "Spring 2025 replay"
    )
    assert season_name(None, "Summer 2026 menswear", date(2025, 3, 3)) == "Summer 2026 menswear"
    assert season_name("   ", None, date(2025, 3, 3)) == "Spring 2025"
    assert season_name(None, None, None) is None
    assert len(clean_name("x" * 500)) == MAX_NAME_LENGTH
