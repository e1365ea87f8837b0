"""The labelled marker sets: the frozen test split, its fixed split rule and what it may not leak.

What the leak check can catch: a test line (or any run of LEAK_WORDS consecutive words of one,
after normalisation) copied into a lexicon (patterns, notes, comments), into the detector's
code, or into the classifier's training input (dev rows, and train() refuses test rows). What
it cannot catch: a pattern written from a test line's idea rather than its words, a short
pattern (fewer than LEAK_WORDS words) shared with a test line, or knowledge carried across
languages (the sets were written from one list of situations, so a test line may be the
translation of a dev line in another language); docs/markers.md says so next to the figures.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pillarwatch.models.marker_eval.classifier import train
from pillarwatch.models.marker_eval.sets import DEFAULT_DATA, load_split, split_digest, split_of
from pillarwatch.models.markers import (
    APOLOGY,
    COMPLAINT,
    EMPATHY,
    LANGUAGES,
    NGRAM_MODEL,
    normalise,
)

# sha256 of each test-split file, pinned when the split was written (before any result was
# seen). A change to a test line fails here: the test split is never edited after the fact.
PINNED_TEST_FILES = {
    "de": "045ae6580551ede053ceb91ad89a95fb5f205cf11c255cce3b076b740bbcacc1",
    "el": "8bcedac452299843f4bd107c747f6763566e2f055dca1bd547efb26d054461df",
    "en": "a7a05764a5bfd41e676d79428d7ee1cee7dc648cd27f2c6db67e3a06e2e5df62",
    "es": "a572bb228e7ec11ef3e843ec1b6a5bf7bbd2ec456906ca70d25c41598b7e3b03",
    "fr": "6e533d69870866c0ea92b9f0a70f3c3e669154c4a30def10f0c42c78673423f5",
    "it": "f87f4960121976cd9eb5c47925dd4fd80bb0d52e9267c30acf3ab38c0c0624db",
    "pl": "47cbd3db3f8ec003cc2199d519d3fc92b0cc121361180fb39aa15442e4775564",
    "pt": "c05454e555eb46bdbe33749d81f67edc893c1765a5985881da651836504133f9",
    "ro": "ce5e4c82407fe5f2b5f71ba5213f4d0199f54646d531c89b3298e233f228a754",
    "ru": "20ef619e3e3a2fb90fa87e94b93f6135f49e23953ac605521d2f42986b6ecb8f",
    "uk": "ca135253ae827ea64833848136e67cf4203f2bdd540c5aea55d4d878519ae371",
}
LEAK_WORDS = 5
# Hits that are not derived from the test line: lexicon text written before the set existed
# (commit 00c8c70) that a test line happens to repeat word for word.
PREDATES_THE_SET = {("fr.toml", "ne vous excusez pas")}
MODELS = Path(__file__).resolve().parents[2] / "models"
DEV = load_split("dev")
TEST = load_split("test")


def test_test_split_files_are_the_pinned_ones() -> None:
    found = {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((DEFAULT_DATA / "test").glob("*.jsonl"))
    }
    assert found == PINNED_TEST_FILES


def test_every_row_sits_in_the_split_its_hash_names() -> None:
    for split, sets in (("dev", DEV), ("test", TEST)):
        for rows in sets.values():
            for ex in rows:
                if ex.source == "v1":
                    # The sentences the first lexicons were written from: dev by definition.
                    assert split == "dev", ex.text
                else:
                    assert split_of(ex.lang, ex.text) == split, ex.text


def test_sets_are_large_enough_and_cover_every_marker() -> None:
    assert set(DEV) == set(TEST) == set(LANGUAGES)
    for lang in LANGUAGES:
        rows = DEV[lang] + TEST[lang]
        assert len(rows) >= (250 if lang == "en" else 150), lang
        for bit in (COMPLAINT, APOLOGY, EMPATHY):
            assert sum(bool(r.labels & bit) for r in TEST[lang]) >= 7, (lang, bit)
        # hard negatives: customer lines without a complaint, agent lines with neither marker
        assert sum(r.role == "customer" and not r.labels for r in TEST[lang]) >= 10, lang
        assert sum(r.role == "agent" and not r.labels for r in TEST[lang]) >= 5, lang
        assert any(r.context for r in DEV[lang] + TEST[lang]), lang


def _runs(text: str) -> set[str]:
    words = normalise(text).split()
    return {" ".join(words[i : i + LEAK_WORDS]) for i in range(len(words) - LEAK_WORDS + 1)}


def _normalised_sources() -> dict[str, str]:
    files = [*(MODELS / "lexicons").glob("*.toml"), MODELS / "markers.py"]
    files += (MODELS / "marker_eval").glob("*.py")
    return {path.name: " " + normalise(path.read_text("utf-8")) + " " for path in files}


def test_no_test_line_is_copied_into_lexicons_rules_or_training_data() -> None:
    sources = _normalised_sources()
    dev_texts = {normalise(ex.text) for rows in DEV.values() for ex in rows}
    leaks = []
    for rows in TEST.values():
        for ex in rows:
            whole = normalise(ex.text)
            if whole in dev_texts:
                leaks.append(f"in dev: {ex.text}")
            for run in _runs(ex.text) | ({whole} if len(whole.split()) >= 3 else set()):
                leaks += [
                    f"{name}: {ex.text}"
                    for name, s in sources.items()
                    if f" {run} " in s and (name, run) not in PREDATES_THE_SET
                ]
    assert not leaks


def test_the_leak_check_can_fail() -> None:
    line = TEST["en"][0].text
    assert any(f" {run} " in " " + normalise(f"# note: {line}") + " " for run in _runs(line))


def test_the_shipped_classifier_was_trained_on_this_dev_split() -> None:
    model = json.loads((MODELS / "lexicons" / NGRAM_MODEL).read_text("utf-8"))
    assert model["trained_on"] == split_digest("dev"), "dev changed: pillarwatch markers train"


def test_the_classifier_refuses_test_rows() -> None:
    with pytest.raises(ValueError, match="test-split"):
        train(TEST["en"][:1])
