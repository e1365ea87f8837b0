"""Faust's "json" codec, trimmed (streams/codecs.py): the same bytes, at their own size."""

from __future__ import annotations

import tracemalloc

import orjson
from faust.serializers import codecs as faust_codecs

from pillarwatch.streams import codecs

VALUE = (3, "billing", "voice", None, 1_772_445_600.25, [1.5, 2.5], {"kind": "summary"})


def _held_by_one_dumps() -> tuple[int, bytes]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        encoded = faust_codecs.dumps("json", VALUE)
        return tracemalloc.get_traced_memory()[0] - before, encoded
    finally:
        tracemalloc.stop()


def test_installed_json_values_hold_their_length_and_read_back() -> None:
    codecs.install()
    codecs.install()  # idempotent: still the one trimmed codec
    assert isinstance(faust_codecs.get_codec("json"), codecs.TrimmedJson)
    held, encoded = _held_by_one_dumps()
    assert encoded == orjson.dumps(VALUE, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)
    assert held < len(encoded) + 100, (held, len(encoded))  # orjson's buffer is 4 KB or more
    assert faust_codecs.loads("json", encoded) == orjson.loads(orjson.dumps(VALUE))


def test_a_worker_app_installs_it() -> None:
    from pillarwatch.streams.app import create_app
    from pillarwatch.streams.settings import Settings

    faust_codecs.register("json", faust_codecs.json())
    create_app(Settings.from_env({}))
    assert isinstance(faust_codecs.get_codec("json"), codecs.TrimmedJson)
