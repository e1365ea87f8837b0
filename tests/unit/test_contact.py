"""The contact state machine: outcomes as they happen, summaries at the end, any order."""

from __future__ import annotations

import itertools

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.contact import ContactState, Outcome, Summary, apply
from pillarwatch.models.events import Event
from pillarwatch.models.markers import APOLOGY, COMPLAINT

T0 = 1_772_445_600.0
CONFIG = Config()


def ev(etype: str, dt: float, **kw: object) -> Event:
    fields = {"queue": "billing", "channel": "voice", **kw}
    return Event(event_id=f"{etype}-{dt}", type=etype, ts=T0 + dt, contact_id="c1", **fields)  # type: ignore[arg-type]


def run(
    events: list[Event], markers: dict[str, int] | None = None, config: Config = CONFIG
) -> tuple[ContactState | None, list[Outcome | Summary]]:
    state: ContactState | None = None
    out: list[Outcome | Summary] = []
    for e in events:
        state, emitted = apply(state, e, (markers or {}).get(e.event_id, 0), config)
        out += emitted
    return state, out


HANDLED = [
    ev("contact.queued", 0),
    ev("contact.answered", 15),
    ev("contact.hold_started", 60),
    ev("contact.hold_ended", 90),
    ev("contact.transferred", 100, to_queue="sales"),
    ev("contact.ended", 200),
    ev("contact.wrapped", 230, resolved=True),
]


def test_answered_contact_emits_outcome_at_answer_and_summary_after_wrap_up() -> None:
    _, out = run(HANDLED[:2])
    assert out == [Outcome("billing", "voice", T0 + 15, "answered", 15.0, True)]
    _, out = run(HANDLED)
    summary = out[1]
    assert isinstance(summary, Summary)
    assert (summary.handle, summary.holds, summary.hold_seconds, summary.transfers) == (
        215.0,
        1,
        30.0,
        1,
    )
    assert summary.resolved is True and summary.ts == T0 + 230


def test_out_of_order_arrival_gives_the_same_outputs() -> None:
    _, in_order = run(HANDLED)
    hold_reversed = [*HANDLED[:2], HANDLED[3], HANDLED[2], *HANDLED[4:]]
    for perm in [
        [HANDLED[1], HANDLED[0], *HANDLED[2:]],  # answered before queued
        [*HANDLED[:5], HANDLED[6], HANDLED[5]],  # wrapped before ended
        hold_reversed,
        [HANDLED[6], *HANDLED[:6]],  # the wrap-up overtakes everything
    ]:
        _, out = run(perm)
        assert out == in_order or sorted(map(repr, out)) == sorted(map(repr, in_order))


def test_queued_after_the_whole_contact_keeps_the_outcome_exact() -> None:
    """Documented limit: the summary has gone by then, with start = answer time and wait 0."""
    _, in_order = run(HANDLED)
    _, out = run(HANDLED[::-1])
    assert [o for o in out if isinstance(o, Outcome)] == [in_order[0]]
    summary = next(o for o in out if isinstance(o, Summary))
    assert (summary.handle, summary.holds, summary.transfers) == (215.0, 1, 1)
    assert (summary.start, summary.wait) == (T0 + 15, 0.0)


def test_repeated_events_change_nothing() -> None:
    doubled = list(itertools.chain.from_iterable((e, e) for e in HANDLED))
    _, once = run(HANDLED)
    _, twice = run(doubled)
    assert twice == once


def test_abandon_short_and_long_use_the_queue_targets() -> None:
    _, short = run([ev("contact.queued", 0), ev("contact.abandoned", 3)])
    _, long = run([ev("contact.queued", 0), ev("contact.abandoned", 30)])
    assert [o.outcome for o in short if isinstance(o, Outcome)] == ["short_abandoned"]
    assert [o.outcome for o in long if isinstance(o, Outcome)] == ["abandoned"]
    strict = Config(queue_overrides={"billing": {"short_abandon_seconds": 1.0}})
    _, out = run([ev("contact.queued", 0), ev("contact.abandoned", 3)], config=strict)
    assert [o.outcome for o in out if isinstance(o, Outcome)] == ["abandoned"]


def test_segment_target_decides_within_target() -> None:
    config = Config(segment_overrides={"business": {"service_level_seconds": 10.0}})
    _, biz = run(
        [ev("contact.queued", 0, segment="business"), ev("contact.answered", 15)], config=config
    )
    _, home = run(
        [ev("contact.queued", 0, segment="household"), ev("contact.answered", 15)], config=config
    )
    assert [o.within_target for o in biz if isinstance(o, Outcome)] == [False]
    assert [o.within_target for o in home if isinstance(o, Outcome)] == [True]
    assert config.targets("billing", "business") == Targets(service_level_seconds=10.0)


def test_ended_in_queue_without_abandon_event_is_an_abandon_at_the_end() -> None:
    _, out = run([ev("contact.queued", 0), ev("contact.ended", 40)])
    assert out[0] == Outcome("billing", "voice", T0 + 40, "abandoned", 40.0, False)
    assert isinstance(out[1], Summary) and out[1].answered is False


def test_apology_after_complaint_is_covered_with_its_delay() -> None:
    msgs = [
        ev("contact.message", 20, role="customer", text="x"),
        ev("contact.message", 50, role="agent", text="y"),
    ]
    marks = {msgs[0].event_id: COMPLAINT, msgs[1].event_id: APOLOGY}
    _, out = run([*HANDLED[:2], *msgs, *HANDLED[5:]], marks)
    summary = out[-1]
    assert isinstance(summary, Summary)
    assert summary.markers == COMPLAINT | APOLOGY and summary.complaint_to_apology == 30.0


def test_apology_before_any_complaint_does_not_count() -> None:
    msgs = [
        ev("contact.message", 20, role="agent", text="y"),
        ev("contact.message", 50, role="customer", text="x"),
    ]
    marks = {msgs[0].event_id: APOLOGY, msgs[1].event_id: COMPLAINT}
    _, out = run([*HANDLED[:2], *msgs, *HANDLED[5:]], marks)
    assert isinstance(out[-1], Summary) and out[-1].complaint_to_apology is None
