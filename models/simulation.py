"""Seeded, realistic contact-centre traffic as schema-v1 event dicts (pure; no I/O).

Per queue and channel: Poisson arrivals whose rate follows the day (a morning and an
afternoon peak), a pool of agents served first-come-first-served, customer patience
(abandonment), log-normal talk times, holds, transfers, transcripts in several languages
with complaints, apologies and empathy (chat lines as typed, call lines as speech-to-text
segments), wrap-up dispositions, surveys, and customers drawn from a finite pool so that
some come back (repeat contacts, across channels).
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = ["DEFAULT_QUEUES", "QueueProfile", "Simulation"]


@dataclass(frozen=True, slots=True)
class QueueProfile:
    queue: str
    channel: str
    arrivals_per_hour: float  # at the daily peak
    agents: int
    mean_talk_seconds: float
    mean_patience_seconds: float


DEFAULT_QUEUES: tuple[QueueProfile, ...] = (
    # Peak arrivals sized for about 80 % occupancy: busy, with some abandonment at the peaks.
    QueueProfile("billing", "voice", 150, 14, 240, 120),
    QueueProfile("billing", "chat", 70, 8, 300, 300),
    QueueProfile("tech-support", "voice", 90, 14, 420, 150),
    QueueProfile("tech-support", "chat", 34, 6, 480, 300),
    QueueProfile("sales", "voice", 52, 6, 300, 90),
    QueueProfile("retention", "voice", 25, 4, 420, 120),
)

_LANGS = ("en", "en", "en", "pl", "de", "fr", "es", "ro", "el", "uk")
# Short transcript lines per language: neutral, complaint (customer), apology and empathy (agent).
_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "neutral": ("I'd like to check my last invoice.", "Can you confirm my address?"),
        "complaint": ("This is unacceptable, I was charged twice!", "I want to complain."),
        "apology": ("I'm so sorry about that.", "I apologise for the trouble."),
        "empathy": ("I understand how frustrating that is.",),
    },
    "pl": {
        "neutral": ("Chciałbym sprawdzić fakturę.",),
        "complaint": ("To jest skandal, chcę złożyć reklamację!",),
        "apology": ("Bardzo przepraszam za kłopot.",),
        "empathy": ("Rozumiem, jak to jest frustrujące.",),
    },
    "de": {
        "neutral": ("Ich möchte meine Rechnung prüfen.",),
        "complaint": ("Das ist eine Frechheit, ich möchte mich beschweren!",),
        "apology": ("Das tut mir sehr leid.",),
        "empathy": ("Ich verstehe, wie ärgerlich das ist.",),
    },
    "fr": {
        "neutral": ("Je voudrais vérifier ma facture.",),
        "complaint": ("C'est inadmissible, je veux porter plainte !",),
        "apology": ("Je suis vraiment désolé.",),
        "empathy": ("Je comprends votre frustration.",),
    },
    "es": {
        "neutral": ("Quisiera revisar mi factura.",),
        "complaint": ("Esto es inaceptable, quiero poner una queja.",),
        "apology": ("Lo siento mucho, disculpe las molestias.",),
        "empathy": ("Entiendo lo frustrante que es.",),
    },
    "ro": {
        "neutral": ("Aș vrea să verific factura.",),
        "complaint": ("Este inacceptabil, vreau să fac o reclamație!",),
        "apology": ("Îmi pare foarte rău.",),
        "empathy": ("Înțeleg cât de frustrant este.",),
    },
    "el": {
        "neutral": ("Θα ήθελα να ελέγξω τον λογαριασμό μου.",),
        "complaint": ("Είναι απαράδεκτο, θέλω να κάνω παράπονο!",),
        "apology": ("Λυπάμαι πολύ για την ταλαιπωρία.",),
        "empathy": ("Καταλαβαίνω πόσο εκνευριστικό είναι.",),
    },
    "uk": {
        "neutral": ("Я хочу перевірити рахунок.",),
        "complaint": ("Це неприпустимо, я хочу подати скаргу!",),
        "apology": ("Вибачте, будь ласка, за незручності.",),
        "empathy": ("Я розумію, як це неприємно.",),
    },
}


def _spoken(line: str) -> str:
    """A line as a real-time speech-to-text engine gives it: lower case, no punctuation.

    Voice transcripts (docs/sources.md, "Voice transcripts") come without the writer's
    punctuation, so the simulator's calls exercise the marker lexicons on that form.
    """
    return " ".join(re.sub(r"[^\w\s']", " ", line).lower().split())


def _day_factor(ts: float) -> float:
    """Arrival rate as a share of the peak: quiet nights, peaks at 11:00 and 15:00 UTC."""
    hour = (ts % 86400) / 3600
    peaks = math.exp(-((hour - 11) ** 2) / 4) + 0.8 * math.exp(-((hour - 15) ** 2) / 5)
    return 0.15 + 0.85 * min(1.0, peaks)


@dataclass
class Simulation:
    """A seeded traffic generator. `events(start, end)` yields events in event-time order."""

    seed: int = 1
    queues: tuple[QueueProfile, ...] = DEFAULT_QUEUES
    customers: int = 4000
    #: False: arrivals at the peak rate all day (tests that must not depend on the hour).
    daily_profile: bool = True
    #: (start_ts, end_ts, queue, share of agents that stay) — an incident: agents leave a queue.
    incidents: list[tuple[float, float, str, float]] = field(default_factory=list)
    _rng: np.random.Generator = field(init=False, repr=False)
    _seq: int = field(default=0, init=False, repr=False)
    _free: dict[tuple[str, str], list[float]] = field(default_factory=dict, repr=False)
    _applied: set[tuple[int, tuple[str, str]]] = field(default_factory=set, repr=False)
    _logged_in: bool = field(default=False, repr=False)
    _end: float = field(default=float("inf"), init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def events(self, start: float, end: float) -> Iterator[dict[str, Any]]:
        """All events of contacts arriving in [start, end), sorted by event time.

        Successive calls with adjacent intervals continue the same simulation (agents busy
        at the end of one interval are still busy at the start of the next).
        """
        batch: list[tuple[float, int, dict[str, Any]]] = []
        for ev in self._agent_events(start, end):
            batch.append((_epoch(ev["ts"]), len(batch), ev))
        self._end = end  # follow-up contacts (callbacks, re-opens) start before it, as others
        for profile in self.queues:
            for arrival in self._arrivals(profile, start, end):
                for ev in self._contact(profile, arrival):
                    batch.append((_epoch(ev["ts"]), len(batch), ev))
        batch.sort(key=lambda item: (item[0], item[1]))
        for _, _, ev in batch:
            yield ev

    def _agent_events(self, start: float, end: float) -> Iterator[dict[str, Any]]:
        """Agents log in at the start; during an incident some go on break, then come back."""

        def state(p: QueueProfile, i: int, ts: float, value: str) -> dict[str, Any]:
            self._seq += 1
            return {
                "event_id": f"agent-{self.seed}-{self._seq}",
                "type": "agent.state",
                "ts": iso(ts),
                "agent_id": f"agent-{p.queue}-{p.channel}-{i}",
                "queue": p.queue,
                "channel": p.channel,
                "state": value,
                "schema": 1,
            }

        for p in self.queues:
            if not self._logged_in:
                for i in range(p.agents):
                    yield state(p, i, start, "available")
            for i_start, i_end, queue, stay in self.incidents:
                if queue != p.queue:
                    continue
                leave = range(max(1, round(p.agents * stay)), p.agents)
                if start <= i_start < end:
                    for i in leave:
                        yield state(p, i, i_start, "break")
                if start <= i_end < end:
                    for i in leave:
                        yield state(p, i, i_end, "available")
        self._logged_in = True

    def _arrivals(self, p: QueueProfile, start: float, end: float) -> Iterator[float]:
        # Thinning (Lewis-Shedler): a homogeneous process at the peak rate, kept with p(t).
        peak = p.arrivals_per_hour / 3600
        t = start
        while True:
            t += float(self._rng.exponential(1 / peak))
            if t >= end:
                return
            if self._rng.random() < (_day_factor(t) if self.daily_profile else 1.0):
                yield t

    def _agents(self, p: QueueProfile, t: float) -> list[float]:
        """The queue's agents as a heap of the times they are next free."""
        key = (p.queue, p.channel)
        free = self._free.setdefault(key, [0.0] * p.agents)
        for n, (i_start, i_end, queue, stay) in enumerate(self.incidents):
            if queue == p.queue and i_start <= t < i_end and (n, key) not in self._applied:
                # Agents leave the floor: they are busy until the incident ends.
                self._applied.add((n, key))
                leave = p.agents - max(1, round(p.agents * stay))
                free.sort()
                for i in range(len(free) - leave, len(free)):
                    free[i] = max(free[i], i_end)
                heapq.heapify(free)
        return free

    def _contact(self, p: QueueProfile, t: float) -> list[dict[str, Any]]:
        rng = self._rng
        self._seq += 1
        cid = f"c-{self.seed}-{self._seq}"
        customer = f"cust-{int(rng.integers(0, self.customers))}"
        lang = _LANGS[int(rng.integers(0, len(_LANGS)))]
        segment = "business" if rng.random() < 0.2 else "household"
        base = {"contact_id": cid, "channel": p.channel, "queue": p.queue, "schema": 1}
        opt = {"customer_id": customer, "segment": segment, "lang": lang}
        out: list[dict[str, Any]] = []

        def emit(etype: str, ts: float, **extra: Any) -> None:
            out.append(
                {"event_id": f"{cid}-{len(out)}", "type": etype, "ts": iso(ts), **base}
                | opt
                | extra
            )

        free = self._agents(p, t)
        wait = max(0.0, free[0] - t)
        emit("contact.queued", t, **self._announcement(p, wait))
        patience = float(rng.exponential(p.mean_patience_seconds))
        if patience < wait:
            emit("contact.abandoned", t + patience)
            emit("contact.ended", t + patience)
            return out
        answered = t + wait
        agent = f"agent-{p.queue}-{p.channel}-{int(rng.integers(0, p.agents))}"
        talk = float(rng.lognormal(math.log(p.mean_talk_seconds), 0.5))
        heapq.heapreplace(free, answered + talk + 30.0)
        emit("contact.answered", answered, agent_id=agent)
        now = answered
        lines = _LINES.get(lang, _LINES["en"])
        complained = rng.random() < 0.18
        steps = int(rng.integers(2, 7))
        for i in range(steps):
            now += talk / (steps + 2)
            role = "customer" if i % 2 == 0 else "agent"
            kind = "neutral"
            if complained and i == 0:
                kind = "complaint"
            elif complained and i == 1 and rng.random() < 0.75:
                kind = "apology" if rng.random() < 0.7 else "empathy"
            pool = lines[kind]
            text = pool[int(rng.integers(0, len(pool)))]
            if p.channel == "voice":
                text = _spoken(text)  # a call's lines arrive as speech-to-text segments
            # Upstream NLP flags agent lines that use the customer's name or history.
            touch = {"personalised": True} if role == "agent" and rng.random() < 0.35 else {}
            emit("contact.message", now, role=role, text=text, **touch)
        if p.channel == "voice" and rng.random() < 0.3:
            hold = float(rng.exponential(45))
            emit("contact.hold_started", now + 1)
            emit("contact.hold_ended", now + 1 + hold)
            now += 1 + hold
        if rng.random() < 0.1:
            others = [q.queue for q in self.queues if q.queue != p.queue]
            emit("contact.transferred", now + 1, to_queue=others[int(rng.integers(0, len(others)))])
        end = max(now, answered + talk) + 2
        emit("contact.ended", end)
        resolved = bool(rng.random() < (0.55 if complained else 0.8))
        wrapped = end + float(rng.uniform(10, 40))
        promise = {}
        if not resolved and rng.random() < 0.5:
            promise = {"callback_due": iso(wrapped + float(rng.uniform(1800, 3600)))}
        emit("contact.wrapped", wrapped, resolved=resolved, **promise)
        if rng.random() < 0.2:
            csat = int(rng.integers(1, 4)) if complained else int(rng.integers(3, 6))
            emit("survey.answered", end + 120, csat=csat, ces=int(rng.integers(1, 8)))
        if promise and rng.random() < 0.85:  # most promised callbacks are made, some late
            at = wrapped + float(rng.uniform(300, 3000))
            if at < self._end:
                out += self._follow_up(p, opt, at, {"callback_for": cid})
        elif resolved and rng.random() < 0.03:  # "resolved", but the ticket is re-opened
            at = wrapped + float(rng.uniform(600, 3600))
            if at < self._end:
                out += self._follow_up(p, opt, at, {}, cid=cid, first=len(out))
        return out

    def _announcement(self, p: QueueProfile, wait: float) -> dict[str, Any]:
        """Most voice contacts hear an estimated wait, rounded down to 15 s; often optimistic."""
        if p.channel != "voice" or self._rng.random() < 0.4:
            return {}
        estimate = wait * float(self._rng.lognormal(-0.4, 0.6))
        return {"announced_wait": int(estimate // 15) * 15}

    def _follow_up(
        self,
        p: QueueProfile,
        opt: dict[str, Any],
        t: float,
        extra: dict[str, Any],
        cid: str | None = None,
        first: int = 0,
    ) -> list[dict[str, Any]]:
        """A short follow-up contact: a callback (a new contact) or a re-opened one (same id)."""
        rng = self._rng
        if cid is None:
            self._seq += 1
            cid = f"c-{self.seed}-{self._seq}"
        base = {"contact_id": cid, "channel": p.channel, "queue": p.queue, "schema": 1}
        agent = f"agent-{p.queue}-{int(rng.integers(0, p.agents))}"
        talk = float(rng.lognormal(math.log(p.mean_talk_seconds / 2), 0.4))
        steps = [
            ("contact.queued", t, extra),
            ("contact.answered", t + 1, {"agent_id": agent}),
            ("contact.ended", t + 1 + talk, {}),
            ("contact.wrapped", t + 11 + talk, {"resolved": bool(rng.random() < 0.9)}),
        ]
        return [
            {"event_id": f"{cid}-{first + i}", "type": etype, "ts": iso(ts), **base} | opt | fields
            for i, (etype, ts, fields) in enumerate(steps)
        ]


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def iso(ts: float) -> str:
    """RFC 3339 with milliseconds, UTC."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
