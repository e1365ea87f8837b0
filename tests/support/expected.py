"""A seeded stream, its reference figures, and checks that a worker's /metrics equal them.

Shared by the fault tests (tests/integration/test_failures.py) and the scale-out tests
(tests/integration/test_two_workers.py).
"""

from __future__ import annotations

from collections.abc import Callable

from pillarwatch.models.events import parse_ts
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import encode
from pillarwatch.scrape import Samples
from pillarwatch.streams.window_export import MEASURE_GAUGES
from tests.support.reference import Expected
from tests.support.worker import WorkerProcess, total, value, wait_for

__all__ = [
    "START",
    "converge",
    "converge_samples",
    "counter_mismatches",
    "mismatches",
    "stream",
    "window_mismatches",
]

START = parse_ts("2026-03-02T09:30:00Z")


def stream(seed: int, hours: float, start: float = START) -> list[tuple[bytes | None, bytes]]:
    events = Simulation(seed=seed).events(start, start + hours * 3600)
    return [encode(e) for e in events]


def mismatches(samples: Samples | None, exp: Expected) -> list[str]:
    """Window measures, volumes and pillar scores in `samples` that differ from `exp`."""
    if samples is None:
        return ["no /metrics"]
    bad = []
    for r in exp.windows:
        labels = {"queue": r.queue, "channel": r.channel, "window": r.window}
        wanted: list[tuple[str, dict[str, str], float | None]] = [
            ("pillarwatch_window_contacts", labels, r.measures.offered)
        ]
        wanted += [(n, labels, getattr(r.measures, a)) for n, a in MEASURE_GAUGES.items()]
        wanted += [
            ("pillarwatch_pillar_score", {"pillar": p, **labels}, ps.score)
            for p, ps in r.pillars.items()
        ]
        bad += _differences(samples, wanted)
    for p in exp.pillar_windows:  # signal pillars, when the reference has them
        labels = {"queue": p.queue, "channel": p.channel, "window": p.window}
        wanted = [("pillarwatch_pillar_score", {"pillar": p.pillar, **labels}, p.score)]
        wanted += [
            (
                "pillarwatch_pillar_component_score",
                {"pillar": p.pillar, "component": c, **labels},
                v,
            )
            for c, v in p.components.items()
        ]
        wanted += [(name, labels, v) for name, v in p.gauges.items()]
        bad += _differences(samples, wanted)
    return bad


def _differences(
    samples: Samples, wanted: list[tuple[str, dict[str, str], float | None]]
) -> list[str]:
    bad = []
    for name, lab, want in wanted:
        got = value(samples, name, **lab)
        if (want is None) != (got is None) or (
            want is not None and got is not None and abs(got - want) > 1e-9
        ):
            bad.append(f"{name}{lab}: got {got}, want {want}")
    return bad


def counter_mismatches(samples: Samples, exp: Expected) -> list[str]:
    """Event and contact counters in `samples` that differ from `exp` (exact counts)."""
    wanted: list[tuple[str, dict[str, str], float]] = [
        ("pillarwatch_events_total", {"type": t}, n) for t, n in exp.events.items()
    ]
    wanted += [
        ("pillarwatch_events_rejected_total", {"reason": r}, n) for r, n in exp.rejected.items()
    ]
    wanted.append(("pillarwatch_events_duplicate_total", {}, exp.duplicates))
    wanted += [
        ("pillarwatch_contacts_total", {"queue": q, "channel": c, "outcome": o}, n)
        for (q, c, o), n in exp.contacts.items()
    ]
    bad = [
        f"{name}{labels}: got {got}, want {want}"
        for name, labels, want in wanted
        if (got := value(samples, name, **labels)) != want
    ]
    accepted = sum(exp.events.values())
    if total(samples, "pillarwatch_events_total") != accepted:
        bad.append(f"pillarwatch_events_total: {total(samples, 'pillarwatch_events_total')}")
    return bad


def window_mismatches(worker: WorkerProcess, exp: Expected) -> list[str]:
    return mismatches(worker.samples(), exp)


def converge_samples(
    read: Callable[[], Samples | None], exp: Expected, timeout: float, describe: Callable[[], str]
) -> Samples:
    """Wait until `read()` shows the reference's windows; the matching samples, or fail with
    the first differences and `describe()` (logs, counts)."""
    ok = wait_for(lambda: not mismatches(read(), exp), timeout=timeout, interval=0.5)
    samples = read()
    bad = mismatches(samples, exp)
    assert ok and samples is not None and not bad, (
        f"{len(bad)} differences after {timeout:.0f}s:\n" + "\n".join(bad[:20]) + describe()
    )
    return samples


def converge(worker: WorkerProcess, exp: Expected, timeout: float = 150) -> None:
    def describe() -> str:
        s = worker.samples() or {}
        counts = {
            n: total(s, n)
            for n in ("pillarwatch_events_total", "pillarwatch_events_duplicate_total")
        }
        accepted = sum(exp.events.values())
        return f"\n{counts} of {accepted} accepted expected\n" + worker.log.read_text()[-2000:]

    converge_samples(worker.samples, exp, timeout, describe)
