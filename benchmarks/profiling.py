"""`python -m benchmarks.profiling FILE [N]`: where the time goes in a py-spy raw profile.

py-spy's raw format is one collapsed stack per line (`frame;frame;... count`). This prints the
N frames with the largest inclusive share (time with the frame anywhere on the stack) and self
share (time with the frame on top), so a profile reads without a flame-graph viewer.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

__all__ = ["summarize"]


def summarize(text: str, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return "no samples"
    lines = [f"{total} samples", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(summarize(Path(args[0]).read_text(), int(args[1]) if len(args) > 1 else 25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
