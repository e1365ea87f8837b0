"""The labelled marker sets: the frozen test split, who writes it, and what it may not leak.

The test split (tests/data/markers/test/) is written by people who never saw the detector, all
rows with source holdout-2026-12, and scored once per change of the detector; dev is everything
else. Tests that need the test split fail with "no test split: ..." while it is absent.

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

# sha256 of each test-split file, pinned when the split (source holdout-2026-12) was merged and
# before it was ever scored: the 79 rows that shared a line or a run of five words with dev or a
# lexicon were dropped first, by that overlap alone. A change to a test line fails here: the
# test split is never edited after the fact.
PINNED_TEST_FILES: dict[str, str] = {
    "de": "9a0140f544da43616d67cd34676b289e62edb3473ebc8370b8a5a65c5b59d330",
    "el": "8f4b7ad347e69574194a5754e5c374ee79b1a95ecc86fa7d31c492236a0ed9e9",
    "en": "1bd385efdcab5e551376c04fa45624b8c7772231496baa7d3466525769b2f46e",
    "es": "49b55f7d1b959894970a7be3054d2a54de4bd3a23e0460c52cf4e9d163556bdc",
    "fr": "0f1b5f2779eccc73856398787a171dffbbefe5430222eccbef9ae93e1c736703",
    "it": "df90d50968360200f7a4c9ad81c9b4024f4c5d1588d317797ba2be2a24a69562",
    "pl": "b174a2c9be5342fc0c9e362883996eb2ca003fabce136bc70e6c1b90b14e4d95",
    "pt": "973b9daa3b60cff23e0f9b21ff1cb03a6bcbcf15d87aca7a109b4e57ad7cdd32",
    "ro": "29d7df75e2f7edec924afd89f0cd1c7e5abc1c4db1be76db4f1e7efa25d5f5aa",
    "ru": "9e5b3436858794016c92f10e7f80d5a2df1e898fd8c72ac4887dbad1008ccc67",
    "uk": "56fe18ecd22ff283d63b9da0c126162d222a81f571cebfa35d233c3001923249",
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
