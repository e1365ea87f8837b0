"""The contact row as stored in the contacts table's changelog: rows written by an earlier
version (before `marker_context`) must still load after an upgrade, with the new field's
default, and a row of any other length is refused with a message that names the fields."""

from __future__ import annotations

import json

import pytest

from pillarwatch.models.contact import ContactState


def _state() -> ContactState:
    return ContactState(queue="billing", channel="chat", contact_id="c1", marker_context=1)


def test_a_row_round_trips_through_the_changelog_json() -> None:
    state = _state()
    assert ContactState.from_row(json.loads(json.dumps(state.to_row()))) == state


def test_a_row_written_before_marker_context_loads_with_its_default() -> None:
    old_row = _state().to_row()[:-1]  # what the previous version wrote: one value fewer
    loaded = ContactState.from_row(list(old_row))
    assert loaded.marker_context == 0
    assert loaded.queue == "billing"
    assert loaded.contact_id == "c1"


@pytest.mark.parametrize("cut", [2, -1])
def test_a_row_of_another_length_is_refused(cut: int) -> None:
    row = _state().to_row()
    bad = row[:-cut] if cut > 0 else (*row, "extra")
    with pytest.raises(ValueError, match=r"contact row: \d+ values, expected"):
        ContactState.from_row(bad)
