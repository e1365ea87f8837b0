"""Every record kind on the topics between the agents round-trips; a bad one is named."""

from __future__ import annotations

import orjson
import pytest

from pillarwatch.models.contact import Outcome, Survey
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal
from pillarwatch.models.staffing import AgentStateChange
from pillarwatch.models.summaries import (
    SweepRequest,
    WireError,
    by_customer_from_wire,
    from_wire,
    to_wire,
)
from tests.support.items import T0, summary

RECORDS = [
    Outcome("billing", "voice", T0, "answered", 5.0, True, "c1"),
    summary(0, contact_id="c1", customer_id="k1"),
    Survey("billing", "voice", T0, 4, 6, None, "c1"),
    JourneyDelta("billing", "voice", T0, {"repeats": 1.0}),
    AgentStateChange("billing", "voice", T0, "ann", "available"),
    Signal("billing", "voice", T0, "empathy", {"complained": 1.0}, "c1@1.0:0"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_each_kind_round_trips_through_json(record: object) -> None:
    doc = orjson.loads(orjson.dumps(to_wire(record)))  # type: ignore[arg-type]
    assert from_wire(doc) == record


def test_the_by_customer_topic_carries_summaries_and_sweeps() -> None:
    sweep = SweepRequest("integrity", "k1", T0)
    assert by_customer_from_wire(to_wire(sweep)) == sweep
    assert by_customer_from_wire(to_wire(RECORDS[1])) == RECORDS[1]  # type: ignore[arg-type]
    with pytest.raises(WireError, match="unknown kind 'outcome'"):
        by_customer_from_wire(to_wire(RECORDS[0]))  # type: ignore[arg-type]


def test_a_bad_record_names_its_kind_and_fields() -> None:
    with pytest.raises(WireError, match="unknown kind 'gossip'"):
        from_wire({"kind": "gossip"})
    doc = to_wire(RECORDS[3])  # type: ignore[arg-type]
    del doc["delta"]
    doc["extra"] = 1
    with pytest.raises(WireError, match=r"kind 'journey': unknown fields \['extra'\], missing"):
        from_wire(doc)
    with pytest.raises(WireError, match="expected a JSON object"):
        from_wire([1, 2])
