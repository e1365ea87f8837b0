"""The simulator's calls carry speech-to-text transcripts with the chats' markers."""

from __future__ import annotations

import string
from collections import Counter

from pillarwatch.models.markers import APOLOGY, COMPLAINT, detect
from pillarwatch.models.simulation import _LINES, Simulation, _spoken

START = 1_763_629_200.0  # 2025-11-20 09:00 UTC


def test_call_lines_are_speech_to_text_segments_chat_lines_are_typed() -> None:
    events = list(Simulation(seed=5, daily_profile=False).events(START, START + 3600))
    messages = [e for e in events if e["type"] == "contact.message"]
    voice = [e["text"] for e in messages if e["channel"] == "voice"]
    chat = [e["text"] for e in messages if e["channel"] == "chat"]
    assert voice and chat
    no_punctuation = set(string.punctuation) - {"'"}
    assert all(t == t.lower() and not set(t) & no_punctuation for t in voice)
    assert any(set(t) & no_punctuation for t in chat)


def test_speech_to_text_form_keeps_every_lines_markers() -> None:
    for lang, kinds in _LINES.items():
        for lines in kinds.values():
            for line in lines:
                assert detect(_spoken(line), lang) == detect(line, lang), (lang, line)


def test_voice_queues_get_complaints_and_apologies_like_chats() -> None:
    events = list(Simulation(seed=5, daily_profile=False).events(START, START + 3 * 3600))
    found: Counter[tuple[str, str]] = Counter()
    for e in events:
        if e["type"] == "contact.message":
            markers = detect(e["text"], e["lang"])
            if e["role"] == "customer" and markers & COMPLAINT:
                found[(e["channel"], "complaint")] += 1
            if e["role"] == "agent" and markers & APOLOGY:
                found[(e["channel"], "apology")] += 1
    for channel in ("voice", "chat"):
        assert found[(channel, "complaint")] > 0 and found[(channel, "apology")] > 0
    # The same marker mix: the apology-to-complaint share is alike on both channels.
    share = {c: found[(c, "apology")] / found[(c, "complaint")] for c in ("voice", "chat")}
    assert abs(share["voice"] - share["chat"]) < 0.25, share
