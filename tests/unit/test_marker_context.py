"""Conversation context in the contact fold: a short "sorry" right after the agent asked the
customer to repeat continues the request and is not an apology (models.markers.in_context,
called first in models/contact.py's message fold, in arrival order)."""

from __future__ import annotations

from dataclasses import fields

from pillarwatch.models.config import Config
from pillarwatch.models.contact import ContactState, apply, needs_state, relevant_markers
from pillarwatch.models.events import Event
from pillarwatch.models.markers import ASKED_TO_REPEAT

T0 = 1_772_445_600.0
ASK = "Could you repeat your account number, please?"


def _message(dt: float, role: str, text: str) -> Event:
    return Event(
        event_id=f"m-{dt}",
        type="contact.message",
        ts=T0 + dt,
        contact_id="c1",
        queue="billing",
        channel="chat",
        role=role,
        text=text,
        lang="en",
    )


def _fold(messages: list[tuple[str, str]]) -> ContactState:
    """Fold a chat as the first hop does: messages without markers or facts are skipped."""
    queued = Event(
        event_id="q", type="contact.queued", ts=T0, contact_id="c1", queue="billing", channel="chat"
    )
    state, _ = apply(None, queued, 0, Config())
    for dt, (role, text) in enumerate(messages, 1):
        event = _message(dt, role, text)
        markers = relevant_markers(event)
        if markers or needs_state(event):
            state, _ = apply(state, event, markers, Config())
    return state


def test_a_short_sorry_after_asking_to_repeat_is_no_apology_in_the_fold() -> None:
    state = _fold(
        [
            ("customer", "this is the third time i write about this"),
            ("agent", ASK),
            ("customer", "5512"),
            ("agent", "sorry, the last four digits"),
        ]
    )
    assert state.complaint_ts is not None
    assert state.apology_times == []
    assert state.marker_context == 0  # the agent's "sorry" is not itself a request to repeat


def test_the_same_sorry_without_the_request_is_an_apology() -> None:
    state = _fold(
        [
            ("customer", "this is the third time i write about this"),
            ("agent", "sorry, the last four digits"),
        ]
    )
    assert state.apology_times == [T0 + 2]


def test_a_real_apology_after_the_request_counts_and_clears_the_flag() -> None:
    state = _fold(
        [
            ("agent", ASK),
            ("customer", "5512"),
            ("agent", "I am so sorry, the refund was sent to the wrong account."),
            ("agent", "Oh sorry!"),
        ]
    )
    assert state.apology_times == [T0 + 3, T0 + 4]


def test_the_request_is_kept_in_the_contact_state_until_the_agent_moves_on() -> None:
    state = _fold([("agent", ASK), ("customer", "5512")])
    assert state.marker_context == ASKED_TO_REPEAT
    assert state.to_row()[-1] == ASKED_TO_REPEAT
    assert ContactState.from_row(state.to_row()) == state
    assert "marker_context" in {f.name for f in fields(ContactState)}
