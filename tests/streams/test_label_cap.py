"""Label safety: thousands of distinct queue names must not explode the Prometheus series."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from pillarwatch.streams.settings import Settings, SettingsError
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600
QUEUES = 2000
CAP = 50


def _messages() -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(QUEUES):
        cid = f"c{i}"
        for n, (etype, dt) in enumerate((("contact.queued", 0), ("contact.abandoned", 30))):
            doc = {
                "event_id": f"{cid}-{n}",
                "type": etype,
                "ts": T0 + i + dt,
                "contact_id": cid,
                "channel": "chat",
                "queue": f"queue-{i}",  # an upstream bug: every contact its own queue
            }
            out.append((cid.encode(), orjson.dumps(doc)))
    return out


def test_max_queues_setting_is_validated() -> None:
    assert Settings.from_env({}).max_queues == 500
    assert Settings.from_env({"PILLARWATCH_MAX_QUEUES": "20"}).max_queues == 20
    for bad in ("0", "-1", "many", "100001"):
        with pytest.raises(SettingsError, match="PILLARWATCH_MAX_QUEUES"):
            Settings.from_env({"PILLARWATCH_MAX_QUEUES": bad})


def test_thousands_of_queue_names_fold_into_other() -> None:
    async def go() -> AgentHarness:
        settings = Settings.from_env({"PILLARWATCH_MAX_QUEUES": str(CAP)})
        async with AgentHarness(settings) as h:
            await h.feed("contacts", _messages())
            summaries = [(s.key, s.value) for s in h.sent_to("contact-summaries")]
            await h.feed("measures", summaries)
            return h

    h = asyncio.run(go())
    queues_by_metric: dict[str, set[str]] = {}
    for family in h.app.registry.collect():
        for sample in family.samples:
            if "queue" in sample.labels:
                queues_by_metric.setdefault(family.name, set()).add(sample.labels["queue"])
    assert "pillarwatch_contacts" in queues_by_metric
    assert "pillarwatch_window_contacts" in queues_by_metric
    for name, queues in queues_by_metric.items():
        assert len(queues) <= CAP + 1, name
        assert "other" in queues, name
    # Nothing lost: every abandoned contact is counted, most of them under 'other'.
    abandoned = [
        s.value
        for f in h.app.registry.collect()
        if f.name == "pillarwatch_contacts"
        for s in f.samples
        if s.name == "pillarwatch_contacts_total"
    ]
    assert sum(abandoned) == QUEUES
    assert (
        h.metric("pillarwatch_contacts_total", queue="other", channel="chat", outcome="abandoned")
        == QUEUES - CAP
    )
    folded = h.metric("pillarwatch_labels_folded_total")
    assert folded is not None and folded >= QUEUES - CAP
