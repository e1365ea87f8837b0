"""A seeded corpus of hostile and near-valid messages, mixed into valid simulated traffic."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import orjson

from pillarwatch.models.events import MAX_EVENT_BYTES, parse_ts
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import encode

START = parse_ts("2026-03-02T09:30:00Z")


def _valid_doc(rng: random.Random) -> dict[str, Any]:
    return {
        "event_id": f"h{rng.getrandbits(48)}",
        "type": "contact.queued",
        "ts": START + rng.uniform(0, 1800),
        "contact_id": f"hc{rng.getrandbits(32)}",
        "channel": "voice",
        "queue": "billing",
    }


def _mutations() -> list[Callable[[random.Random], bytes]]:
    def with_(**changes: Any) -> Callable[[random.Random], bytes]:
        return lambda rng: json.dumps({**_valid_doc(rng), **changes}).encode()

    def without(name: str) -> Callable[[random.Random], bytes]:
        return lambda rng: orjson.dumps({k: v for k, v in _valid_doc(rng).items() if k != name})

    return [
        lambda rng: rng.randbytes(rng.randint(0, 200)),  # arbitrary bytes
        lambda rng: orjson.dumps(_valid_doc(rng))[:-3],  # truncated
        lambda rng: b"\xff\xfe" + orjson.dumps(_valid_doc(rng)),  # invalid UTF-8
        lambda rng: b"[" * 5000 + b"]" * 5000,  # deep nesting
        lambda rng: orjson.dumps([_valid_doc(rng)]),  # not an object
        lambda rng: json.dumps({**_valid_doc(rng), "ts": float("nan")}).encode(),  # NaN literal
        lambda rng: json.dumps({**_valid_doc(rng), "ts": float("inf")}).encode(),
        with_(ts=10**40),  # huge number
        with_(ts="1970-01-01T00:00:00Z"),  # far past
        with_(ts="2099-01-01T00:00:00Z"),  # far future
        with_(schema=7),  # a schema from the future
        with_(type="contact.teleported"),
        with_(channel="pigeon"),
        with_(queue=12),  # wrong type
        with_(queue={"nested": [1, 2, {"deeper": None}]}),
        with_(queue="q\x1fx"),  # control character (the summary key separator)
        with_(queue="x" * 10_000),  # long string
        with_(text="x" * (MAX_EVENT_BYTES + 10)),  # oversize
        without("event_id"),
        without("contact_id"),
        with_(type="contact.message", role="customer"),  # text missing
        with_(type="survey.answered", csat=99),
    ]


def corpus(
    seed: int, valid_hours: float = 0.5, hostile: int = 300
) -> list[tuple[bytes | None, bytes]]:
    """Valid simulated events (keyed by contact id) with `hostile` bad ones and some duplicates."""
    rng = random.Random(seed)
    valid = [
        orjson.dumps(e) for e in Simulation(seed=seed).events(START, START + valid_hours * 3600)
    ]
    out: list[tuple[bytes | None, bytes]] = [(encode(orjson.loads(v))[0], v) for v in valid]
    mutations = _mutations()
    for i in range(hostile):
        value = mutations[i % len(mutations)](rng)
        key = None if rng.random() < 0.5 else rng.randbytes(8)
        out.insert(rng.randrange(len(out) + 1), (key, value))
    for _ in range(20):  # producer retries: the same message again, later
        at = rng.randrange(len(out))
        out.insert(rng.randrange(at, len(out) + 1), out[at])
    return out
