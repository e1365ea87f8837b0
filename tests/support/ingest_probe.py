"""Probing the webhook receiver: raw HTTP requests (any header bytes) and a producer that
records what the receiver asked it to send, on top of really sending it to the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from pillarwatch.ingest.producer import DeadLetter, EventProducer
from pillarwatch.models.sources.common import Event


class RecordingProducer(EventProducer):
    """The real producer, plus a list of every record count it was asked to send."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sends: list[tuple[int, int]] = []

    async def send(self, events: Sequence[Event], dead: Sequence[DeadLetter] = ()) -> None:
        self.sends.append((len(events), len(dead)))
        await super().send(events, dead)

    @property
    def records(self) -> int:
        return sum(e + d for e, d in self.sends)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def raw_request(
    port: int,
    path: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    method: bytes = b"POST",
    timeout: float = 30.0,
) -> RawResponse:
    """One HTTP/1.1 request written byte for byte (non-ASCII headers included), then EOF."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1"]
        lines += [name + b": " + value for name, value in headers]
        names = {name.lower() for name, _ in headers}
        if b"content-length" not in names and b"transfer-encoding" not in names:
            lines.append(b"Content-Length: " + str(len(body)).encode())
        lines.append(b"Connection: close")
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return RawResponse(int(status_line.split()[1]), parsed, payload)
