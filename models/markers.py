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

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

__all__ = [
    "APOLOGY",
    "COMPLAINT",
    "EMPATHY",
    "LANGUAGES",
    "MARKERS",
    "compile_pattern",
    "detect",
    "normalise",
]

COMPLAINT: Final = 1
APOLOGY: Final = 2
EMPATHY: Final = 4

# Lexicon section name -> bit. Order is the order of the checks in detect().
MARKERS: Final[dict[str, int]] = {"complaint": COMPLAINT, "apology": APOLOGY, "empathy": EMPATHY}

# --- normalisation -------------------------------------------------------------------------

# Combining Diacritical Marks: after NFKD these carry every accent we fold away: acute/grave,
# Greek tonos (U+0301) and dialytika (U+0308), Romanian comma below (U+0326) and cedilla
# (U+0327), Polish ogonek and kreska, Cyrillic breve (й -> и) and diaeresis (ё -> е, ї -> і).
_MARKS: Final = re.compile("[\u0300-\u036f]+")
# Letters whose stroke is part of the glyph and so do not decompose under NFKD.
_NO_DECOMPOSE: Final = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ı": "i"})
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
        folded = _MARKS.sub("", unicodedata.normalize("NFKD", folded)).translate(_NO_DECOMPOSE)
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


# --- lexicons ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One marker of one language: what signals it, and what cancels those signals."""

    bit: int
    match: re.Pattern[str]
    unless: re.Pattern[str] | None


def _join(patterns: list[str]) -> str:
    return "|".join(f"(?:{compile_pattern(p)})" for p in patterns)


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


def _build(
    sources: dict[str, dict[str, dict[str, object]]],
) -> tuple[dict[str, tuple[_Rule, ...]], tuple[_Rule, ...]]:
    """Compile every language's rules, and one combined rule set for unknown languages."""
    per_lang: dict[str, tuple[_Rule, ...]] = {}
    all_match: dict[str, list[str]] = {m: [] for m in MARKERS}
    all_unless: dict[str, list[str]] = {m: [] for m in MARKERS}
    for lang, data in sources.items():
        rules = []
        for marker, bit in MARKERS.items():
            section = data.get(marker)
            if not isinstance(section, dict):
                raise ValueError(f"{lang}.toml has no [{marker}] table")
            match = _entries(section, "match", f"{lang}.{marker}")
            unless = _entries(section, "unless", f"{lang}.{marker}")
            if not match:
                raise ValueError(f"{lang}.{marker}.match is empty")
            rules.append(
                _Rule(bit, re.compile(_join(match)), re.compile(_join(unless)) if unless else None)
            )
            all_match[marker].append(_join(match))
            if unless:
                all_unless[marker].append(_join(unless))
        per_lang[lang] = tuple(rules)
    combined = tuple(
        _Rule(
            bit,
            re.compile("|".join(all_match[m])),
            re.compile("|".join(all_unless[m])) if all_unless[m] else None,
        )
        for m, bit in MARKERS.items()
    )
    return per_lang, combined


def _load_sources() -> dict[str, dict[str, dict[str, object]]]:
    folder = resources.files("pillarwatch.models") / "lexicons"
    sources = {}
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".toml"):
            sources[item.name.removesuffix(".toml")] = tomllib.loads(item.read_text("utf-8"))
    return sources


_RULES, _ALL_RULES = _build(_load_sources())
LANGUAGES: Final[tuple[str, ...]] = tuple(sorted(_RULES))


@lru_cache(maxsize=256)
def _rules_for(lang: str) -> tuple[_Rule, ...]:
    # BCP 47: only the primary language subtag matters ("pl-PL" -> "pl"); case-insensitive.
    primary = lang.replace("_", "-").split("-", 1)[0].strip().casefold()
    return _RULES.get(primary, _ALL_RULES)


def detect(text: str, lang: str | None) -> int:
    """Bitmask of COMPLAINT, APOLOGY and EMPATHY found in `text`.

    `lang` is a BCP 47 tag; when it is missing or not one of LANGUAGES every lexicon is used.
    A signal inside a cancelling phrase ("no need to apologise") does not count.
    """
    rules = _rules_for(lang) if lang else _ALL_RULES
    norm = " " + normalise(text) + " "
    found = 0
    for rule in rules:
        if rule.match.search(norm) is None:
            continue
        # Blank out the cancelling phrases, then look again: a genuine signal elsewhere in the
        # message still counts ("no need to apologise, I'm sorry it took so long").
        if rule.unless is not None and rule.match.search(rule.unless.sub(" ", norm)) is None:
            continue
        found |= rule.bit
    return found
