"""`pillarwatch demo`'s summary line shows apology coverage per channel, calls included."""

from __future__ import annotations

from pillarwatch.demo import summary_line
from pillarwatch.scrape import parse


def test_summary_line_shows_apology_coverage_of_voice_and_chat() -> None:
    text = "\n".join(
        f'pillarwatch_apology_coverage_ratio{{queue="{q}",channel="{c}",window="{w}"}} {v}'
        for q, c, w, v in [
            ("billing", "voice", "1h", 0.5),
            ("sales", "voice", "1h", 1.0),
            ("billing", "chat", "1h", 0.25),
            ("billing", "voice", "5m", 0.0),
        ]
    )
    assert summary_line(parse(text + "\n")).endswith("Apology(1h) chat 25% voice 75%")
