"""Utterances as a speech recogniser writes them: lower case, no punctuation, hesitations and spoken numbers."""

import pytest

from consultations.intake import IntakeState, assess
from consultations.intake.state import merge_text
from consultations.intake.text import normalise


def findings(text):
    return {code: f["present"] for code, f in merge_text(IntakeState(), text).findings.items()}


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("a temperature of thirty nine point five degrees", "a temperature of 39.5 degrees"),
        ("for two days", "for 2 days"),
        ("sats ninety one percent", "sats 91 percent"),
        ("heart rate a hundred and twenty", "heart rate 120"),
        ("blood pressure one forty over ninety", "blood pressure 140 over 90"),
        ("i'm sixty five years old", "i'm 65 years old"),
        ("my daughter is twelve", "my daughter is 12"),
        ("um i have uh a cough", "i have a cough"),
    ],
)
def test_spoken_numbers_and_hesitations_are_normalised(spoken, written):
    assert normalise(spoken).strip() == written


@pytest.mark.parametrize(
    "text", ["one side of my face", "no one else is ill", "i am one of those people", "two or three"]
)
def test_number_words_that_are_not_measurements_stay_words(text):
    assert normalise(text) == text


def test_a_negation_does_not_run_into_the_next_unpunctuated_clause():
    found = findings("i have no fever my throat is sore")
    assert found["fever"] is False and found["sore_throat"] is True


def test_a_negated_list_still_negates_every_item():
    found = findings("no rash fever or stiffness in her neck")
    assert found["rash"] is False and found["fever"] is False and found["neck_stiffness"] is False


def test_a_concept_that_is_itself_a_negation_is_not_negated_again():
    found = findings("she has not opened her bowels for 4 days and has not passed wind today")
    assert found["absolute_constipation"] is True


@pytest.mark.parametrize(
    ("utterance", "level"),
    [
        (
            "i have chest pain and its going down my left arm and i feel sick and sweaty it started twenty minutes ago",
            "emergency_ambulance",
        ),
        ("my daughter is three weeks old and she has a temperature of thirty eight point two", "emergency"),
        ("i dont have a rash my neck is really stiff and i have a fever", "emergency_ambulance"),
        ("i have had a sore throat for two days and a runny nose no fever", "self_care"),
        ("my heart is beating really fast about one hundred and sixty and i feel faint", "emergency"),
    ],
)
def test_transcribed_utterances_are_triaged(utterance, level):
    assert assess(utterance).triage_level == level
