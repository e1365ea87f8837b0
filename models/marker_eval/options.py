"""The detectors compared on the labelled sets, each a function of one labelled example.

Every option runs the conversation context (`in_context` over the row's earlier messages),
so they differ only in what finds the markers:
- `lexicon`: the language's lexicon and its rules (option a);
- `classifier`: the character n-gram model trained on dev (option b; its lexicon is still used
  for the repeat-request rule and to know the language);
- `combined`: a marker counts when either finds it. This is what the stream runs;
- `untagged`: `combined` with the language tag dropped, so the language is detected.
"""

from __future__ import annotations

from collections.abc import Callable

from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import (
    APOLOGY,
    NgramModel,
    asks_to_repeat,
    classify,
    detect,
    in_context,
    normalise,
)

__all__ = ["NAMES", "OPTIONS", "options"]

_Find = Callable[[str, str | None], int]


def _in_conversation(find: _Find, tagged: bool) -> Detector:
    def detector(ex: Example) -> int:
        lang = ex.lang if tagged else None
        context = 0
        for earlier in ex.context:
            _, context = in_context(
                find(earlier.text, lang), earlier.role, earlier.text, lang, context
            )
        return in_context(find(ex.text, lang), ex.role, ex.text, lang, context)[0]

    return detector


NAMES = ("lexicon", "classifier", "combined", "untagged")


def options(model: NgramModel | None = None) -> dict[str, Detector]:
    """Every option, with `model` as the classifier (None: the shipped one)."""

    def lexicon(text: str, lang: str | None) -> int:
        return detect(text, lang, classifier=False)

    def classifier(text: str, lang: str | None) -> int:
        # The classifier's bits, with detect()'s repeat-request rule applied to them too.
        found = classify(" " + normalise(text) + " ", model, text)
        if found & APOLOGY and asks_to_repeat(text, lang):
            found &= ~APOLOGY
        return found

    def combined(text: str, lang: str | None) -> int:
        return detect(text, lang, model=model)

    return {
        "lexicon": _in_conversation(lexicon, tagged=True),
        "classifier": _in_conversation(classifier, tagged=True),
        "combined": _in_conversation(combined, tagged=True),
        "untagged": _in_conversation(combined, tagged=False),
    }


OPTIONS: dict[str, Detector] = options()
