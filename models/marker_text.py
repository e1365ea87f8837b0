"""Text normalisation and lexicon pattern compilation for the chat markers (models/markers.py).

Messages and lexicon patterns go through the same `normalise`, so a pattern can be written with
or without accents; `compile_pattern` turns the pattern syntax of docs/markers.md into regex
source. Split from markers.py to keep each module small; markers.py re-exports both.
"""

# Greek and Cyrillic letters in comments are intended, not look-alikes:

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["compile_pattern", "compile_patterns", "normalise"]

# --- normalisation -------------------------------------------------------------------------

# Combining Diacritical Marks: after NFKD these carry every accent we fold away: acute/grave,
# Greek tonos (U+0301) and dialytika (U+0308), Romanian comma below (U+0326) and cedilla
# (U+0327), Polish ogonek and kreska, Cyrillic breve (й -> и) and diaeresis (ё -> е, ї -> і).
_MARKS: Final = re.compile("[\u0300-\u036f]+")
# Letters whose stroke is part of the glyph and so do not decompose under NFKD. Replaced one by
# one with str.replace: str.translate with a mapping looks every character up in it, which
# took about 4 µs per non-ASCII chat line, several times the cost of five replaces.
_NO_DECOMPOSE: Final = (("ł", "l"), ("đ", "d"), ("ø", "o"), ("ħ", "h"), ("ı", "i"))
# Anything that is not a letter or digit (punctuation, apostrophes, hyphens, underscores, runs of
# whitespace) becomes one space, so patterns only ever have to match "word word".
_SEPARATORS: Final = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Fold `text` to the form lexicon patterns are written against.

    casefold (also ß -> ss, Greek final ς -> σ), strip diacritics, map letters that do not
    decompose (ł -> l), and turn every non-word run into a single space, padded at both ends.
    Romanian ș (comma) and ş (cedilla) both become s, ț and ţ both t.
    """
    folded = text.casefold()
    if not folded.isascii():
        folded = _MARKS.sub("", unicodedata.normalize("NFKD", folded))
        for letter, plain in _NO_DECOMPOSE:
            folded = folded.replace(letter, plain)
    return _SEPARATORS.sub(" ", folded)


# --- pattern compilation -----------------------------------------------------------------

# Gap tokens: ".." lets up to three words sit between its neighbours, "..." up to six.
_GAPS: Final = {"..": r"(?:\w+ ){0,3}", "...": r"(?:\w+ ){0,6}"}
# Inside a token an apostrophe or hyphen matches an optional space: "don't" matches the
# normalised "don t" as well as "dont" typed without the apostrophe; "m-am" matches "m am".
_JOINERS: Final = re.compile(r"['’\-]")


def _alternative(alt: str) -> str:
    """One alternative of a token: literal text with `*` meaning 'any letters here'."""
    pieces = alt.split("*")
    out = []
    for piece in pieces:
        parts = [normalise(p).strip() for p in _JOINERS.split(piece)]
        if any(" " in p for p in parts):
            raise ValueError(f"pattern token {alt!r} holds a separator; split it into tokens")
        out.append(" ?".join(re.escape(p) for p in parts))
    return r"\w*".join(out)


def _token(token: str) -> tuple[str, bool]:
    """Regex for one token and whether it is optional (a trailing `?`)."""
    optional = token.endswith("?")
    body = token[:-1] if optional else token
    if not body:
        raise ValueError("empty pattern token")
    alts = [_alternative(a) for a in body.split("|")]
    if any(not a for a in alts):
        raise ValueError(f"empty alternative in token {token!r}")
    return (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"), optional


# " | " with spaces around it separates whole-phrase alternatives; "a|b" without spaces is a
# choice of one word inside a phrase.
_PHRASES: Final = re.compile(r"\s\|\s")


def compile_pattern(pattern: str) -> str:
    """Translate one lexicon pattern (syntax in docs/markers.md) to regex source.

    Phrases are separated by ` | `. Within a phrase tokens are separated by spaces and match
    whole words: `word`, `stem*`, `*suffix`, `a|b|c*` (one of these words), `word?` (optional),
    `..` / `...` (a gap of up to 3 / 6 words).
    """
    phrases = _PHRASES.split(pattern)
    if len(phrases) > 1:
        return "|".join(f"(?:{_compile_phrase(p)})" for p in phrases)
    return _compile_phrase(pattern)


def compile_patterns(patterns: list[str]) -> str:
    """Regex source matching any of `patterns` (each as `compile_pattern` would).

    Every phrase starts with the same literal space, which is matched once, in front of one
    alternation of the phrases' remainders: then most alternatives start with a letter, which
    the regex engine checks before entering the alternative. On the dev lines the match
    tables took 12 % less time than with one group per pattern (docs/markers.md). The order of
    the phrases is kept, so the same phrase wins where several match at one position.
    """
    rests = []
    for pattern in patterns:
        for phrase in _PHRASES.split(pattern):
            rests.append(_compile_phrase(phrase)[1:])  # without its leading " "
    return " (?:" + "|".join(rests) + ")"


def _compile_phrase(pattern: str) -> str:
    tokens = pattern.split()
    if not tokens or tokens[0] in _GAPS or tokens[-1] in _GAPS or tokens[-1].endswith("?"):
        raise ValueError(f"pattern {pattern!r} is empty, ends optional, or has a gap at an end")
    # Text is normalised to words separated by single spaces and padded with a space at each
    # end, so a word start is always " ". Starting with that literal space rather than \b lets
    # the regex engine skip ahead to candidate positions (measured 2-4x faster). Every token but
    # the last is followed by one space; an optional token and a gap carry their own spaces.
    regex = " "
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if token in _GAPS:
            regex += _GAPS[token]
            continue
        body, optional = _token(token)
        if optional:
            regex += f"(?:{body} )?"
        else:
            regex += body if last else body + " "
    return regex + r"\b"
