"""The precision/recall gate on the frozen test split, and `pillarwatch markers eval` and `cv`.

The gate tests need the test split (written apart from the detector, merged by the lead); while
tests/data/markers/test/ is empty they fail with "no test split: ...".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pillarwatch.models.marker_eval import main
from pillarwatch.models.marker_eval.crossval import cross_validate, fold_of
from pillarwatch.models.marker_eval.gates import GOAL, MISSED, gate
from pillarwatch.models.marker_eval.options import OPTIONS
from pillarwatch.models.marker_eval.scoring import score
from pillarwatch.models.marker_eval.sets import Example, load_split
from pillarwatch.models.markers import APOLOGY, COMPLAINT, LANGUAGES

TEST = load_split("test")
NO_TEST_SPLIT = "no test split: tests/data/markers/test/ is empty"


def _test_rows(lang: str) -> list[Example]:
    if not any(TEST.values()):
        pytest.fail(NO_TEST_SPLIT)
    assert TEST.get(lang), f"the test split has no {lang}.jsonl"
    return TEST[lang]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_stream_detector_meets_its_gate_on_the_test_split(lang: str) -> None:
    """Per language and marker: the goal (0.9), or the measured miss minus a margin."""
    for marker, counts in score(_test_rows(lang), OPTIONS["combined"]).items():
        assert counts.precision is not None and counts.recall is not None, (lang, marker)
        min_precision, min_recall = gate(lang, marker)
        # Only the figures are shown: the test split's mistakes are not for tuning.
        assert counts.precision >= min_precision, (lang, marker, counts.precision)
        assert counts.recall >= min_recall, (lang, marker, counts.recall)


def test_gates_sit_at_the_goal_unless_a_miss_is_recorded() -> None:
    assert gate("pl", "empathy") == (GOAL, GOAL) or ("pl", "empathy") in MISSED
    for (lang, marker), (precision, recall) in MISSED.items():
        assert lang in LANGUAGES and min(precision, recall) < GOAL
        assert gate(lang, marker) == (min(GOAL, precision - 0.05), min(GOAL, recall - 0.05))


def test_scoring_counts_each_marker_on_its_role_only() -> None:
    good = Example("en", "I'm so sorry.", "agent", APOLOGY)
    wrong = Example("en", "I'm so sorry.", "agent", 0)
    missed = Example("en", "Hello there.", "agent", APOLOGY)
    customer_sorry = Example("en", "Sorry, wrong number.", "customer", 0)
    rows = [good, wrong, missed, customer_sorry]
    counts = score(rows, lambda ex: APOLOGY if "sorry" in ex.text.lower() else 0)["apology"]
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 1)
    assert counts.precision == counts.recall == 0.5


def test_eval_prints_the_table_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    _test_rows("pl")
    assert main(["eval"]) == 0
    out = capsys.readouterr().out
    assert "pl   apology" in out and "0 cell(s)" in out


def test_eval_lists_mistakes_for_dev_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["eval", "--split", "test", "--errors"])
    assert "dev" in capsys.readouterr().err


def test_eval_fails_below_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for split in ("dev", "test"):
        (tmp_path / split).mkdir()
        row = {"text": "Hello", "role": "agent", "labels": ["apology"]}
        (tmp_path / split / "en.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    assert main(["eval", "--data", str(tmp_path)]) == 1
    assert "< gate" in capsys.readouterr().out


def _write(folder: Path, split: str, rows: list[dict[str, object]]) -> None:
    (folder / split).mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / split / "en.jsonl").write_text(lines, "utf-8")


def test_eval_says_when_the_test_split_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "dev", [{"text": "Hello", "role": "agent", "labels": []}])
    assert main(["eval", "--data", str(tmp_path)]) == 2
    assert "no test split" in capsys.readouterr().err


def test_eval_prints_figures_per_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[dict[str, object]] = [
        {
            "text": "I'm so sorry for the delay",
            "role": "agent",
            "labels": ["apology"],
            "kind": "plain-apology",
        },
        {"text": "sorry?", "role": "agent", "labels": [], "kind": "sorry-as-repeat"},
        {"text": "Hello", "role": "agent", "labels": []},
    ]
    _write(tmp_path, "dev", rows)
    main(["eval", "--data", str(tmp_path), "--split", "dev", "--option", "lexicon"])
    out = capsys.readouterr().out
    assert "per kind" in out
    assert "plain-apology" in out and "sorry-as-repeat" not in out  # no positive, no FP


def test_folds_are_fixed_by_the_text_and_every_row_is_held_out_once() -> None:
    rows = [Example("en", f"line {i}", "customer", COMPLAINT * (i % 2)) for i in range(40)]
    assert [fold_of(ex) for ex in rows] == [fold_of(ex) for ex in rows]
    assert len({fold_of(ex) for ex in rows}) == 5
    complaints = ["this is a joke", "third time i write", "why do i always wait", "useless"]
    calm = ["what is my balance", "thanks a lot", "can i pay by card", "ok"]
    sets = {
        "en": [
            Example("en", f"{t} {i}", "customer", COMPLAINT) for i in range(5) for t in complaints
        ]
        + [Example("en", f"{t} {i}", "customer", 0) for i in range(5) for t in calm]
    }
    counts = cross_validate(sets, ["classifier"])["classifier"]["en"]["complaint"]
    assert counts.tp + counts.fn == 20  # each complaint scored once, by a model without it


def test_leaving_a_batch_out_never_trains_on_it_and_scores_only_the_named_batches() -> None:
    # Batch "b" holds the only lines with "zorblax" (complaints) and "flumph" (calm): held out
    # as a batch, its model has never seen either word; in 5 random folds the other folds' lines
    # teach both words. Rows of other sources are trained on and never scored.
    def rows(source: str, texts: list[str], labels: int) -> list[Example]:
        return [
            Example("en", f"{t} {i}", "customer", labels, source=source)
            for i in range(5)
            for t in texts
        ]

    sets = {
        "en": rows("rest", ["this is a joke", "third time i write", "useless"], COMPLAINT)
        + rows("rest", ["can i pay by card", "thanks a lot", "ok"], 0)
        + rows("a", ["absolutely useless", "a joke again"], COMPLAINT)
        + rows("a", ["pay by card please", "ok thanks"], 0)
        + rows("b", ["zorblax zorblax", "so zorblax"], COMPLAINT)
        + rows("b", ["flumph flumph", "so flumph"], 0)
    }
    held_out = cross_validate(sets, ["classifier"], batches=("a", "b"))["classifier"]["en"]
    assert held_out["complaint"].tp + held_out["complaint"].fn == 20  # batches a and b only
    only_b = cross_validate(
        sets, ["classifier"], batches=("a", "b"), scored=lambda ex: ex.source == "b"
    )["classifier"]["en"]["complaint"]
    assert (only_b.tp, only_b.fn) == (0, 10)  # unknown words: never a complaint
    folds = cross_validate(sets, ["classifier"], scored=lambda ex: ex.source == "b")
    assert folds["classifier"]["en"]["complaint"].tp > 0


@pytest.mark.parametrize("bad", ["0.05,0.05", "none,high,0.1"])
def test_cv_refuses_a_veto_that_is_not_one_or_three_probabilities(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["cv", "--veto", bad])
    assert exit_.value.code == 2
    assert "--veto" in capsys.readouterr().err


def test_a_bad_row_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "en.jsonl").write_text('{"text": "x", "role": "boss", "labels": []}\n')
    with pytest.raises(ValueError, match=r"en\.jsonl:1: role must be one of"):
        load_split("dev", tmp_path)


def test_markers_without_a_subcommand_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "markers eval" in capsys.readouterr().err
