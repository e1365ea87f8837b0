from __future__ import annotations

from collections import Counter

import orjson

from pillarwatch.models.dedupe import RecentIds
from pillarwatch.models.events import Event, decode
from pillarwatch.models.simulation import Simulation

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z


def test_recent_ids_drop_repeats_within_capacity_and_stay_bounded() -> None:
    ids = RecentIds(3)
    assert [ids.seen(x) for x in "abca"] == [False, False, False, True]
    assert [ids.seen(x) for x in "de"] == [False, False]
    assert len(ids) == 3 and ids.seen("a") is False  # forgotten: bounded memory


def test_simulation_is_seeded_valid_and_realistic() -> None:
    a = list(Simulation(seed=3).events(T0, T0 + 3600))
    b = list(Simulation(seed=3).events(T0, T0 + 3600))
    assert a == b and a != list(Simulation(seed=4).events(T0, T0 + 3600))
    decoded = [decode(orjson.dumps(e)) for e in a]
    assert all(isinstance(e, Event) for e in decoded)
    kinds = Counter(e["type"] for e in a)
    for etype in (
        "contact.queued",
        "contact.answered",
        "contact.abandoned",
        "contact.message",
        "contact.transferred",
        "contact.hold_started",
        "contact.wrapped",
        "survey.answered",
    ):
        assert kinds[etype] > 0, etype
    assert 0.01 < kinds["contact.abandoned"] / kinds["contact.queued"] < 0.3
    ts = [e.ts for e in decoded if isinstance(e, Event)]
    assert ts == sorted(ts)
    customers = Counter(e["customer_id"] for e in a if e["type"] == "contact.queued")
    assert max(customers.values()) > 1  # some customers come back


def test_incident_lowers_answered_share() -> None:
    normal = Counter(e["type"] for e in Simulation(seed=5).events(T0, T0 + 3600))
    incident = Simulation(seed=5, incidents=[(T0, T0 + 3600, "billing", 0.4)])
    hit = Counter(e["type"] for e in incident.events(T0, T0 + 3600))
    assert hit["contact.abandoned"] > normal["contact.abandoned"] * 1.5
