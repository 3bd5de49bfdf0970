"""Measured vital signs: parsed in clinicians' and patients' words, scored with NEWS2 for adults and NICE
traffic-light bands for children, and escalating the triage level."""

import pytest

from consultations.intake import IntakeState, assess
from consultations.intake.rules import concept_evidence
from consultations.intake.state import merge_text


def facts(text):
    state = merge_text(IntakeState(), text)
    return {name: state.fact(name) for name in ("heart_rate_bpm", "respiratory_rate", "oxygen_saturation")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HR 112, RR 22, SpO2 94% RA.", (112, 22, 94)),
        ("T 38.9, P 120, BP 85/50 mmHg, RR 30/min, sats 89% on air.", (120, 30, 89)),
        ("Pulse is irregularly irregular at 148, oxygen saturation 96%.", (148, None, 96)),
        ("Respirations 28/min, pulse 124/min.", (124, 28, None)),
        ("my heart's racing like 160", (160, None, None)),
        ("my oxygen is 89 and he was breathing 40 times a minute", (None, 40, 89)),
    ],
)
def test_vital_signs_are_parsed_as_written_and_as_said(text, expected):
    found = facts(text)
    assert (found["heart_rate_bpm"], found["respiratory_rate"], found["oxygen_saturation"]) == expected


def test_a_duration_is_not_a_breathing_rate():
    assert facts("Breathing difficulty for 2 days.")["respiratory_rate"] is None


def test_news2_of_seven_or_more_calls_an_ambulance():
    assessment = assess(
        "A 70-year-old man with a cough. Temperature 38.9 C, heart rate 125, RR 26, SpO2 90%, BP 88/50."
    )
    assert assessment.triage_level == "emergency_ambulance"
    assert "early_warning_score_emergency" in {flag.code for flag in assessment.red_flags}


def test_one_reading_in_the_red_band_is_an_emergency():
    assessment = assess("A 30-year-old woman who feels a bit unwell; her oxygen saturation is 90%.")
    assert assessment.is_emergency
    assert "early_warning_score_urgent" in {flag.code for flag in assessment.red_flags}


def test_normal_vital_signs_do_not_escalate_a_cold():
    text = "A 30-year-old with a runny nose for 2 days. Temperature 37.2, pulse 88, BP 128/80, SpO2 98%, RR 16."
    assert assess(text).triage_level == "self_care"


def test_copd_oxygen_target_is_lower():
    copd = concept_evidence(merge_text(IntakeState(), "A 70-year-old with COPD, SpO2 89% on air, feels as usual."))
    other = concept_evidence(merge_text(IntakeState(), "A 70-year-old, SpO2 89% on air, feels as usual."))
    assert "low_oxygen" not in copd and "low_oxygen" in other


def test_the_highest_and_lowest_temperature_are_not_scored_twice():
    evidence = concept_evidence(merge_text(IntakeState(), "Temperature 38.5 C, heart rate 105, RR 22."))
    assert "news2_5_or_more" not in evidence  # 1 + 1 + 2 = 4; counting the temperature twice would make it 5


def test_adult_thresholds_are_not_applied_to_a_baby():
    baby = concept_evidence(
        merge_text(IntakeState(), "My 6-month-old has a cold, heart rate 140, breathing 45 a minute.")
    )
    assert "vital_sign_red" not in baby and "child_vital_signs_red" not in baby


def test_a_baby_breathing_over_60_a_minute_is_an_emergency():
    assessment = assess("My 8-month-old has a cough and is breathing 66 times a minute.")
    assert assessment.is_emergency


def test_a_toddler_breathing_fast_is_seen_the_same_day():
    assert assess("My 3-year-old has a cough, his breathing rate is 45.").triage_level == "consultation_24"


def test_raised_blood_pressure_after_20_weeks_of_pregnancy_is_an_emergency():
    assert assess("I'm 30 weeks pregnant and my blood pressure was 148/96 at the pharmacy.").is_emergency


def test_low_blood_pressure_with_pain_in_early_pregnancy_calls_an_ambulance():
    text = "A 27-year-old, 7 weeks pregnant, with left lower abdominal pain. Heart rate 115, BP 88/56."
    assert assess(text).triage_level == "emergency_ambulance"


def test_vital_signs_appear_in_the_clinician_summary():
    observations = assess("Cough. Heart rate 96, RR 18, SpO2 95%.").summary["observations"]
    assert (observations["heart_rate_bpm"], observations["respiratory_rate_per_min"]) == (96, 18)
    assert observations["oxygen_saturation_percent"] == 95
