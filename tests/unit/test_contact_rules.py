"""Events valid alone but impossible together, and the contact timeout (models/contact.py rules).

Each test names the documented rule it holds the state machine to. The reference
computation (tests/support/reference.py) shows that one contact's odd sequence leaves other
contacts' figures alone.
"""

from __future__ import annotations

import orjson
import pytest

from pillarwatch.models.config import Config, ConfigError, _parse
from pillarwatch.models.contact import ContactState, Outcome, Summary, apply, expire, is_stale
from pillarwatch.models.events import Event
from tests.support.reference import reference

T0 = 1_772_445_600.0
CONFIG = Config()
HOUR = 3600.0


def ev(etype: str, dt: float, cid: str = "c1", n: int = 0, **kw: object) -> Event:
    fields = {"queue": "billing", "channel": "voice", **kw}
    return Event(f"{cid}-{etype}-{dt}-{n}", etype, T0 + dt, cid, **fields)  # type: ignore[arg-type]


def run(events: list[Event]) -> tuple[ContactState, list[Outcome | Summary]]:
    state: ContactState | None = None
    out: list[Outcome | Summary] = []
    for e in events:
        state, emitted = apply(state, e, 0, CONFIG)
        out += emitted
    assert state is not None
    return state, out


def outcomes(items: list[Outcome | Summary]) -> list[Outcome]:
    return [i for i in items if isinstance(i, Outcome)]


def summaries(items: list[Outcome | Summary]) -> list[Summary]:
    return [i for i in items if isinstance(i, Summary)]


def test_answered_twice_counts_once_with_the_first_answer() -> None:
    _, out = run([ev("contact.queued", 0), ev("contact.answered", 30), ev("contact.answered", 10)])
    assert [(o.outcome, o.wait) for o in outcomes(out)] == [("answered", 30.0)]
    # Arrival order does not matter when both come before the outcome is known.
    _, out = run([ev("contact.answered", 30), ev("contact.answered", 10), ev("contact.queued", 0)])
    assert [(o.outcome, o.wait) for o in outcomes(out)] == [("answered", 10.0)]


def test_ended_before_queued_in_time_is_a_short_abandon() -> None:
    _, out = run([ev("contact.ended", 0), ev("contact.queued", 50)])
    assert [(o.outcome, o.wait) for o in outcomes(out)] == [("short_abandoned", 0.0)]
    assert len(summaries(out)) == 1


def test_a_queued_after_the_contact_ended_is_a_re_opened_contact() -> None:
    """Same contact id, queued again after it ended and was wrapped: a second contact."""
    first = [ev("contact.queued", 0), ev("contact.answered", 10), ev("contact.ended", 100)]
    first.append(ev("contact.wrapped", 110, resolved=True))
    again = [ev("contact.queued", 600, n=1), ev("contact.answered", 605, n=1)]
    again += [ev("contact.ended", 700, n=1), ev("contact.wrapped", 700, n=1, resolved=False)]
    _, out = run(first + again)
    assert [(o.outcome, o.wait) for o in outcomes(out)] == [("answered", 10.0), ("answered", 5.0)]
    assert [(s.start, s.resolved) for s in summaries(out)] == [(T0, True), (T0 + 600, False)]
    # A replay of the first contact's own queued event changes nothing.
    _, out = run([*first, ev("contact.queued", 0)])
    assert len(outcomes(out)) == 1


def test_ended_arriving_before_its_queued_gives_one_abandon() -> None:
    """The tombstone keeps the ended time: the late `queued` completes the outcome."""
    _, out = run([ev("contact.ended", 60), ev("contact.queued", 0)])
    assert [(o.outcome, o.wait) for o in outcomes(out)] == [("abandoned", 60.0)]
    assert len(summaries(out)) == 1


def test_transfer_to_the_same_queue_is_a_transfer() -> None:
    _, out = run(
        [
            ev("contact.queued", 0),
            ev("contact.answered", 5),
            ev("contact.transferred", 50, to_queue="billing"),
            ev("contact.ended", 100),
            ev("contact.wrapped", 110, resolved=True),
        ]
    )
    [summary] = summaries(out)
    assert summary.transfers == 1 and summary.queue == "billing"


def test_abandoned_after_answered_is_not_an_abandon() -> None:
    _, out = run([ev("contact.queued", 0), ev("contact.answered", 5), ev("contact.abandoned", 9)])
    assert [o.outcome for o in outcomes(out)] == ["answered"]


def test_replay_onto_a_tombstone_emits_nothing() -> None:
    events = [
        ev("contact.queued", 0),
        ev("contact.answered", 5),
        ev("contact.ended", 100),
        ev("contact.wrapped", 120, resolved=False),
    ]
    state, out = run(events)
    assert state.summary_sent and len(out) == 2
    for e in events:  # a crash replays the same events onto the recovered state
        state, again = apply(state, e, 0, CONFIG)
        assert again == []


def test_a_contact_that_never_ends_is_closed_by_the_timeout() -> None:
    state, out = run([ev("contact.queued", 0), ev("contact.answered", 20)])
    assert outcomes(out) and not summaries(out)
    assert not is_stale(state, T0 + 20 + CONFIG.contact_timeout_seconds, CONFIG)
    assert is_stale(state, T0 + 21 + CONFIG.contact_timeout_seconds, CONFIG)
    [summary] = expire(state, CONFIG)
    assert isinstance(summary, Summary)
    # No wrap-up ever came: handle time runs to the last event; no disposition.
    assert summary.answered and summary.handle == 0.0 and summary.resolved is None
    assert summary.ts == T0 + 20
    assert expire(state, CONFIG) == []  # closing twice emits nothing


def test_a_waiting_contact_that_goes_silent_is_abandoned_at_its_last_event() -> None:
    state, out = run([ev("contact.queued", 0), ev("contact.hold_started", 40)])
    assert out == []
    emitted = expire(state, CONFIG)
    assert [(o.outcome, o.wait, o.ts) for o in outcomes(emitted)] == [("abandoned", 40.0, T0 + 40)]
    assert len(summaries(emitted)) == 1


def test_a_contact_never_queued_nor_answered_expires_silently() -> None:
    state, _ = run([ev("survey.answered", 0, csat=5)])
    assert expire(state, CONFIG) == []


def test_tombstones_expire_without_output() -> None:
    state, _ = run([ev("contact.queued", 0), ev("contact.abandoned", 30), ev("contact.ended", 31)])
    assert state.summary_sent
    assert expire(state, CONFIG) == []


def test_timeout_is_configurable_and_validated() -> None:
    assert CONFIG.contact_timeout_seconds == 4 * HOUR
    assert (
        _parse({"scoring": {"contact_timeout_seconds": 7200}}, "x", {}).contact_timeout_seconds
        == 7200
    )
    for bad in (0, 59, 8 * 86400, "4h"):
        with pytest.raises(ConfigError, match="contact_timeout_seconds"):
            _parse({"scoring": {"contact_timeout_seconds": bad}}, "x", {})


def _wire(e: Event) -> bytes:
    doc = {k: getattr(e, k) for k in ("event_id", "type", "ts", "contact_id", "channel", "queue")}
    if e.to_queue:
        doc["to_queue"] = e.to_queue
    return orjson.dumps(doc)


def test_odd_contacts_do_not_change_other_contacts_figures() -> None:
    normal = [
        ev("contact.queued", 0, "n1"),
        ev("contact.answered", 12, "n1"),
        ev("contact.ended", 200, "n1"),
        ev("contact.wrapped", 230, "n1", resolved=True),
    ]
    odd = [
        ev("contact.answered", 10, "x1"),
        ev("contact.answered", 20, "x1", n=1),
        ev("contact.ended", 5, "x2", queue="sales"),
        ev("contact.queued", 50, "x2", queue="sales"),
        ev("contact.queued", 0, "x3", queue="sales"),
        ev("contact.transferred", 30, "x3", queue="sales", to_queue="sales"),
    ]
    alone = reference([_wire(e) for e in normal], CONFIG)
    mixed = reference([_wire(e) for e in [*odd[:3], *normal[:2], *odd[3:], *normal[2:]]], CONFIG)
    billing = {k: v for k, v in mixed.contacts.items() if k[0] == "billing"}
    assert billing == alone.contacts
    pick = [w for w in mixed.windows if w.queue == "billing"]
    assert [w.measures for w in pick] == [w.measures for w in alone.windows]


def test_reference_closes_contacts_that_never_end() -> None:
    stuck = [ev("contact.queued", 0, f"s{i}") for i in range(5)]
    later = [ev("contact.queued", 5 * HOUR, "late"), ev("contact.answered", 5 * HOUR + 3, "late")]
    result = reference([_wire(e) for e in [*stuck, *later]], CONFIG)
    assert result.expired == 5
    assert result.contacts[("billing", "voice", "abandoned")] == 0  # waited 0 s: short abandons
    assert result.contacts[("billing", "voice", "short_abandoned")] == 5
