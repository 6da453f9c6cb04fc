"""The event union is listed by hand (a discriminated union must be spelled out); every event
class must be in it, or its messages would fail to parse and dead-letter at run time."""

from __future__ import annotations

from typing import get_args

import pytest

from planner_shared.events import EVENT_CLASSES, Event, EventBase, parse_event


def _union_members() -> set[type[EventBase]]:
    annotated_union, *_metadata = get_args(Event)
    return set(get_args(annotated_union))


def test_the_union_lists_exactly_the_event_classes() -> None:
    members = _union_members()
    classes = set(EVENT_CLASSES)
    assert {c.__name__ for c in classes - members} == set(), "missing from the Event union"
    assert {c.__name__ for c in members - classes} == set(), "in the union but not an event class"
    assert len(members) > 20


def test_event_types_are_unique_and_an_unknown_one_is_refused_by_name() -> None:
    types = [c.model_fields["type"].default for c in EVENT_CLASSES]
    assert len(types) == len(set(types))
    # What a class missing from the union meets at run time: its messages are refused.
    with pytest.raises(ValueError, match="does not match any of the expected tags"):
        parse_event('{"type": "nothing.happened"}')
