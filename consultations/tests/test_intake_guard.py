"""The LLM guard-rail, the versioned prompt and the spoken escalation."""

import pytest

from consultations.intake import PROMPT_VERSION, assess, emergency_message, review, system_prompt


@pytest.mark.parametrize(
    "reply",
    [
        "Take 2 tablets every 4 hours.",
        "Ibuprofen 400mg three times a day should help.",
        "Use your inhaler, 4 puffs now.",
        "The usual dose is 500 mg.",
    ],
)
def test_review_removes_dosing(reply):
    reviewed = review(f"I'm sorry you're unwell. {reply} Drink plenty of water.")
    assert "mg" not in reviewed and "every 4 hours" not in reviewed and "puffs" not in reviewed
    assert "I'm sorry you're unwell." in reviewed and "Drink plenty of water." in reviewed
    assert "pharmacist" in reviewed


@pytest.mark.parametrize(
    "reply",
    [
        "You definitely have appendicitis.",
        "It is certainly a migraine.",
        "The diagnosis is tonsillitis.",
        "You have a chest infection.",
    ],
)
def test_review_softens_certain_diagnoses(reply):
    reviewed = review(reply)
    assert "could fit with" in reviewed and "clinician" in reviewed
    assert "definitely" not in reviewed and "certainly" not in reviewed


def test_review_leaves_ordinary_replies_alone():
    reply = "You have been really clear, thank you. How long have you had the cough?"
    assert review(reply) == reply


def test_system_prompt_is_versioned_and_carries_the_safety_rules():
    prompt = system_prompt()
    assert PROMPT_VERSION == "v1"
    assert "999" in prompt and "988" in prompt and "dose" in prompt.lower() and "<!--" not in prompt


def test_emergency_message_says_what_to_do_and_which_number():
    message = emergency_message(assess("My dad's face has dropped and his speech is slurred."))
    assert "999" in message and "911" in message and "112" in message and "ambulance" in message


def test_emergency_message_for_self_harm_gives_crisis_lines():
    message = emergency_message(assess("I'm going to kill myself tonight, I have a plan."))
    assert "116 123" in message and "988" in message


def test_emergency_message_is_empty_when_not_an_emergency():
    assert emergency_message(assess("I have a mild cold.")) == ""
