"""Hand-computed scenario on the embedded broker: segment targets, a journey across channels,
short abandons, late events. Every expected number below is worked out by hand in comments."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.events import parse_ts
from pillarwatch.produce import produce
from tests.support.worker import WorkerProcess, value, wait_for, worker_env

pytestmark = pytest.mark.integration

T0 = parse_ts("2026-03-02T10:00:00Z")
CONFIG = """
[defaults]
service_level_seconds = 20
[segments.business]
service_level_seconds = 10
"""


def contact(
    cid: str,
    cust: str,
    channel: str,
    steps: list[tuple[str, float, dict[str, object]]],
    segment: str = "household",
) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"{cid}-{i}",
            "type": t,
            "ts": T0 + dt,
            "contact_id": cid,
            "channel": channel,
            "queue": "q1",
            "customer_id": cust,
            "segment": segment,
            **extra,
        }
        for i, (t, dt, extra) in enumerate(steps)
    ]


Q, A, AB, E, W = (
    "contact.queued",
    "contact.answered",
    "contact.abandoned",
    "contact.ended",
    "contact.wrapped",
)
IN_TIME = [
    # A: business, waited 15 s > its 10 s target; handled 105 s; unresolved
    *contact(
        "A",
        "k1",
        "voice",
        [(Q, 0, {}), (A, 15, {}), (E, 100, {}), (W, 120, {"resolved": False})],
        segment="business",
    ),
    # B: household, waited 15 s <= 20 s; handled 185 s; resolved
    *contact(
        "B", "k2", "voice", [(Q, 10, {}), (A, 25, {}), (E, 200, {}), (W, 210, {"resolved": True})]
    ),
    # C: short abandon after 3 s; D: same customer 10 s later, abandons after 60 s (a repeat)
    *contact("C", "k3", "voice", [(Q, 20, {}), (AB, 23, {}), (E, 23, {})]),
    *contact("D", "k3", "voice", [(Q, 30, {}), (AB, 90, {}), (E, 90, {})]),
    # E: k1 again, on chat: a repeat of A, waited 5 s, resolved -> ends k1's journey
    *contact(
        "E", "k1", "chat", [(Q, 150, {}), (A, 155, {}), (E, 400, {}), (W, 420, {"resolved": True})]
    ),
]
# Produced in event-time order, as a platform sends them; then F, which happened 10 minutes
# earlier and arrives last: its 2 events are late (waited 10 s).
EVENTS = [
    *sorted(IN_TIME, key=lambda e: float(e["ts"])),  # type: ignore[arg-type]
    *contact("F", "k4", "voice", [(Q, -600, {}), (A, -590, {})]),
]


def test_hand_computed_scenario(broker: EmbeddedBroker, tmp_path: Path) -> None:
    config = tmp_path / "pillarwatch.toml"
    config.write_text(CONFIG)
    # One partition: lateness is judged per partition, and this scenario counts late events.
    env = worker_env(
        broker, tmp_path, "scenario", PILLARWATCH_CONFIG=str(config), PILLARWATCH_PARTITIONS="1"
    )
    worker = WorkerProcess(env, tmp_path / "worker.log")
    records = [(str(e["contact_id"]).encode(), orjson.dumps(e)) for e in EVENTS]
    asyncio.run(produce(worker.settings, records))
    voice = {"queue": "q1", "channel": "voice", "window": "1h"}
    chat = {**voice, "channel": "chat"}
    want = {
        # offered voice: A, B, C, D, F = 5; C is a short abandon -> 4 considered
        ("pillarwatch_window_contacts", "voice"): 5,
        # within target: B (15 <= 20) and F (10 <= 20); A's business target is 10 s
        ("pillarwatch_service_level_ratio", "voice"): 2 / 4,
        ("pillarwatch_abandon_ratio", "voice"): 1 / 4,  # D
        ("pillarwatch_average_speed_of_answer_seconds", "voice"): (15 + 15 + 10) / 3,
        ("pillarwatch_average_handle_seconds", "voice"): (105 + 185) / 2,
        # contacts with a customer, ended: A, B, C, D; D repeats C within the week
        ("pillarwatch_repeat_contact_ratio", "voice"): 1 / 4,
        ("pillarwatch_repeat_contact_ratio", "chat"): 1.0,
        # wrapped with a disposition: A (unresolved), B (resolved, no repeat)
        ("pillarwatch_first_contact_resolution_ratio", "voice"): 1 / 2,
        ("pillarwatch_first_contact_resolution_ratio", "chat"): 1.0,
        # k1's journey ends at E: A (voice) then E (chat): 2 contacts, 1 switch,
        # waits 15 + 5, from A's queue entry (T0) to E's wrap-up (T0 + 420)
        ("pillarwatch_journey_contacts", "chat"): 2,
        ("pillarwatch_journey_channel_switches", "chat"): 1,
        ("pillarwatch_journey_wait_seconds", "chat"): 20,
        ("pillarwatch_journey_resolution_seconds", "chat"): 420,
        # k2's journey is B alone: wait 15 s, queued T0 + 10 to wrapped T0 + 210
        ("pillarwatch_journey_resolution_seconds", "voice"): 200,
    }

    def mismatches() -> list[str]:
        s = worker.samples()
        if s is None:
            return ["no /metrics"]
        bad = [
            f"{name} {ch}: got {value(s, name, **(voice if ch == 'voice' else chat))}, want {w}"
            for (name, ch), w in want.items()
            if abs((value(s, name, **(voice if ch == "voice" else chat)) or -1) - w) > 1e-9
        ]
        if value(s, "pillarwatch_events_late_total") != 2:
            bad.append(f"late: {value(s, 'pillarwatch_events_late_total')}")
        return bad

    worker.start()
    try:
        ok = wait_for(lambda: not mismatches(), timeout=120)
        assert ok, "\n".join(mismatches())
        s = worker.samples()
        assert s is not None
        # 5m window: only minutes T0+3..T0+7 -> no voice outcome in it, one voice summary (B)
        assert value(s, "pillarwatch_window_contacts", **{**voice, "window": "5m"}) == 0
    finally:
        assert worker.stop() == 0
