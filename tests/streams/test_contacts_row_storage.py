"""The `contacts` Table stores each row as JSON bytes (streams/agents/contacts.py): small in
memory, the changelog's own value, and readable from a changelog the json codec wrote."""

from __future__ import annotations

import json
import tracemalloc

from faust.serializers import codecs

from pillarwatch.models.contact import ContactState
from pillarwatch.streams.agents.contacts import _partition_prefix, load_state, store_state


def _state() -> ContactState:
    state = ContactState(queue="billing", channel="voice", customer_id="cust-1", contact_id="c1")
    state.queued_ts = state.last_ts = 1_772_445_600.25
    state.hold_starts.append(1_772_445_700.5)
    return state


def test_a_row_is_bytes_and_loads_back_to_the_same_state() -> None:
    row = store_state(_state(), 3)
    assert isinstance(row, bytes)
    assert json.loads(row)[0] == 3
    assert load_state(row) == _state()
    assert store_state(_state(), 3) == row  # unchanged state, equal row: no changelog write


def test_a_kept_row_holds_its_own_length_not_orjsons_buffer() -> None:
    state = _state()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        row = store_state(state, 3)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < len(row) + 100, (held, len(row))  # orjson's own buffer is 4 KB or more


def test_rows_the_json_codec_wrote_before_rows_were_bytes_still_load() -> None:
    state = _state()
    for old in (codecs.dumps("json", (3, *state.to_row())), json.dumps([3, *state.to_row()])):
        written = old.encode() if isinstance(old, str) else old
        assert load_state(written) == state
        assert written.startswith(_partition_prefix(3))


def test_the_sweeps_partition_prefix_tells_3_from_31() -> None:
    assert store_state(_state(), 3).startswith(_partition_prefix(3))
    assert not store_state(_state(), 31).startswith(_partition_prefix(3))
    assert not store_state(_state(), 3).startswith(_partition_prefix(31))


def test_no_row_loads_as_no_state() -> None:
    assert load_state(None) is None
