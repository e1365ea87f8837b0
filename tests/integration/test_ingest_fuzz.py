"""Hypothesis against the webhook receiver on a real loopback socket, with a real broker.

Bodies, headers (non-ASCII and malformed credentials included), content types, encodings
(gzip, deflate, chunked, bogus) and sizes up to twice the body limit. Every answer must be
one of the statuses the receiver documents, never a 500; nothing may be logged with a
traceback; a refused request produces nothing; and the process's peak memory stays bounded.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.ingest.http import make_app
from pillarwatch.ingest.settings import IngestSettings
from tests.integration._ingest_support import read_topic, unique_topic
from tests.support.ingest_probe import RecordingProducer
from tests.unit._fixtures import FIXTURES

pytestmark = pytest.mark.integration

KEY = "fuzz-connect-key"
MAX_BODY = 256 * 1024
CLOSED = 0  # connection closed by the server before its answer could be read
ALLOWED = {200, 204, 400, 403, 404, 405, 413, 429, CLOSED}
REFUSED = {403, 404, 405, 413, 429, CLOSED}
# Peak Python memory allowed over the whole run: bodies are capped at MAX_BODY, so anything near
# this means a request's data is being kept (the gzip bomb inflates to 64 MiB).
MEMORY_BOUND_MB = 48
OWN_PROCESS_VARIABLE = "PILLARWATCH_TEST_FUZZ_OWN_PROCESS"
OWN_PROCESS = os.environ.get(OWN_PROCESS_VARIABLE) == "1"


class _Server:
    """The receiver's app on 127.0.0.1 in a thread with its own event loop."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        self.settings = IngestSettings(
            broker=broker.url,
            topic=unique_topic("fuzz"),
            dlq_topic=unique_topic("fuzz-dlq"),
            port=free_port(),
            max_body_bytes=MAX_BODY,
            max_items=50,
            rate_per_second=10_000.0,
            rate_burst=100_000,
            twilio_auth_token="fuzz-twilio-token",
            api_keys={"connect": KEY, "genesys": KEY},
        )
        s = self.settings
        self.producer = RecordingProducer(s.bootstrap, s.topic, s.dlq_topic, 5.0)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(make_app(self.settings, producer=self.producer))
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.settings.port)
        self.loop.run_until_complete(site.start())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def __enter__(self) -> _Server:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@pytest.fixture(scope="module")
def traced_memory() -> Iterator[None]:
    """Python allocations traced from before the first fuzzed request to the check after it.

    Not the process's peak RSS: in a whole `make test` run this process already holds what the
    earlier tests left, and its peak moved by 182 MiB during the fuzz in one such run while the
    fuzz alone moves it by 5-8 MiB (heap fragmentation, not data kept). tracemalloc counts only
    what is allocated while the fuzz runs, whatever ran before.
    """
    tracemalloc.start()
    yield
    tracemalloc.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    with EmbeddedBroker() as broker, _Server(broker) as running:
        yield running


@pytest.fixture(scope="module")
def tracebacks() -> Iterator[_Tracebacks]:
    handler = _Tracebacks()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def _post(port: int, head: list[bytes], body: bytes) -> int:
    # No half-close after sending: aiohttp takes EOF from the client as a lost connection.
    # With `Connection: close` the server ends the connection after its answer.
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered (400/413) without reading a large body and closed; the
            # kernel's reset may discard that answer before we read it.
            if not chunks:
                return CLOSED
    status_line = b"".join(chunks).split(b"\r\n", 1)[0]
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 else CLOSED


# A header value: any bytes an HTTP/1.1 parser may see, short of CR/LF (which end it).
header_text = st.one_of(
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").strip())


def _json(value: object) -> bytes:
    # The stdlib, not orjson: it writes big integers and lone surrogates, as a sender might.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


json_item = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=2048),
    json_item.map(_json),
    st.lists(json_item, max_size=80).map(_json),
    st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=8).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
    ),
    st.integers(1, 2 * MAX_BODY).map(lambda n: b"[" + b"{}," * (n // 3) + b"{}]"),
)
credentials = st.one_of(
    st.just([]),
    st.just([b"X-Pillarwatch-Key: " + KEY.encode()]),
    header_text.map(lambda v: [b"X-Pillarwatch-Key: " + v]),
    header_text.map(lambda v: [b"X-Pillarwatch-Signature: " + v]),
    header_text.map(lambda v: [b"X-Twilio-Signature: " + v]),
)
content_types = st.sampled_from(
    [
        b"application/json",
        b"application/json; charset=latin-1",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=x",
        b"text/plain; charset=utf-16",
        b"\xff\xfe/\x00",
        b"",
    ]
)
encodings = st.sampled_from(["identity", "gzip", "deflate", "bogus-gzip", "chunked", "br"])


def _encode(body: bytes, encoding: str) -> tuple[list[bytes], bytes]:
    if encoding == "gzip":
        return [b"Content-Encoding: gzip"], gzip.compress(body)
    if encoding == "deflate":
        return [b"Content-Encoding: deflate"], zlib.compress(body)
    if encoding == "bogus-gzip":
        return [b"Content-Encoding: gzip"], body
    if encoding == "br":
        return [b"Content-Encoding: br"], body
    if encoding == "chunked":
        chunked = b"".join(
            f"{len(body[i : i + 4096]):x}\r\n".encode() + body[i : i + 4096] + b"\r\n"
            for i in range(0, len(body), 4096)
        )
        return [b"Transfer-Encoding: chunked"], chunked + b"0\r\n\r\n"
    return [], body


def _gzip_bomb(megabytes: int) -> bytes:
    """Zeros, gzipped a MiB at a time (never held whole: the RSS baseline stays honest)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    zeros = bytes(2**20)
    return b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()


# A gzip bomb: 64 MiB of zeros in about 64 KB, far over the 256 KB body limit once inflated.
BOMB = _gzip_bomb(64)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    path=st.sampled_from(["/aws/connect", "/genesys", "/twilio/taskrouter", "/metrics", "/x"]),
    method=st.sampled_from([b"POST", b"POST", b"POST", b"GET", b"PUT"]),
    creds=credentials,
    content_type=content_types,
    encoding=encodings,
    body=bodies,
    extra=st.lists(header_text, max_size=3),
)
@example(  # a real Connect event, gzipped: accepted and produced
    path="/aws/connect",
    method=b"POST",
    creds=[b"X-Pillarwatch-Key: " + KEY.encode()],
    content_type=b"application/json",
    encoding="gzip",
    body=(FIXTURES / "amazon_connect" / "queued.json").read_bytes(),
    extra=[],
)
@example(  # the batch of empty objects, over the item cap
    path="/aws/connect",
    method=b"POST",
    creds=[b"X-Pillarwatch-Key: " + KEY.encode()],
    content_type=b"application/json",
    encoding="identity",
    body=b"[" + b",".join([b"{}"] * 60_000) + b"]",
    extra=[],
)
@example(
    path="/genesys",
    method=b"POST",
    creds=[b"X-Pillarwatch-Key: " + KEY.encode()],
    content_type=b"application/json",
    encoding="bomb",
    body=b"",
    extra=[],
)
def test_receiver_never_fails_and_refusals_produce_nothing(
    server: _Server,
    tracebacks: _Tracebacks,
    traced_memory: None,
    path: str,
    method: bytes,
    creds: list[bytes],
    content_type: bytes,
    encoding: str,
    body: bytes,
    extra: list[bytes],
) -> None:
    if encoding == "bomb":
        framing, payload = [b"Content-Encoding: gzip"], BOMB
    else:
        framing, payload = _encode(body, encoding)
    head = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1"]
    head += [b"Content-Type: " + content_type, *creds, *framing]
    head += [b"X-Fuzz-" + str(i).encode() + b": " + value for i, value in enumerate(extra)]
    if encoding != "chunked":
        head.append(b"Content-Length: " + str(len(payload)).encode())
    head.append(b"Connection: close")
    sends_before = len(server.producer.sends)
    status = _post(server.settings.port, head, payload)
    assert status in ALLOWED, status
    if status in REFUSED:
        assert len(server.producer.sends) == sends_before
    assert tracebacks.records == []


def test_after_the_fuzz_memory_stayed_bounded_and_topics_hold_only_accepted_records(
    server: _Server, traced_memory: None
) -> None:
    # Runs after the fuzz (file order), on the same module-scoped server.
    assert server.producer.sends, "the fuzz never got a request accepted"
    growth_mb = tracemalloc.get_traced_memory()[1] / 2**20
    print(f"fuzz: peak traced memory {growth_mb:.1f} MiB")  # shown with -s
    if OWN_PROCESS:  # the bound holds for the receiver alone (see the test below)
        assert growth_mb < MEMORY_BOUND_MB, f"{growth_mb:.0f} MiB held at once during the fuzz"
    s = server.settings
    sent_events = sum(e for e, _ in server.producer.sends)
    sent_dead = sum(d for _, d in server.producer.sends)
    events = asyncio.run(read_topic(s.bootstrap, s.topic, sent_events))
    dead = asyncio.run(read_topic(s.bootstrap, s.dlq_topic, sent_dead))
    assert (len(events), len(dead)) == (sent_events, sent_dead)


def test_the_fuzz_in_a_process_of_its_own_keeps_memory_bounded() -> None:
    """The memory bound, measured in a process that runs only the fuzz.

    In a whole `make test` run, the traced peak during the fuzz was 197 MiB (and the process's
    peak RSS grew 182 MiB in another run) while the fuzz alone stays at 5-10 MiB: what earlier
    tests left running in this process allocates too, and tracemalloc cannot tell threads
    apart. Not investigated further; the receiver's own bound is checked here.
    """
    if OWN_PROCESS:
        pytest.skip("already the fuzz's own process")
    here = Path(__file__)
    tests = [
        f"{here}::test_receiver_never_fails_and_refusals_produce_nothing",
        f"{here}::test_after_the_fuzz_memory_stayed_bounded_and_topics_hold_only_accepted_records",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *tests],
        env={**os.environ, OWN_PROCESS_VARIABLE: "1"},
        cwd=here.parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "fuzz: peak traced memory" in done.stdout
    assert "2 passed" in done.stdout
