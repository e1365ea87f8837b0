"""`pillarwatch demo`: the embedded broker, a worker and the simulator, with a live summary line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import Traffic, produce
from pillarwatch.scrape import Samples, fetch, parse
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import ensure_topics

__all__ = ["run_demo", "summary_line"]


def summary_line(s: Samples) -> str:
    """One line: volume, waiting, the worst queue's service level and the mean pillar scores."""
    events = sum(s.get("pillarwatch_events_total", {}).values())
    rejected = sum(s.get("pillarwatch_events_rejected_total", {}).values())
    waiting = sum(s.get("pillarwatch_queue_waiting_contacts", {}).values())
    sl = {
        dict(k)["queue"] + "/" + dict(k)["channel"]: v
        for k, v in s.get("pillarwatch_service_level_ratio", {}).items()
        if dict(k)["window"] == "5m"
    }
    scores: dict[str, list[float]] = {}
    for k, v in s.get("pillarwatch_pillar_score", {}).items():
        if dict(k)["window"] == "1h":
            scores.setdefault(dict(k)["pillar"], []).append(v)
    parts = [f"events {events:.0f}", f"rejected {rejected:.0f}", f"waiting {waiting:.0f}"]
    if sl:
        worst = min(sl, key=lambda q: sl[q])
        parts.append(f"SL(5m) worst {worst} {sl[worst]:.0%}")
    for pillar, label in (("time_effort", "Time&Effort"), ("resolution", "Resolution")):
        if scores.get(pillar):
            parts.append(f"{label}(1h) {sum(scores[pillar]) / len(scores[pillar]):.0f}")
    # Apology coverage per channel (mean over queues): on calls it comes from transcripts.
    apology: dict[str, list[float]] = {}
    for k, v in s.get("pillarwatch_apology_coverage_ratio", {}).items():
        if dict(k)["window"] == "1h":
            apology.setdefault(dict(k)["channel"], []).append(v)
    if apology:
        shares = " ".join(f"{c} {sum(r) / len(r):.0%}" for c, r in sorted(apology.items()))
        parts.append(f"Apology(1h) {shares}")
    return time.strftime("[%H:%M:%S] ") + "  ".join(parts)


async def _traffic(
    settings: Settings, seed: int, backfill_minutes: float, url: str, live_view: bool
) -> None:
    now = time.time()
    traffic = Traffic(Simulation(seed=seed), now - backfill_minutes * 60)
    sent = await produce(settings, traffic.due(now))
    print(
        f"backfilled {sent} events ({backfill_minutes:.0f} simulated minutes); now live", flush=True
    )

    async def wallboard() -> None:
        # A terminal: the live wallboard of `pillarwatch top`, refreshed every second.
        from rich.live import Live

        from pillarwatch.top import frame

        with Live(auto_refresh=False) as live:
            while True:
                renderable, _ = await asyncio.to_thread(frame, [url], 2.0, 1.0)
                live.update(renderable, refresh=True)
                await asyncio.sleep(1)

    async def report() -> None:
        # Not a terminal (a log, CI): one summary line every five seconds.
        while True:
            await asyncio.sleep(5)
            try:
                text = await asyncio.to_thread(fetch, url)
            except OSError as exc:
                print(f"[{time.strftime('%H:%M:%S')}] worker not answering yet ({exc})")
                continue
            print(summary_line(parse(text)), flush=True)

    reporter = asyncio.create_task(wallboard() if live_view else report())
    try:
        await produce(settings, traffic.live())
    finally:
        reporter.cancel()


def run_demo(
    duration: float | None,
    seed: int = 1,
    backfill_minutes: float = 60.0,
    plain: bool = False,
) -> int:
    env = dict(os.environ)
    # The demo is for people: Faust's warnings during the backfill burst are noise there.
    env.setdefault("PILLARWATCH_LOG_LEVEL", "error")
    broker = None
    if not env.get("PILLARWATCH_BROKER"):
        broker = EmbeddedBroker().start()
        env["PILLARWATCH_BROKER"] = broker.url
        print(f"embedded broker (Tansu, memory only) on {broker.bootstrap}", flush=True)
    data_dir = tempfile.mkdtemp(prefix="pillarwatch-demo-")
    env.setdefault("PILLARWATCH_DATA_DIR", data_dir)
    settings = Settings.from_env(env)
    url = f"http://{settings.web_host}:{settings.web_port}/metrics"
    worker = None
    try:
        asyncio.run(ensure_topics(settings))
        worker = subprocess.Popen([sys.executable, "-m", "pillarwatch", "worker"], env=env)
        print(f"worker pid {worker.pid}; metrics at {url}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        live_view = sys.stdout.isatty() and not plain
        coro = _traffic(settings, seed, backfill_minutes, url, live_view)
        with contextlib.suppress(TimeoutError):
            asyncio.run(asyncio.wait_for(coro, duration) if duration else coro)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        if broker is not None:
            broker.stop()
    print("stopped", flush=True)
    return 0
