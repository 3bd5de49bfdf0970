"""The public assess() API: shape, purity, explainability, and state round-trips."""

import json

from consultations.intake import Assessment, IntakeState, assess

VIGNETTE = "A 45-year-old man with 2 hours of crushing chest pain radiating to his left arm and sweating."


def test_assessment_to_dict_has_the_agreed_shape():
    data = assess(VIGNETTE).to_dict()
    assert {"triage_level", "red_flags", "symptoms", "advice", "summary"} <= set(data)
    assert all(set(flag) == {"code", "label", "evidence"} for flag in data["red_flags"])
    assert all(set(symptom) == {"code", "label", "present"} for symptom in data["symptoms"])
    json.dumps(data)


def test_a_classic_heart_attack_vignette_calls_an_ambulance_with_evidence():
    assessment = assess(VIGNETTE)
    assert isinstance(assessment, Assessment)
    assert assessment.triage_level == "emergency_ambulance" and assessment.is_emergency
    flag = next(f for f in assessment.red_flags if f.code == "heart_attack_signs")
    assert "crushing" in flag.evidence and "sweating" in flag.evidence


def test_assess_does_not_modify_the_state_it_is_given():
    state = IntakeState()
    before = state.to_dict()
    assess("I have a headache", state)
    assert state.to_dict() == before


def test_assess_merges_new_text_into_earlier_state():
    first = assess("I've got chest pain.")
    second = assess("Now I'm sweating and feel sick.", first.state)
    assert first.triage_level == "consultation_24"
    assert second.triage_level == "emergency_ambulance"


def test_a_later_answer_overrides_an_earlier_one():
    first = assess("I have a fever.")
    second = assess("Actually no fever.", first.state)
    assert second.state.findings["fever"]["present"] is False


def test_state_round_trips_through_json():
    state = assess(VIGNETTE).state
    restored = IntakeState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert assess("", restored).triage_level == "emergency_ambulance"


def test_from_dict_ignores_unknown_keys_and_accepts_empty():
    assert IntakeState.from_dict({"unknown": 1}) == IntakeState()
    assert IntakeState.from_dict(None) == IntakeState()


def test_nothing_recognisable_is_not_reassured_as_self_care():
    assessment = assess("Hello there.")
    assert assessment.triage_level == "consultation"
    assert assessment.reasons


def test_minor_illness_is_self_care_with_safety_netting():
    assessment = assess("Runny nose and sneezing for 2 days, no fever, eating and drinking fine.")
    assert assessment.triage_level == "self_care"
    assert "999" in assessment.advice


def test_suicidal_intent_is_a_crisis_with_crisis_lines():
    assessment = assess("I want to end my life, I have the pills ready.")
    assert assessment.triage_level == "emergency_ambulance" and assessment.crisis
    assert "116 123" in assessment.advice and "988" in assessment.advice


def test_a_rule_needs_one_of_its_concepts_before_it_is_checked() -> None:
    from consultations.intake.knowledge import triggers

    rule = {"all": ["chest_pain", {"any": ["breathless", "sweating"]}, {"none": ["trauma"]}]}
    assert triggers(rule) == frozenset({"chest_pain"})
    assert triggers({"of": ["fever", {"all": ["rash", "neck_stiffness"]}], "at_least": 1}) == {"fever", "rash"}


def test_a_rule_that_can_hold_on_no_evidence_is_always_checked() -> None:
    from consultations.intake.knowledge import triggers

    assert triggers({"none": ["fever"]}) is None
    assert triggers({"any": ["fever", {"none": ["cough"]}]}) is None
