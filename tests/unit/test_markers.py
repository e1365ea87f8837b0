"""Marker detection: languages, normalisation, negations, pattern syntax and the quality target."""

# Test sentences are in Greek and Cyrillic on purpose:

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pillarwatch.models.marker_ngrams import BITS
from pillarwatch.models.markers import (
    APOLOGY,
    COMPLAINT,
    EMPATHY,
    LANGUAGES,
    NgramModel,
    _build,
    asks_to_repeat,
    compile_pattern,
    detect,
    detect_languages,
    in_context,
    normalise,
)

REQUIRED = {"en", "pl", "el", "uk", "ru", "ro", "de", "fr", "es", "it", "pt"}


def test_all_required_languages_have_a_lexicon() -> None:
    assert set(LANGUAGES) >= REQUIRED


# Sentences written for these tests, not taken from the labelled sets.
CASES = [
    ("en", "Frankly this is outrageous, second time this month.", COMPLAINT),
    ("en", "We apologise for the trouble with your router.", APOLOGY),
    ("en", "I can imagine how worrying that was.", EMPATHY),
    ("en", "Could you read me the postcode?", 0),
    ("pl", "Jestem rozczarowany, paczka znowu nie dotarła.", COMPLAINT),
    ("pl", "Przepraszamy, to nasz błąd.", APOLOGY),
    ("pl", "Rozumiem pani frustrację.", EMPATHY),
    ("pl", "Proszę podać numer zamówienia.", 0),
    ("el", "Είναι απαράδεκτο αυτό που γίνεται.", COMPLAINT),
    ("el", "Ζητούμε συγγνώμη για το λάθος.", APOLOGY),
    ("el", "Καταλαβαίνω την ενόχλησή σας.", EMPATHY),
    ("el", "Μπορείτε να μου πείτε τον αριθμό;", 0),
    ("uk", "Я подаю скаргу на вашого кур'єра.", COMPLAINT),
    ("uk", "Перепрошуємо за незручності.", APOLOGY),
    ("uk", "Я розумію ваше обурення.", EMPATHY),
    ("uk", "Назвіть, будь ласка, номер замовлення.", 0),
    ("ru", "Это безобразие, я буду жаловаться.", COMPLAINT),
    ("ru", "Приносим извинения за ожидание.", APOLOGY),
    ("ru", "Понимаю ваше беспокойство.", EMPATHY),
    ("ru", "Назовите, пожалуйста, номер заказа.", 0),
    ("ro", "Sunt nemulțumită de cum am fost tratată.", COMPLAINT),
    ("ro", "Ne cerem scuze pentru eroare.", APOLOGY),
    ("ro", "Înțeleg că sunteți îngrijorat.", EMPATHY),
    ("ro", "Îmi spuneți numărul comenzii?", 0),
    ("de", "Das ist eine Zumutung, ich will mich beschweren.", COMPLAINT),
    ("de", "Es tut mir aufrichtig leid.", APOLOGY),
    ("de", "Ich verstehe Ihren Ärger.", EMPATHY),
    ("de", "Nennen Sie mir bitte die Bestellnummer.", 0),
    ("fr", "C'est scandaleux, je vais faire une réclamation.", COMPLAINT),
    ("fr", "Nous sommes désolés pour ce contretemps.", APOLOGY),
    ("fr", "Je comprends votre inquiétude.", EMPATHY),
    ("fr", "Pouvez-vous me donner le numéro de commande ?", 0),
    ("es", "Es una vergüenza, quiero poner una queja.", COMPLAINT),
    ("es", "Le pedimos disculpas por el error.", APOLOGY),
    ("es", "Entiendo su preocupación.", EMPATHY),
    ("es", "¿Me indica el número de pedido?", 0),
    ("it", "È una vergogna, voglio fare reclamo.", COMPLAINT),
    ("it", "Ci scusiamo per l'errore.", APOLOGY),
    ("it", "Capisco la sua preoccupazione.", EMPATHY),
    ("it", "Mi dice il numero d'ordine?", 0),
    ("pt", "É uma vergonha, quero apresentar uma reclamação.", COMPLAINT),
    ("pt", "Pedimos desculpa pelo erro.", APOLOGY),
    ("pt", "Compreendo a sua preocupação.", EMPATHY),
    ("pt", "Pode dizer-me o número da encomenda?", 0),
]


# detect() reports what the text says; the stream counts complaint only from customers and
# apology/empathy only from agents, so an expected marker is checked under its role's mask.
# The neutral cases are requests an agent makes ("give me the order number").
ROLE_OF = {COMPLAINT: COMPLAINT, APOLOGY: APOLOGY | EMPATHY, EMPATHY: APOLOGY | EMPATHY}
AGENT = APOLOGY | EMPATHY


def lexicon(text: str, lang: str | None) -> int:
    """The lexicon alone: what normalisation, inflection and negation tests are about."""
    return detect(text, lang, classifier=False)


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_language_cases(lang: str, text: str, expected: int) -> None:
    mask = ROLE_OF.get(expected, AGENT)
    assert detect(text, lang) & mask == expected
    assert lexicon(text, lang) & ROLE_OF.get(expected, COMPLAINT | AGENT) == expected


def test_several_markers_in_one_message() -> None:
    text = "I'm sorry, I understand how frustrating this is."
    assert detect(text, "en") & AGENT == APOLOGY | EMPATHY


def test_the_classifier_adds_what_the_lexicon_misses_but_not_what_it_negates() -> None:
    # No lexicon entry covers this sarcasm; the n-gram model trained on dev does.
    text = "oh splendid, my parcel went missing again"
    assert lexicon(text, "en") == 0
    assert detect(text, "en") & COMPLAINT
    assert detect("There's nothing to apologise for.", "en") & APOLOGY == 0


# --- normalisation --------------------------------------------------------------------------


def test_romanian_comma_and_cedilla_forms_normalise_alike() -> None:
    comma = "Îmi cer scuze, înțeleg situația"  # ș ț with comma below (U+0219, U+021B)
    cedilla = "Îmi cer scuze, înţeleg situaţia"  # ş ţ with cedilla (U+015F, U+0163)
    bare = "imi cer scuze inteleg situatia"
    assert normalise(comma).strip() == normalise(cedilla).strip() == bare
    assert lexicon("Mă simt revoltată, e o ruşine", "ro") == COMPLAINT
    assert lexicon("Mă simt revoltată, e o rușine", "ro") == COMPLAINT


def test_greek_with_and_without_tonos_and_dialytika() -> None:
    assert normalise("Συγγνώμη, κοροϊδία") == normalise("ΣΥΓΓΝΩΜΗ, κοροιδια")
    assert lexicon("Λυπάμαι πολύ", "el") == APOLOGY
    assert lexicon("Λυπαμαι πολυ", "el") == APOLOGY
    assert lexicon("ΛΥΠΑΜΑΙ ΠΟΛΥ", "el") == APOLOGY
    assert normalise("ς") == normalise("σ")  # final sigma folds to medial


def test_polish_without_diacritics_including_l_stroke() -> None:
    assert normalise("Żółć, błąd, Łódź").strip() == "zolc blad lodz"
    assert lexicon("To był nasz błąd, przepraszam", "pl") == APOLOGY
    assert lexicon("to byl nasz blad, przepraszam", "pl") == APOLOGY
    assert lexicon("Jestem wsciekly, to nie do przyjecia", "pl") == COMPLAINT


def test_german_sharp_s_and_umlauts() -> None:
    assert normalise("Straße Ärger").strip() == "strasse arger"
    assert lexicon("Ich bin sehr enttaeuscht", "de") == COMPLAINT
    assert lexicon("Ich bin sehr enttäuscht", "de") == COMPLAINT


def test_cyrillic_yo_and_short_i_fold() -> None:
    assert normalise("ещё мой").strip() == "еще мои"
    assert lexicon("Я возмущён", "ru") == lexicon("Я возмущен", "ru") == COMPLAINT


def test_apostrophes_hyphens_and_case() -> None:
    assert lexicon("YOU DON'T HAVE TO APOLOGISE", "en") == 0
    assert lexicon("you dont have to apologise", "en") == 0
    assert lexicon("you don’t have to apologise", "en") == 0


# --- inflection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("pl", "Przepraszamy bardzo", APOLOGY),
        ("pl", "Najmocniej przepraszając, muszę dodać", APOLOGY),
        ("pl", "Złożę skargę", COMPLAINT),
        ("pl", "Nie chcę składać reklamacji, ale to trzecia już reklamacja", COMPLAINT),
        ("ru", "Приносим свои извинения", APOLOGY),
        ("ru", "Извиняемся за ожидание", APOLOGY),
        ("ru", "Подам жалобу", COMPLAINT),
        ("uk", "Перепрошуємо", APOLOGY),
        ("uk", "Прошу вибачення", APOLOGY),
        ("uk", "Напишу скаргу", COMPLAINT),
    ],
)
def test_inflected_forms(lang: str, text: str, expected: int) -> None:
    assert lexicon(text, lang) == expected


# --- negations and non-apologies --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "No need to apologise."),
        ("en", "I'm not sorry."),
        ("en", "You don't have to apologize."),
        ("en", "There's nothing to apologise for."),
        ("pl", "Nie musisz przepraszać."),
        ("pl", "Nie ma pan za co przepraszać."),
        ("el", "Δεν χρειάζεται να ζητάτε συγγνώμη."),
        ("uk", "Не треба перепрошувати."),
        ("ru", "Не нужно извиняться."),
        ("ro", "Nu trebuie să vă cereți scuze."),
        ("de", "Sie müssen sich nicht entschuldigen."),
        ("fr", "Pas besoin de vous excuser."),
        ("es", "No hace falta que se disculpe."),
        ("it", "Non c'è bisogno di scusarsi."),
        ("pt", "Não precisa de pedir desculpa."),
    ],
)
def test_non_apologies_are_not_apologies(lang: str, text: str) -> None:
    assert lexicon(text, lang) & APOLOGY == 0


def test_negation_cancels_only_its_own_phrase() -> None:
    text = "No need to apologise, I'm the one who's sorry it took so long."
    assert lexicon(text, "en") & APOLOGY
    assert lexicon("I'm not complaining, but this is unacceptable.", "en") == COMPLAINT
    assert lexicon("I'm not complaining, just asking.", "en") == 0
    assert lexicon("I don't understand what you mean.", "en") == 0


# --- language selection ---------------------------------------------------------------------


def test_bcp47_tags_pick_the_primary_language() -> None:
    # The lexicon alone: the classifier has no language, so only the lexicon shows which
    # language the tag chose (and it judges complaint as on a customer's line, where a
    # customer's "sorry for the delay" about a parcel's delay may read as one).
    for tag in ("pl", "pl-PL", "PL", "pl_PL"):
        assert lexicon("Przepraszam za opóźnienie", tag) == APOLOGY
    assert lexicon("Przepraszam za opóźnienie", "en") == 0


def test_a_known_language_uses_only_its_own_lexicon() -> None:
    # English words in a message tagged Polish are not looked up in the English lexicon.
    assert lexicon("We apologise for that", "pl") == 0
    assert lexicon("We apologise for that", "en") == APOLOGY


@pytest.mark.parametrize("lang", [None, "", "xx", "zh-Hant"])
def test_untagged_messages_use_the_detected_language(lang: str | None) -> None:
    assert detect("Przepraszam za opóźnienie", lang) & AGENT == APOLOGY
    assert detect("Ich verstehe Ihren Ärger", lang) & AGENT == EMPATHY
    assert detect("Это безобразие", lang) & COMPLAINT == COMPLAINT
    assert lexicon("Thanks, goodbye", lang) == 0


def test_a_language_without_lexicon_has_no_markers() -> None:
    # Japanese: "I am very sorry" / "this is unacceptable". No lexicon, so nothing is guessed.
    assert detect("大変申し訳ございません", None) == 0
    assert detect("これは受け入れられません", None) == 0


def test_language_detection_keeps_our_languages_best_first() -> None:
    assert detect_languages("Je voudrais vérifier ma facture, s'il vous plaît")[0] == "fr"
    assert detect_languages("Θα ήθελα να ελέγξω τον λογαριασμό μου")[0] == "el"
    assert set(detect_languages("申し訳ございません")) <= set(LANGUAGES)


@given(st.text(max_size=300), st.sampled_from([None, "en", "el", "ru", "de-AT", "??"]))
def test_detect_is_total_and_returns_only_known_bits(text: str, lang: str | None) -> None:
    assert 0 <= detect(text, lang) <= COMPLAINT | APOLOGY | EMPATHY


# --- pattern syntax -------------------------------------------------------------------------


def _matches(pattern: str, text: str) -> bool:
    return re.search(compile_pattern(pattern), " " + normalise(text) + " ") is not None


def test_pattern_syntax() -> None:
    assert _matches("apolog*", "Apologies!")
    assert not _matches("apolog*", "reapologise")  # whole words only
    assert _matches("*sauer", "stinksauer")
    assert _matches("i .. sorry", "I am so very sorry")
    assert not _matches("i .. sorry", "I said that we, all of us, are sorry")
    assert _matches("so? sorry", "sorry") and _matches("so? sorry", "so sorry")
    assert _matches("fed up | had enough", "I've had enough")
    assert _matches("sick|tired of", "tired of this")
    assert _matches("don't", "dont") and _matches("don't", "don't")


@pytest.mark.parametrize("bad", ["", ".. sorry", "sorry ..", "so sorry?", "a||b"])
def test_bad_patterns_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        compile_pattern(bad)


def test_lexicon_entries_must_say_what_they_match() -> None:
    section: dict[str, object] = {"match": [{"pattern": "sorry"}]}
    with pytest.raises(ValueError, match="means"):
        _build({"xx": {"complaint": section, "apology": section, "empathy": section}})


# --- requests to repeat and conversation context -----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Sorry?"),
        ("en", "Sorry, could you repeat that?"),
        ("de", "Wie bitte? Können Sie das wiederholen?"),
        ("pl", "Przepraszam, może Pan powtórzyć?"),
        ("fr", "Pardon ?"),
    ],
)
def test_a_sorry_that_asks_to_repeat_is_not_an_apology(lang: str, text: str) -> None:
    assert asks_to_repeat(text, lang)
    assert detect(text, lang) & APOLOGY == 0


def test_a_long_message_that_also_asks_to_repeat_still_apologises() -> None:
    text = "I'm so sorry for the long wait today and the mix-up, could you repeat your postcode?"
    assert detect(text, "en") & APOLOGY


def test_a_short_sorry_right_after_asking_to_repeat_is_not_an_apology() -> None:
    _, context = in_context(0, "agent", "Could you repeat the order number?", "en", 0)
    _, context = in_context(0, "customer", "It's 5512 8", "en", context)
    found, context = in_context(APOLOGY, "agent", "Sorry, 5512 what?", "en", context)
    assert found == 0
    # Once the agent has moved on, a short sorry is an apology again.
    _, context = in_context(0, "agent", "Thanks, I have it now.", "en", context)
    assert in_context(APOLOGY, "agent", "Sorry about that!", "en", context)[0] == APOLOGY


def test_context_leaves_customers_and_other_markers_alone() -> None:
    _, asked = in_context(0, "agent", "Could you say that again?", "en", 0)
    assert in_context(COMPLAINT, "customer", "Sorry, this is a joke", "en", asked) == (
        COMPLAINT,
        asked,
    )
    found, _ = in_context(APOLOGY | EMPATHY, "agent", "Sorry, how awful", "en", asked)
    assert found == EMPATHY
    assert in_context(APOLOGY, None, None, None, asked) == (APOLOGY, asked)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "I'm not complaining, just asking the price", 0),
        ("en", "Why do you always lose my parcels?", COMPLAINT),
        ("en", "That sounds exhausting, let me fix it.", EMPATHY),
    ],
)
def test_failure_kinds_of_real_chat(lang: str, text: str, expected: int) -> None:
    # Sentences written for this test, in none of the labelled sets.
    mask = COMPLAINT if expected in (0, COMPLAINT) else APOLOGY | EMPATHY
    assert detect(text, lang) & mask == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "no complaint about the service, just asking the price"),
        ("en", "the wait wasnt bad at all actually"),
        ("es", "ninguna queja del servicio, solo quiero cambiar de tarifa"),
        ("it", "nessuna lamentela, volevo solo sapere il prezzo"),
        ("ro", "deloc dezamagit, merge foarte bine"),
    ],
)
def test_a_negated_complaint_word_is_no_complaint(lang: str, text: str) -> None:
    # Negation scope (the language's `negators`): and the classifier cannot bring it back.
    assert not detect(text, lang) & COMPLAINT


def test_negation_scope_is_one_word_wide() -> None:
    assert detect("nothing works, this is ridiculous", "en", classifier=False) & COMPLAINT
    assert not detect("not ridiculous at all", "en", classifier=False) & COMPLAINT
    assert not detect("not really ridiculous", "en", classifier=False) & COMPLAINT


@pytest.mark.parametrize(
    ("lang", "text", "apology"),
    [
        ("en", "sorry, which account do you mean?", False),
        ("it", "scusi, ha detto 14 o 40?", False),
        ("ru", "извините, какой был номер заказа?", False),
        ("pl", "przepraszam, chwileczke, sprawdze", False),
        ("en", "sorry for the delay, which account?", True),
        ("en", "sorry, we sent the wrong size, can you send a photo?", True),
        ("pl", "przepraszam za zwloke, jaki byl numer?", True),
    ],
)
def test_sorry_opening_a_short_question_asks_rather_than_apologises(
    lang: str, text: str, apology: bool
) -> None:
    assert bool(detect(text, lang) & APOLOGY) is apology


def test_the_classifier_scores_the_same_with_a_full_word_cache() -> None:
    model = NgramModel(
        {"sizes": [4], "weights": {" bad": [3.0, 0.0, 0.0]}, "bias": [-1.0, -1.0, -1.0]}
    )
    norm = " so bad really "
    assert model.classify(norm) == COMPLAINT
    model.word_cache.update({f"w{i}": (0.0, 0.0, 0.0) for i in range(1 << 16)})
    # A new word does not fit: the cache is emptied and every word of the message rescored.
    assert model.classify(" so bad today ") == COMPLAINT
    assert set(model.word_cache) == {"so", "bad", "today"}


def test_the_classifier_reports_the_detectors_bits() -> None:
    assert BITS == (COMPLAINT, APOLOGY, EMPATHY)
