"""measures: the by-queue agent. Minute buckets per queue and channel, the queue-keyed
pillars, the one re-key by customer; windows and pillar scores at scrape time.

Consumes `contact-summaries` (key: queue and channel, so one worker owns all of a queue's
buckets) and decodes each message once. A summary is added to its bucket, given to every
queue-keyed pillar (models/pillars: expectations, empathy; their signals come back through
the topic like everyone else's) and, when it carries a customer id, re-keyed once onto the
by-customer topic for the customers agent. The buckets are a plain Table keyed by (queue,
channel, minute), expired here: Faust's windowed tables leak state after recovery and lose
windows on rebalance (docs/architecture.md).

Idempotent under redelivery and re-emission: a bucket row is {"sums": WIDTH floats, "offset":
the last source offset applied, "seen": the contacts' outcome/summary ids applied}. A bucket's
key fixes its source partition, so an offset at or below "offset" was applied (a replay after a
crash: Faust writes changelogs before it commits offsets); an id in "seen" was applied (the
first hop re-emitted it after its own replay, or a producer retried a send). An outcome or
summary always lands in the bucket of its own minute, so the check is local and one write.
Without it the fault tests counted contacts twice (docs/reliability.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faust.types import StreamT
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.buckets import WIDTH, Item, increments, minute_of
from pillarwatch.models.catalogue import spec
from pillarwatch.models.config import Config
from pillarwatch.models.contact import Outcome, Summary, Survey
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import PillarResult, Signal, evaluate_signals, signal_pillars
from pillarwatch.models.staffing import AgentStateChange
from pillarwatch.models.summaries import SEP, from_wire, to_wire, wire_key
from pillarwatch.models.windows import RETAIN_MINUTES, WINDOW_MINUTES, WindowResult, evaluate
from pillarwatch.streams.metrics import ScrapeCollector, gauge_family
from pillarwatch.streams.pillar_runtime import queue_signals
from pillarwatch.streams.spec import AgentSpec
from pillarwatch.streams.staffing_export import staffing_samples

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = [
    "MEASURE_GAUGES",
    "SPEC",
    "add",
    "add_signal",
    "already_applied",
    "install",
    "result_samples",
]

SPEC = AgentSpec(
    name="measures",
    consumes="summaries",
    tables={
        "minute-buckets": "minutes of the last hour (+1) per queue and channel, pillar signal "
        "minutes likewise, and FCR hours of the longest repeat window + 2 h; older ones expire"
    },
    metrics=(
        "pillarwatch_window_contacts",
        "pillarwatch_service_level_ratio",
        "pillarwatch_abandon_ratio",
        "pillarwatch_average_speed_of_answer_seconds",
        "pillarwatch_average_handle_seconds",
        "pillarwatch_transfer_ratio",
        "pillarwatch_apology_coverage_ratio",
        "pillarwatch_complaint_to_apology_seconds",
        "pillarwatch_repeat_contact_ratio",
        "pillarwatch_first_contact_resolution_ratio",
        "pillarwatch_first_contact_resolution_final_ratio",
        "pillarwatch_journey_contacts",
        "pillarwatch_journey_channel_switches",
        "pillarwatch_journey_wait_seconds",
        "pillarwatch_journey_resolution_seconds",
        "pillarwatch_csat_average",
        "pillarwatch_ces_average",
        "pillarwatch_pillar_score",
        "pillarwatch_pillar_component_score",
    ),
)

# metric name -> the Measures attribute it exports
MEASURE_GAUGES = {
    "pillarwatch_service_level_ratio": "service_level",
    "pillarwatch_abandon_ratio": "abandon_ratio",
    "pillarwatch_average_speed_of_answer_seconds": "average_speed_of_answer",
    "pillarwatch_average_handle_seconds": "average_handle",
    "pillarwatch_transfer_ratio": "transfer_ratio",
    "pillarwatch_apology_coverage_ratio": "apology_coverage",
    "pillarwatch_complaint_to_apology_seconds": "complaint_to_apology",
    "pillarwatch_repeat_contact_ratio": "repeat_ratio",
    "pillarwatch_first_contact_resolution_ratio": "first_contact_resolution",
    "pillarwatch_journey_contacts": "journey_contacts",
    "pillarwatch_journey_channel_switches": "journey_switches",
    "pillarwatch_journey_wait_seconds": "journey_wait",
    "pillarwatch_journey_resolution_seconds": "journey_duration",
    "pillarwatch_csat_average": "csat",
    "pillarwatch_ces_average": "ces",
}


def result_samples(
    results: list[WindowResult], extra: list[PillarResult] | None = None
) -> Iterator[GaugeMetricFamily]:
    """The gauge families for window results (absent values are not exported); `extra` are
    the results of the signal pillars (models/pillars)."""
    families = {name: gauge_family(spec(name)) for name in MEASURE_GAUGES}
    volume = gauge_family(spec("pillarwatch_window_contacts"))
    score = gauge_family(spec("pillarwatch_pillar_score"))
    component = gauge_family(spec("pillarwatch_pillar_component_score"))
    for r in results:
        labels = [r.queue, r.channel, r.window]
        volume.add_metric(labels, r.measures.offered)
        for name, attr in MEASURE_GAUGES.items():
            value = getattr(r.measures, attr)
            if value is not None:
                families[name].add_metric(labels, value)
        for pillar, ps in r.pillars.items():
            if ps.score is not None:
                score.add_metric([pillar, *labels], ps.score)
            for comp, value in sorted(ps.components.items()):
                component.add_metric([pillar, comp, *labels], value)
    own: dict[str, GaugeMetricFamily] = {}
    for p in extra or []:
        labels = [p.queue, p.channel, p.window]
        if p.score is not None:
            score.add_metric([p.pillar, *labels], p.score)
        for comp, value in sorted(p.components.items()):
            component.add_metric([p.pillar, comp, *labels], value)
        for name, value in sorted(p.gauges.items()):
            if name not in own:
                own[name] = gauge_family(spec(name))
            own[name].add_metric(labels, value)
    yield volume
    yield from families.values()
    yield score
    yield component
    yield from own.values()


SIGNAL = "s"  # signal keys, `<queue><SEP><channel><SEP>s<pillar>:<minute>` -> {field: sum}


def signal_row(stored: Any) -> dict[str, Any]:
    """A stored signal bucket: its sums, and the source offset and signal ids it holds (a bare
    dict of sums is a bucket from before they carried ids)."""
    if isinstance(stored, dict) and isinstance(stored.get("sums"), dict):
        return stored
    return {"sums": dict(stored or {}), "offset": -1.0, "seen": []}


def add_signal(buckets: Any, item: Signal, offset: int = -1) -> bool:
    """Add a pillar signal to its per-pillar minute bucket; expire like the core buckets.

    Keyed by the same queue and channel prefix as the core buckets (same partition); a signal
    for a minute that already left every window of its queue is dropped, as a core item is.
    Idempotent like `add`: a redelivered message (its `offset`) or a signal re-emitted by a
    pillar agent replaying its input (`item.ident`) is not counted twice.
    """
    minute = minute_of(item.ts)
    prefix = f"{item.queue}{SEP}{item.channel}{SEP}"
    latest = buckets.get(prefix + LATEST)
    if latest is not None and minute <= latest - RETAIN_MINUTES:
        return False
    mine = f"{prefix}{SIGNAL}{item.pillar}:"
    _advance(buckets, mine, buckets.get(mine + LATEST), minute)
    key = f"{mine}{minute}"
    row = signal_row(buckets.get(key))
    if already_applied(row, offset, item.ident):
        return False
    sums = row["sums"]
    for name, amount in item.values.items():
        sums[name] = sums.get(name, 0.0) + amount
    row["offset"] = float(offset)
    if item.ident is not None:
        row["seen"].append(item.ident)
    buckets[key] = row  # one write, as in `add`
    return True


def _offered(core: list[WindowResult]) -> dict[tuple[str, str, str], int]:
    return {(r.queue, r.channel, r.window): r.measures.offered for r in core}


LATEST = "latest"  # per queue, the newest minute with a bucket: expiry and the too-late check


def _advance(buckets: Any, prefix: str, latest: int | None, minute: int) -> None:
    """Make `minute` the newest of `prefix`'s minutes, expiring those it pushes out of every
    window (at most 2 x RETAIN_MINUTES lookups, however long the queue was quiet)."""
    if latest is not None and minute <= latest:
        return
    if latest is not None:
        first = max(latest - RETAIN_MINUTES + 1, minute - 2 * RETAIN_MINUTES)
        for old in range(first, minute - RETAIN_MINUTES + 1):
            if f"{prefix}{old}" in buckets:
                del buckets[f"{prefix}{old}"]
    buckets[prefix + LATEST] = minute


def add(buckets: Any, item: Item, offset: int = -1) -> bool:
    """Add `item` to its minute bucket; False if that minute already left every window, or if
    the bucket already holds it (a redelivery after a crash, or a re-emitted summary).

    Called while processing a message keyed by the item's queue and channel, so every key
    touched here (same prefix) belongs to that message's partition: Faust writes the changelog
    record, tombstones included, to the right partition. `offset` is that message's offset.
    """
    minute = minute_of(item.ts)
    prefix = f"{item.queue}{SEP}{item.channel}{SEP}"
    latest = buckets.get(prefix + LATEST)
    if latest is not None and minute <= latest - RETAIN_MINUTES:
        return False
    key = f"{prefix}{minute}"
    stored = buckets.get(key)
    if stored is None:
        row = new_row()
        _advance(buckets, prefix, latest, minute)
    else:
        row = as_row(stored)
    ident = item_id(item)
    if already_applied(row, offset, ident):
        return False
    sums = row["sums"]
    for index, amount in increments(item):
        sums[index] += amount
    row["offset"] = float(offset)
    if ident is not None:
        row["seen"].append(ident)
    buckets[key] = row  # one write: sums and the ids that made them cannot be split by a crash
    return True


HOUR = "h"  # hour keys, `<prefix>h<hour>` -> [fcr_eligible, fcr_resolved], for final FCR


def add_final_fcr(buckets: Any, item: JourneyDelta, retain_hours: int) -> None:
    """Keep first-contact resolution per hour until the repeat window has closed on it."""
    eligible = item.delta.get("fcr_eligible", 0.0)
    resolved = item.delta.get("fcr_resolved", 0.0)
    if not eligible and not resolved:
        return
    hour = int(item.ts // 3600)
    prefix = f"{item.queue}{SEP}{item.channel}{SEP}{HOUR}"
    key = f"{prefix}{hour}"
    pair = buckets.get(key)
    if pair is None:
        pair = [0.0, 0.0]
        for old in range(hour - retain_hours - 24, hour - retain_hours):
            if f"{prefix}{old}" in buckets:
                del buckets[f"{prefix}{old}"]
    pair[0] += eligible
    pair[1] += resolved
    buckets[key] = pair


def final_fcr(
    hours: dict[tuple[str, str], dict[int, list[float]]], newest_minute: int, config: Config
) -> Iterator[tuple[str, str, float]]:
    """(queue, channel, FCR) of the newest hour whose repeat window has fully passed."""
    for (queue, channel), by_hour in sorted(hours.items()):
        window_hours = math.ceil(config.targets(queue).repeat_window_seconds / 3600)
        final_hour = newest_minute // 60 - window_hours - 1
        pair = by_hour.get(final_hour)
        if pair is not None and pair[0] > 0:
            yield queue, channel, pair[1] / pair[0]


AGENT = "a"  # agent keys, `<prefix>a<agent id>` -> [state, ts]


def set_agent_state(buckets: Any, change: AgentStateChange) -> None:
    """Remember an agent's newest state for this queue (an older change arriving late loses)."""
    key = f"{change.queue}{SEP}{change.channel}{SEP}{AGENT}{change.agent_id}"
    found = buckets.get(key)
    if found is None or change.ts >= found[1]:
        buckets[key] = [change.state, change.ts]


def new_row() -> dict[str, Any]:
    return {"sums": [0.0] * WIDTH, "offset": -1.0, "seen": []}


def as_row(stored: Any) -> dict[str, Any]:
    """A stored bucket row; a bare list of sums is a row from before rows carried ids."""
    if isinstance(stored, dict):
        return stored
    return {**new_row(), "sums": list(stored[:WIDTH])}


_ID_PREFIX = {Outcome: "o", Summary: "s", Survey: "v"}


def item_id(item: Item) -> str | None:
    """What identifies an item within its bucket: one outcome, summary, survey per contact."""
    prefix = _ID_PREFIX.get(type(item))
    contact_id = getattr(item, "contact_id", None)
    if prefix is None or not contact_id:
        return None  # journey corrections, or a first hop that sent no ids: offsets only
    return f"{prefix}:{contact_id}"


def already_applied(row: dict[str, Any], offset: int, ident: str | None) -> bool:
    """True if this bucket row already holds the item at source `offset` with id `ident`."""
    return offset <= row["offset"] or (ident is not None and ident in row["seen"])


def install(app: PillarwatchApp) -> None:
    s = app.settings
    summaries = app.summaries_topic()
    by_customer = app.by_customer_topic()
    buckets = app.Table("minute-buckets", default=None, partitions=s.partitions)
    label = app.metrics.queue_label
    defs = signal_pillars()  # every signal pillar's signals land here
    by_queue = [p for p in defs.values() if p.keyed_by == "queue"]

    retain_hours = 2 + math.ceil(
        max(
            [s.config.defaults.repeat_window_seconds]
            + [t.get("repeat_window_seconds", 0.0) for t in s.config.queue_overrides.values()]
        )
        / 3600
    )

    @app.agent(summaries, name="measures")
    async def measures_agent(stream: StreamT[Any]) -> None:
        async for event in stream.events():
            item = from_wire(event.value)
            if isinstance(item, AgentStateChange):
                set_agent_state(buckets, item)
                continue
            if isinstance(item, Signal):
                add_signal(buckets, item, event.message.offset)
                continue
            add(buckets, item, event.message.offset)
            if isinstance(item, JourneyDelta):
                add_final_fcr(buckets, item, retain_hours)
            elif isinstance(item, Summary):
                for sig in queue_signals(by_queue, item, s.config):
                    key = wire_key(sig.queue, sig.channel).encode()
                    await summaries.send(key=key, value=to_wire(sig))
                if item.customer_id:
                    await by_customer.send(key=item.customer_id.encode(), value=event.value)

    def window_gauges() -> Iterator[GaugeMetricFamily]:
        rows = []
        signal_rows: list[tuple[str, str, str, int, dict[str, float]]] = []
        hours: dict[tuple[str, str], dict[int, list[float]]] = {}
        agents: dict[tuple[str, str], dict[str, int]] = {}
        for key, vector in buckets.items():
            if vector is None:
                continue
            queue, channel, minute = key.split(SEP, 2)
            if minute == LATEST:
                continue
            if minute.startswith(AGENT):
                counts = agents.setdefault((label(queue), channel), {})
                counts[vector[0]] = counts.get(vector[0], 0) + 1
                continue
            if minute.startswith(SIGNAL):
                pillar, _, at = minute[1:].partition(":")
                if at != LATEST:
                    sums = signal_row(vector)["sums"]
                    signal_rows.append((pillar, label(queue), channel, int(at), sums))
                continue
            if minute.startswith(HOUR):
                by_hour = hours.setdefault((label(queue), channel), {})
                pair = by_hour.setdefault(int(minute[1:]), [0.0, 0.0])
                pair[0] += vector[0]  # several queues may fold into 'other'
                pair[1] += vector[1]
                continue
            rows.append((label(queue), channel, int(minute), as_row(vector)["sums"]))
        # Windows end at the worker's event-time clock (streams/clock.py), the same on every
        # worker, not at the newest minute of the queues this worker happens to own.
        end = app.clock.end_minute(max((r[2] for r in rows), default=None))
        core = evaluate(rows, s.config, end)
        extra = (
            evaluate_signals(signal_rows, defs, _offered(core), end, WINDOW_MINUTES, s.config)
            if end is not None
            else []
        )
        yield from result_samples(core, extra)
        yield from staffing_samples(rows, core, agents, s.config, end)
        final = gauge_family(spec("pillarwatch_first_contact_resolution_final_ratio"))
        if rows and end is not None:
            for queue, channel, value in final_fcr(hours, end, s.config):
                final.add_metric([queue, channel], value)
        yield final

    app.registry.register(ScrapeCollector(window_gauges))
