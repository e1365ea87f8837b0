"""Property tests of decoding: whatever bytes arrive, the result is an Event or a Rejection.

Hostile and near-valid inputs: arbitrary bytes, wrong types, missing and extra fields, NaN and
Infinity literals, huge numbers, deep nesting, long strings, far timestamps, invalid UTF-8 and
a schema from the future. No exception may escape, every rejection has a reason from the
bounded REJECTION_REASONS, every accepted event is well-formed, and the counters add up.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pillarwatch.models.dedupe import RecentIds
from pillarwatch.models.events import (
    CHANNELS,
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    MAX_FIELD_CHARS,
    MAX_TS,
    MIN_TS,
    REJECTION_REASONS,
    Event,
    Rejection,
    decode,
)

NOW = 1_790_000_000.0  # a fixed "worker clock" (2026-09) so results do not depend on the day
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID: dict[str, Any] = {
    "event_id": "e1",
    "type": "contact.queued",
    "ts": "2026-03-02T10:00:00Z",
    "contact_id": "c1",
    "channel": "voice",
    "queue": "billing",
}

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat()),  # no offset
    st.text(max_size=30),
)
field_names = st.sampled_from([*VALID, "schema", "to_queue", "role", "text", "resolved", "csat"])


def enc(doc: Any) -> bytes:
    """The stdlib encoder: unlike orjson it writes huge integers and NaN/Infinity literals."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def check(result: Event | Rejection) -> None:
    """The invariants of one decode result."""
    if isinstance(result, Rejection):
        assert result.reason in REJECTION_REASONS, result
        assert isinstance(result.detail, str) and result.detail
        return
    assert isinstance(result, Event), result
    assert result.type in EVENT_TYPES and result.channel in CHANNELS
    assert math.isfinite(result.ts) and MIN_TS <= result.ts < MAX_TS
    assert result.ts <= NOW + 86_400
    for name in ("event_id", "contact_id", "queue"):
        value = getattr(result, name)
        assert isinstance(value, str) and 0 < len(value) <= MAX_FIELD_CHARS
        assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(raw: bytes) -> None:
    check(decode(raw, now=NOW))


@FUZZ
@given(st.dictionaries(field_names, json_values, max_size=10))
def test_wrong_types_and_missing_fields(doc: dict[str, Any]) -> None:
    check(decode(enc(doc), now=NOW))


@FUZZ
@given(
    field=st.sampled_from(sorted(VALID)),
    value=json_values,
    extras=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
)
def test_one_field_replaced_plus_extras(field: str, value: Any, extras: dict[str, Any]) -> None:
    doc = {**extras, **VALID, field: value}
    result = decode(enc(doc), now=NOW)
    check(result)
    if isinstance(value, (dict, list)) or value is None:
        assert isinstance(result, Rejection)  # no required field may be an object, list or null


@FUZZ
@given(ts=timestamps)
def test_timestamps(ts: Any) -> None:
    result = decode(enc({**VALID, "ts": ts}), now=NOW)
    check(result)


@FUZZ
@given(literal=st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]))
def test_non_finite_literals(literal: bytes) -> None:
    raw = enc(VALID).replace(b'"2026-03-02T10:00:00Z"', literal)
    result = decode(raw, now=NOW)
    assert isinstance(result, Rejection) and result.reason in {"not_json", "bad_timestamp"}


@FUZZ
@given(digits=st.integers(min_value=19, max_value=5000), where=st.sampled_from(["ts", "schema"]))
def test_huge_numbers(digits: int, where: str) -> None:
    raw = enc({**VALID, where: 0}).replace(
        f'"{where}":0'.encode(), f'"{where}":{"9" * digits}'.encode()
    )
    result = decode(raw, now=NOW)
    check(result)
    assert isinstance(result, Rejection)


@FUZZ
@given(depth=st.integers(min_value=1, max_value=100_000), opener=st.sampled_from([b"[", b'{"a":']))
def test_deep_nesting(depth: int, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    raw = b'{"event_id":' + opener * depth + b"1" + closer * depth + b"}"
    result = decode(raw, now=NOW)
    check(result)
    assert isinstance(result, Rejection)


@FUZZ
@given(size=st.integers(min_value=1, max_value=200_000), field=st.sampled_from(["queue", "text"]))
def test_long_strings(size: int, field: str) -> None:
    doc = {**VALID, "type": "contact.message", "role": "customer", "text": "hi", field: "x" * size}
    result = decode(enc(doc), now=NOW)
    check(result)
    if len(enc(doc)) > MAX_EVENT_BYTES:
        assert isinstance(result, Rejection) and result.reason == "oversize"


@FUZZ
@given(at=st.integers(min_value=0), junk=st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]))
def test_invalid_utf8(at: int, junk: bytes) -> None:
    raw = enc(VALID)
    cut = 1 + at % (len(raw) - 2)
    result = decode(raw[:cut] + junk + raw[cut:], now=NOW)
    assert isinstance(result, Rejection) and result.reason in {"not_utf8", "not_json"}


@FUZZ
@given(schema=st.integers(min_value=2, max_value=2**63 - 1))
def test_future_schema(schema: int) -> None:
    result = decode(enc({**VALID, "schema": schema}), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "unsupported_schema"


@FUZZ
@given(
    ch=st.characters(max_codepoint=0x1F) | st.just("\x7f"),
    field=st.sampled_from(["queue", "contact_id", "event_id"]),
)
def test_control_characters_in_keys(ch: str, field: str) -> None:
    result = decode(enc({**VALID, field: f"a{ch}b"}), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "bad_value"


def test_event_from_next_year_is_rejected() -> None:
    """One far-future event would move every window's end and empty them all."""
    assert isinstance(decode(enc({**VALID, "ts": NOW + 3600}), now=NOW), Event)
    result = decode(enc({**VALID, "ts": NOW + 365 * 86400}), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "bad_timestamp"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=64),
            st.builds(lambda i: orjson.dumps({**VALID, "event_id": f"e{i}"}), st.integers(0, 20)),
        ),
        max_size=60,
    )
)
def test_counters_add_up(messages: list[bytes]) -> None:
    """As the first hop counts: accepted + rejected + duplicate = consumed."""
    recent = RecentIds(1000)
    accepted = rejected = duplicate = 0
    for raw in messages:
        result = decode(raw, now=NOW)
        if isinstance(result, Rejection):
            rejected += 1
        elif recent.seen(result.event_id):
            duplicate += 1
        else:
            accepted += 1
    assert accepted + rejected + duplicate == len(messages)
    ids = {orjson.loads(m)["event_id"] for m in messages if m.startswith(b'{"event_id":"e')}
    assert accepted == len(ids)
