"""The fifth tuning round of the marker detector (issue 14): the [complaint] `excuse` lists (the
customer's own slip, a third party, curiosity, disclaimers, praise) cancel a complaint from the
lexicon and the classifier; new complaint entries; the joined table regexes. A toy model makes
the classifier's part exact. Examples are written for these tests, not taken from any set."""

from __future__ import annotations

import re

import pytest

from pillarwatch.models.marker_text import compile_pattern, compile_patterns, normalise
from pillarwatch.models.markers import APOLOGY, COMPLAINT, NgramModel, detect


def _complaining_model() -> NgramModel:
    # "grr" (a word no lexicon holds) weighs for complaint.
    return NgramModel(
        {
            "sizes": [4],
            "weights": {" grr ": [5.0, 0.0, 0.0]},
            "bias": [-1.0, -1.0, -1.0],
            "threshold": 0.5,
        }
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "my neighbour is useless, can the engineer come on Monday instead?"),
        ("en", "silly me, I typed the postcode wrong, can you change it?"),
        ("en", "just curious, why is the fee always shown twice?"),
        ("de", "Meine alte Bank war furchtbar, deshalb bin ich jetzt bei euch"),
        ("fr", "C'est ma faute, j'ai oublié de payer la facture, je fais comment ?"),
        ("es", "Culpa mía, puse mal el número de la tarjeta"),
        ("it", "Per curiosità, perché la bolletta arriva sempre il 5?"),
        ("pl", "Moja wina, zapomniałem hasła, jak je zmienić?"),
        ("ru", "Моя ошибка, я ввел не тот номер телефона"),
        ("uk", "Погода жахлива, можна перенести доставку на завтра?"),
        ("pt", "Nada contra vocês, só quero mudar o plano"),
        ("ro", "Din curiozitate, de ce vine factura mereu pe 3?"),
        ("el", "Δικό μου λάθος, έβαλα λάθος διεύθυνση"),
    ],
)
def test_an_excuse_cancels_the_complaint(lang: str, text: str) -> None:
    assert detect(text, lang) & COMPLAINT == 0


def test_an_excuse_vetoes_the_classifier_too() -> None:
    model = _complaining_model()
    assert detect("grr the app again", "en", model=model) & COMPLAINT == COMPLAINT
    assert detect("grr my flatmate again", "en", model=model) & COMPLAINT == 0


def test_an_excuse_leaves_the_agent_markers_alone() -> None:
    found = detect("Sorry, that was my mistake, I sent the wrong form", "en", classifier=False)
    assert found & APOLOGY == APOLOGY


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "you have charged my card without asking, again"),
        ("en", "is it too much to ask for one straight answer"),
        ("de", "Sie haben mein Konto ohne Vorwarnung gesperrt"),
        ("fr", "Je m'attendais franchement à mieux pour ce prix"),
        ("es", "¿Es mucho pedir que contesten el teléfono?"),
        ("it", "Mi avete addebitato la stessa spesa senza avvisare"),
        ("pt", "Vocês cortaram minha linha sem nenhum aviso"),
        ("pl", "Zablokowaliście mi konto bez uprzedzenia"),
        ("ro", "Ați anulat comanda fără să mă anunțați"),
        ("ru", "Сколько можно ждать этого возврата?"),
        ("uk", "Ви заблокували картку без попередження"),
        ("el", "Μου χρεώσατε δύο φορές χωρίς ειδοποίηση"),
    ],
)
def test_faults_with_blame_understatement_and_complaint_questions(lang: str, text: str) -> None:
    assert detect(text, lang, classifier=False) & COMPLAINT == COMPLAINT


def test_a_table_is_one_space_then_one_alternation_and_finds_what_each_pattern_finds() -> None:
    patterns = ["so? sorry", "apolog*", "we|i regret | forgive me"]
    joined = re.compile(compile_patterns(patterns))
    assert compile_patterns(patterns).startswith(" (?:")
    for text in ["so sorry", "sorry", "apologies", "we regret it", "forgive me", "i regret"]:
        norm = " " + normalise(text) + " "
        alone = [re.search(compile_pattern(p), norm) for p in patterns]
        found = joined.search(norm)
        assert found is not None
        assert found.start() == min(m.start() for m in alone if m is not None)
    assert joined.search(" forgiven ") is None
