"""The labelled marker sets: the frozen test split, who writes it, and what it may not leak.

The test split (tests/data/markers/test/) is written by people who never saw the detector, all
rows with source holdout-2026-12b, and scored once per change of the detector; dev is everything
else (the earlier test splits among it, retired after they had been scored several times).
Tests that need the test split fail with "no test split: ..." while it is absent.

What the leak check can catch: a test line (or any run of LEAK_WORDS consecutive words of one,
after normalisation) copied into a lexicon (patterns, notes, comments), into the detector's
code, or into the classifier's training input (dev rows, and train() refuses test rows). What
it cannot catch: a pattern written from a test line's idea rather than its words, a short
pattern (fewer than LEAK_WORDS words) shared with a test line, or knowledge carried across
languages; docs/markers.md says so next to the figures.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pillarwatch.models.marker_eval.classifier import train
from pillarwatch.models.marker_eval.sets import (
    DEFAULT_DATA,
    TEST_SOURCE,
    Example,
    load_split,
    split_digest,
)
from pillarwatch.models.markers import (
    APOLOGY,
    COMPLAINT,
    EMPATHY,
    LANGUAGES,
    NGRAM_MODEL,
    normalise,
)

# sha256 of each test-split file, pinned when the split (source holdout-2026-12b, written on
# 2026-12-03) was merged and before it was ever scored: the 93 rows that equalled a dev line,
# shared a run of eight words with one, or a run of five with a lexicon or the detector's code
# were dropped first, by that overlap alone. A change to a test line fails here: the
# test split is never edited after the fact.
PINNED_TEST_FILES: dict[str, str] = {
    "de": "dcfa5a5e4e13897318e25c20a7fb80e19bd4fc615e5cd348e976b67b4dcfdd74",
    "el": "9b66d1b5bea672486815f56ccc514b3e74cf34242b10b8d700e566a6245cc89b",
    "en": "a45173afa3dc1d0bb29f3230a0273e728254a51174c963d208a75ea12da98fdd",
    "es": "c9ff6e2436484cc1f2910be178b886a218f8e8fe3004ea00d1529da8f7f25ae3",
    "fr": "595e7ae6625c2099714f9fb3df832a178e4efd6f8a47db7b96b8dd943e636791",
    "it": "726716190d574850fddf4136796aca1815089790caa25539e902a145af5453b1",
    "pl": "aa8d25041568fdfc3e19f3057e2a5c737ae4ca52b8e8f595043959112a894968",
    "pt": "739b84c6d89df6ca37714830851f02d47dcc80bd08fb9bae26c6b34c18f84e7c",
    "ro": "e390f306665ab6db8efece6aba5995040004edb08107e63e7b46455b86b792a0",
    "ru": "7fc0f7d9c37eb953d33a5744dfb01dacf2000ad0fd6db3e7560b5df94bb7fbc5",
    "uk": "aab7e79a6b0f158f572300df705b360dbaf26eff7cab0d6da42c97527c9b24b3",
}
LEAK_WORDS = 5
MODELS = Path(__file__).resolve().parents[2] / "models"
DEV = load_split("dev")
TEST = load_split("test")
NO_TEST_SPLIT = "no test split: tests/data/markers/test/ is empty"


def _test_split() -> dict[str, list[Example]]:
    if not any(TEST.values()):
        pytest.fail(NO_TEST_SPLIT)
    return TEST


def test_test_split_files_are_the_pinned_ones() -> None:
    _test_split()
    found = {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((DEFAULT_DATA / "test").glob("*.jsonl"))
    }
    assert found == PINNED_TEST_FILES


def test_every_test_row_comes_from_the_holdout_writers() -> None:
    for rows in _test_split().values():
        for ex in rows:
            assert ex.source == TEST_SOURCE, ex.text


def test_no_dev_row_claims_to_be_a_test_row() -> None:
    assert not [ex.text for rows in DEV.values() for ex in rows if ex.source == TEST_SOURCE]


def test_dev_is_large_enough_and_covers_every_marker() -> None:
    assert set(DEV) == set(LANGUAGES)
    for lang in LANGUAGES:
        rows = DEV[lang]
        assert len(rows) >= (250 if lang == "en" else 150), lang
        for bit in (COMPLAINT, APOLOGY, EMPATHY):
            assert sum(bool(r.labels & bit) for r in rows) >= 20, (lang, bit)
        assert any(r.context for r in rows), lang


def test_test_split_covers_every_language_and_marker() -> None:
    test = _test_split()
    assert set(test) == set(LANGUAGES)
    for lang in LANGUAGES:
        for bit in (COMPLAINT, APOLOGY, EMPATHY):
            assert sum(bool(r.labels & bit) for r in test[lang]) >= 7, (lang, bit)
        # hard negatives: customer lines without a complaint, agent lines with neither marker
        assert sum(r.role == "customer" and not r.labels for r in test[lang]) >= 10, lang
        assert sum(r.role == "agent" and not r.labels for r in test[lang]) >= 5, lang


def _runs(text: str) -> set[str]:
    words = normalise(text).split()
    return {" ".join(words[i : i + LEAK_WORDS]) for i in range(len(words) - LEAK_WORDS + 1)}


def _normalised_sources() -> dict[str, str]:
    files = [*(MODELS / "lexicons").glob("*.toml"), *MODELS.glob("marker*.py")]
    files += (MODELS / "marker_eval").glob("*.py")
    return {path.name: " " + normalise(path.read_text("utf-8")) + " " for path in files}


def _leaks(
    test: dict[str, list[Example]], sources: dict[str, str], dev: dict[str, list[Example]]
) -> list[str]:
    """Test lines found whole among dev rows, or as a run of LEAK_WORDS words in a source."""
    dev_texts = {normalise(ex.text) for rows in dev.values() for ex in rows}
    leaks = []
    for rows in test.values():
        for ex in rows:
            whole = normalise(ex.text)
            if whole in dev_texts:
                leaks.append(f"in dev: {ex.text}")
            for run in _runs(ex.text) | ({whole} if len(whole.split()) >= 3 else set()):
                leaks += [f"{name}: {ex.text}" for name, s in sources.items() if f" {run} " in s]
    return leaks


def test_no_test_line_is_copied_into_lexicons_rules_or_training_data() -> None:
    assert not _leaks(_test_split(), _normalised_sources(), DEV)


def test_the_leak_check_can_fail() -> None:
    line = Example("en", "so this is the fourth email about my parcel", "customer", COMPLAINT)
    other = Example("en", "hello", "customer", 0)
    test = {"en": [line]}
    assert _leaks(test, {"en.toml": " # note: so this is the fourth email "}, {}) != []
    assert _leaks(test, {}, {"en": [line]}) == ["in dev: " + line.text]
    assert _leaks(test, {"en.toml": " this is the fourth "}, {"en": [other]}) == []


def test_the_shipped_classifier_was_trained_on_this_dev_split() -> None:
    model = json.loads((MODELS / "lexicons" / NGRAM_MODEL).read_text("utf-8"))
    assert model["trained_on"] == split_digest("dev"), "dev changed: pillarwatch markers train"


def test_the_classifier_refuses_test_rows(tmp_path: Path) -> None:
    marked = Example("en", "why is it always me", "customer", COMPLAINT, source=TEST_SOURCE)
    with pytest.raises(ValueError, match="test-split"):
        train([marked])
    # Without its source, a row whose text is in the test files is refused all the same.
    (tmp_path / "test").mkdir()
    row = {"text": "Why is it ALWAYS me?", "role": "customer", "labels": ["complaint"]}
    (tmp_path / "test" / "en.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    unmarked = Example("en", "why is it always me", "customer", COMPLAINT)
    with pytest.raises(ValueError, match="test-split"):
        train([unmarked], tmp_path)
