"""The detectors compared on the labelled sets, each a function of one labelled example.

- `lexicon`: models.markers as the stream runs it, language tag given, conversation context
  applied (`in_context` over the rows' earlier messages). This is the one kept.
- `untagged`: the same with the language tag dropped, so the language is detected.
- `classifier`: option (b), a character n-gram model trained on dev (classifier.py).
- `either`: lexicon or classifier (lexicon for precision, classifier for recall).
"""

from __future__ import annotations

from pillarwatch.models.marker_eval.classifier import NgramModel
from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import detect, in_context

__all__ = ["either", "lexicon", "make_classifier", "untagged"]


def _in_conversation(ex: Example, lang: str | None) -> int:
    context = 0
    for earlier in ex.context:
        found = detect(earlier.text, lang)
        _, context = in_context(found, earlier.role, earlier.text, lang, context)
    found = detect(ex.text, lang)
    return in_context(found, ex.role, ex.text, lang, context)[0]


def lexicon(ex: Example) -> int:
    return _in_conversation(ex, ex.lang)


def untagged(ex: Example) -> int:
    return _in_conversation(ex, None)


def make_classifier(model: NgramModel) -> Detector:
    def classifier(ex: Example) -> int:
        return model.detect(ex.text, ex.role)

    return classifier


def either(model: NgramModel) -> Detector:
    def lexicon_or_classifier(ex: Example) -> int:
        return lexicon(ex) | model.detect(ex.text, ex.role)

    return lexicon_or_classifier
