"""The offline parser's building blocks and the rules every extraction obeys."""

from __future__ import annotations

import random
from datetime import date

import pytest

from planner_extraction.assembly import Candidate, Reading, SeasonFraction, assemble
from planner_extraction.dates import find_dates, season_mentions
from planner_extraction.numbers import words_to_digits
from planner_extraction.offline_parser import parse_brief
from planner_extraction.text import correct_typo, split_sentences
from planner_shared.parameters import PARAMETER_NAMES, ParameterSource, ReplenishmentStrategy

REFERENCE = date(2026, 11, 2)  # a Monday
STATED = ParameterSource.STATED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a twelve-week season", "a 12-week season"),
        ("forty five per cent", "45 per cent"),
        ("forty-five", "45"),
        ("the sixth week", "the 6th week"),
        ("twenty-first week", "21st week"),
        ("one hundred and twenty", "120"),
        ("a dozen weeks", "12 weeks"),
        ("keep a quarter at the dc", "keep a quarter at the dc"),
        ("someone else", "someone else"),
    ],
)
def test_number_words_become_digits(text: str, expected: str) -> None:
    assert words_to_digits(text) == expected


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("replenishmnet", "replenishment"),
        ("weekyl", "weekly"),
        ("markdwon", "markdown"),
        ("percnet", "percent"),
        ("wearhouse", "warehouse"),
        ("fortnigthly", "fortnightly"),
    ],
)
def test_typos_of_domain_words_are_corrected(typo: str, meant: str) -> None:
    assert correct_typo(typo) == meant


@pytest.mark.parametrize("word", ["season", "reason", "though", "weeks", "stores", "sales"])
def test_ordinary_words_are_left_alone(word: str) -> None:
    assert correct_typo(word) is None


def test_sentences_keep_their_own_words_as_evidence() -> None:
    [first, second] = split_sentences("Start Mar. 2, 2027. Keep 45 percent at the D.C.")
    assert first.original == "Start Mar. 2, 2027"
    assert second.text == "keep 45% at the dc"
    assert second.evidence == "Keep 45 percent at the D.C"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-02", date(2027, 3, 2)),
        ("march 2, 2027", date(2027, 3, 2)),
        ("2nd of march 2027", date(2027, 3, 2)),
        ("02.03.2027", date(2027, 3, 2)),
        ("3/15/2027", date(2027, 3, 15)),
        ("15/03/2027", date(2027, 3, 15)),
        ("march 2", date(2027, 3, 2)),  # already past this year: next year's
        ("16 november", date(2026, 11, 16)),  # still ahead this year
        ("next monday", date(2026, 11, 9)),
    ],
)
def test_dates_in_the_usual_formats(text: str, expected: date) -> None:
    [mention] = find_dates(text, REFERENCE)
    assert mention.value == expected
    assert mention.ambiguity is None


def test_an_ambiguous_numeric_date_is_read_month_first_and_marked() -> None:
    [mention] = find_dates("03/02/2027", REFERENCE)
    assert mention.value == date(2027, 3, 2)
    assert mention.ambiguity is not None
    assert "3 February 2027" in mention.ambiguity
    [day_first] = find_dates("03/02/2027", REFERENCE, day_first=True)
    assert day_first.value == date(2027, 2, 3)


def test_an_ambiguous_date_with_one_reading_ahead_takes_that_one() -> None:
    # 2 November 2026 is the reference day itself; 11 February 2026 is already past.
    [mention] = find_dates("02/11/2026", REFERENCE)
    assert mention.value == date(2026, 11, 2)
    assert mention.inferred
    assert mention.ambiguity is None


def test_an_ambiguous_date_prefers_the_reading_that_is_a_monday() -> None:
    [mention] = find_dates("01/03/2027", REFERENCE)  # 1 March 2027 is a Monday, 3 Jan is not
    assert mention.value == date(2027, 3, 1)
    assert mention.inferred
    assert mention.ambiguity is None


def test_a_month_alone_is_its_first_monday() -> None:
    [mention] = find_dates("starting in march 2027", REFERENCE)
    assert mention.value == date(2027, 3, 1)
    assert mention.precision == "month"
    assert find_dates("markdowns may start later", REFERENCE) == []


def test_season_words_name_a_season_not_a_date() -> None:
    [spring] = season_mentions("the spring season", REFERENCE)
    assert spring.value == date(2027, 3, 1)
    [autumn] = season_mentions("aw27 knitwear", REFERENCE)
    assert autumn.value == date(2027, 9, 6)
    assert season_mentions("if sell-through falls below 60%", REFERENCE) == []


def test_the_reference_date_not_the_clock_decides() -> None:
    brief = "12-week season starting 2 March, weekly replenishment"
    early = parse_brief(brief, reference_date=date(2026, 1, 10))
    late = parse_brief(brief, reference_date=date(2026, 11, 2))
    assert early.parameters.season_start_date == date(2026, 3, 2)
    assert late.parameters.season_start_date == date(2027, 3, 2)
    assert parse_brief(brief, reference_date=REFERENCE) == late


def test_a_season_word_alone_is_inferred_with_low_confidence_and_flagged() -> None:
    extraction = parse_brief("Spring season, 12 weeks.", reference_date=REFERENCE)
    start = extraction.fields["season_start_date"]
    assert start.source is ParameterSource.INFERRED
    assert start.confidence <= 0.3
    assert start.value == "2027-03-01"
    [issue] = [i for i in extraction.issues if i.field == "season_start_date"]
    assert issue.kind == "missing"
    assert "Confirm" in issue.message


def test_contradictions_are_reported_not_guessed() -> None:
    extraction = parse_brief(
        "Weekly replenishment. No replenishment this season.", reference_date=REFERENCE
    )
    field = extraction.fields["replenishment_strategy"]
    assert field.source is ParameterSource.DEFAULT
    assert field.confidence == 0
    [issue] = [i for i in extraction.issues if i.field == "replenishment_strategy"]
    assert issue.kind == "contradictory"
    assert "weekly" in issue.message
    assert "none" in issue.message
    assert field.evidence is not None
    assert "No replenishment" in field.evidence


def test_out_of_range_falls_back_to_the_default_and_says_why() -> None:
    extraction = parse_brief(
        "A 12-week season, markdown check at week 20, 150% at the DC", reference_date=REFERENCE
    )
    assert extraction.parameters.markdown_checkpoint_week == 6
    assert extraction.parameters.dc_holdback_percentage == 45
    messages = {i.field: i.message for i in extraction.issues if i.kind == "out_of_range"}
    assert "week 20 is outside the 12-week season" in messages["markdown_checkpoint_week"]
    assert "150%" in messages["dc_holdback_percentage"]


def test_typo_corrected_sentences_lose_a_little_confidence() -> None:
    clean = parse_brief("Replenish weekly.", reference_date=REFERENCE)
    typo = parse_brief("Replenish weekyl.", reference_date=REFERENCE)
    assert typo.parameters == clean.parameters
    clean_confidence = clean.fields["replenishment_strategy"].confidence
    assert typo.fields["replenishment_strategy"].confidence == pytest.approx(
        clean_confidence - 0.05
    )


def test_a_long_brief_is_read_quickly_and_deterministically() -> None:
    paragraph = (
        "Plan the 12-week spring season starting March 2, replenish weekly, keep 45% at the "
        "DC, check markdowns at week 6 if sell-through is under 60%. "
    )
    brief = (paragraph * 200)[:20_000]
    first = parse_brief(brief, reference_date=REFERENCE)
    assert first == parse_brief(brief, reference_date=REFERENCE)
    assert first.parameters.forecast_horizon_weeks == 12
    assert not [i for i in first.issues if i.kind == "contradictory"]


def test_relative_and_absolute_checkpoints_that_agree_are_one_value() -> None:
    reading = Reading()
    reading.add("forecast_horizon_weeks", Candidate(12, 0.9, STATED, "12 weeks"))
    reading.add("markdown_checkpoint_week", Candidate(6, 0.9, STATED, "week 6"))
    reading.add(
        "markdown_checkpoint_week",
        Candidate(SeasonFraction(0.5), 0.6, ParameterSource.INFERRED, "mid-season"),
    )
    extraction = assemble(reading, reference_date=REFERENCE, extractor="offline")
    field = extraction.fields["markdown_checkpoint_week"]
    assert (field.value, field.source, field.confidence) == (6, STATED, 0.9)
    assert not [i for i in extraction.issues if i.field == "markdown_checkpoint_week"]


def test_the_default_checkpoint_follows_the_horizon() -> None:
    reading = Reading()
    reading.add("forecast_horizon_weeks", Candidate(9, 0.9, STATED, "9 weeks"))
    reading.add("replenishment_strategy", Candidate("fortnightly", 0.9, STATED, "fortnightly"))
    extraction = assemble(reading, reference_date=REFERENCE, extractor="llm")
    assert extraction.parameters.markdown_checkpoint_week == 4
    assert extraction.parameters.replenishment_strategy is ReplenishmentStrategy.BI_WEEKLY
    assert extraction.parameters.season_start_date == date(2026, 11, 9)
    assert extraction.fields["season_start_date"].source is ParameterSource.DEFAULT


def test_a_default_cannot_pose_as_a_candidate() -> None:
    with pytest.raises(ValueError, match="defaults are assembled later"):
        Candidate(12, 0.2, ParameterSource.DEFAULT)


def test_any_jumble_of_brief_words_still_gives_valid_parameters() -> None:
    vocabulary = (
        "plan 12-week season starting march 2 2027-03-01 03/02/2027 31 april replenish weekly "
        "bi-weekly no replenishment daily keep 45% 150% 0.45 half a quarter at the dc to stores "
        "markdown week 0 week 20 mid-season 3 weeks before the end sell-through under 60% "
        "- to : | , . spring aw27 from until 9999-12-31 60-week 0 weeks twelve sixth"
    )
    words = vocabulary.split()
    rng = random.Random(20261102)
    for _ in range(300):
        brief = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        extraction = parse_brief(brief, reference_date=REFERENCE)
        parameters = extraction.parameters
        week = parameters.markdown_checkpoint_week  # None: the jumble said "no markdown"
        assert week is None or 1 <= week <= parameters.forecast_horizon_weeks
        assert extraction.fields.keys() == set(PARAMETER_NAMES)
        assert extraction.usable == (len(extraction.defaulted) < len(PARAMETER_NAMES))


def test_a_holdback_written_as_a_fraction_is_flagged_not_taken() -> None:
    # The API's unit convention: a percent between 0 and 1 looks like a fraction.
    result = parse_brief(
        "Plan the 12-week season starting March 2 2026, keep 0.5% at the DC",
        reference_date=date(2026, 2, 1),
    )
    (issue,) = [i for i in result.issues if i.field == "dc_holdback_percentage"]
    assert issue.kind == "out_of_range"
    assert "looks like a fraction" in issue.message
    assert result.parameters.dc_holdback_percentage == 45.0
