"""`pillarwatch ingest replay` without a broker: every source's fixtures, summaries, bad files."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from pillarwatch.ingest.cli import main, queue_log_zone
from pillarwatch.ingest.replay import MAPPERS, read_records, replay
from pillarwatch.models.events import Event, decode
from pillarwatch.models.sources import MappingOptions
from tests.unit._fixtures import FIXTURES

CASES = {
    "connect-ctr": FIXTURES / "amazon_connect" / "ctr_external_transfer.json",
    "connect-events": FIXTURES / "amazon_connect" / "completed_external_transfer.json",
    "genesys": FIXTURES / "genesys_cloud" / "acd_end_answered_sdk.json",
    "twilio-events": FIXTURES / "twilio_event_streams" / "batch.json",
    "queue-log": FIXTURES / "asterisk" / "queue_log.real",
}


# The fixtures span 2010 to 2025: judge event time against a clock after all of them.
NOW = 1_900_000_000.0


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["replay", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_source_has_a_replay_case() -> None:
    assert set(CASES) == set(MAPPERS)


@pytest.mark.parametrize("source", sorted(CASES))
def test_replay_prints_events_unmapped_and_contacts_without_end(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "--source", source, str(CASES[source]))
    assert code == 0
    report, events, _ = replay(source, CASES[source])
    assert events, source
    assert f"events: {len(events)}" in out
    for kind, n in report.events.items():
        assert f"  {kind}: {n}" in out
    assert f"without an end: {len(report.without_end)}" in out


def test_queue_log_summary_names_signals_caveats_and_open_contacts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = _run(capsys, "--source", "queue-log", str(CASES["queue-log"]))
    assert "  agent_no_answer queue=9000: 3" in out
    assert "  padded_fields: 4" in out
    assert "  ring_not_started: 2" in out
    # The padded ENTERQUEUE's call never ends in this excerpt: it is named.
    assert "contacts: 2, without an end: 1\n  e.g. 1266834354.91" in out


def test_firehose_back_to_back_objects_and_arrays_are_read(tmp_path: Path) -> None:
    record = json.loads(CASES["connect-ctr"].read_text())
    back_to_back = tmp_path / "firehose"
    back_to_back.write_text(json.dumps(record) + json.dumps(record))
    assert len(list(read_records(back_to_back, lines=False))) == 2
    array = tmp_path / "array.json"
    array.write_text(json.dumps([record, record, record]))
    report, _, _ = replay("connect-ctr", array)
    assert report.records == 3
    assert report.events["contact.ended"] == 3  # the same contact three times: one id


def test_wrong_source_for_the_file_is_reported_not_crashed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "--source", "connect-ctr", str(CASES["connect-events"]))
    assert code == 0
    assert "malformed (dead letters): 1\n  missing_field: 1" in out


def test_not_json_names_the_position_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"ContactId": "a"}\n{oops')
    code, _, err = _run(capsys, "--source", "connect-ctr", str(broken))
    assert code == 2
    assert "not JSON at character 20" in err and "JSON lines" in err
    code, _, err = _run(capsys, "--source", "genesys", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_time_zone_flag_moves_realtime_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "queue_log"
    rows.write_text("2026-11-20 09:00:12|1.1|support|NONE|ENTERQUEUE||anonymous|1\n")
    for zone in ("UTC", "Europe/Warsaw", "local"):
        code, _, _ = _run(capsys, "--source", "queue-log", "--time-zone", zone, str(rows))
        assert code == 0
    with pytest.raises(SystemExit, match="PILLARWATCH_INGEST_QUEUE_LOG_TZ"):
        queue_log_zone("Mars/Olympus")
    assert queue_log_zone("local") is None and queue_log_zone(None) is None
    assert queue_log_zone("utc") is UTC
    assert queue_log_zone("Europe/Warsaw") == ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize("source", sorted(CASES))
def test_every_event_of_the_real_fixtures_passes_the_workers_decoder(source: str) -> None:
    options = MappingOptions(customer_id_salt=b"s", resolved_codes=frozenset({"resolved"}))
    _, events, _ = replay(source, CASES[source], options)
    for event in events:
        decoded = decode(orjson.dumps(event), now=NOW)
        assert isinstance(decoded, Event), (event, decoded)


def test_the_example_in_docs_sources_is_the_commands_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES.parents[2])
    path = "tests/fixtures/sources/asterisk/queue_log.real"
    _, out, _ = _run(capsys, "--source", "queue-log", path)
    assert out in (FIXTURES.parents[2] / "docs" / "sources.md").read_text()
