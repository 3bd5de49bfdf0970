"""Free-text understanding: negation, context, duration, age and sex, temperature, severity, pregnancy."""

import pytest

from consultations.intake import IntakeState, assess
from consultations.intake.state import merge_text


def findings(text):
    return {code: f["present"] for code, f in merge_text(IntakeState(), text).findings.items()}


def facts(text):
    return merge_text(IntakeState(), text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("No fever.", "fever"),
        ("Denies chest pain.", "chest_pain"),
        ("Cramps without vomiting.", "vomiting"),
        ("She has no rash and no stiff neck.", "neck_stiffness"),
        ("He denies fever, cough, headache or shortness of breath.", "dyspnoea"),
        ("I haven't had any diarrhoea.", "diarrhoea"),
        ("Chest pain: denied.", "chest_pain"),
        ("Light doesn't bother me.", "photophobia"),
        ("She's a non-smoker.", "smoker"),
    ],
)
def test_negated_findings_are_recorded_as_absent(text, code):
    assert findings(text).get(code) is False


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I can't catch my breath.", "dyspnoea"),
        ("My tummy really hurts.", "abdominal_pain"),
        ("Never had a headache like this before.", "headache"),
        ("My inhaler isn't helping.", "reliever_not_helping"),
        ("The rash doesn't fade when I press a glass on it.", "non_blanching_rash"),
        ("I can't keep anything down.", "persistent_vomiting"),
        ("Pain in my lower right belly.", "right_lower_abdomen"),
        ("Dyspnoea on exertion.", "dyspnoea"),
    ],
)
def test_lay_and_clinical_words_map_to_concepts_even_with_negative_words_inside(text, code):
    assert findings(text).get(code) is True


def test_negation_scope_ends_at_but():
    found = findings("No chest pain but I'm short of breath.")
    assert found["chest_pain"] is False and found["dyspnoea"] is True


def test_negation_scope_ends_at_a_new_statement():
    found = findings("No vomiting, she has a cough.")
    assert found["vomiting"] is False and found["cough"] is True


def test_past_history_is_not_a_current_symptom():
    state = merge_text(IntakeState(), "History of chest pain. Now a sore throat.")
    assert "chest_pain" not in state.findings and "chest_pain" in state.past_findings


def test_a_clinical_day_history_is_current():
    assert findings("A 2-day history of cough.")["cough"] is True


def test_family_history_is_not_the_patient():
    assert "chest_pain" not in findings("My father had a heart attack at 50. I have a cold.")


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("Cough for 3 days.", 72),
        ("Headache since last night.", 12),
        ("2 weeks of tiredness.", 336),
        ("Pain for the past 2 hours.", 2),
        ("A 5-day history of fever.", 120),
        ("Sore throat x 3/7.", 72),
        ("Chest pain for half an hour.", 0.5),
        ("Back pain for a couple of months.", 1460),
        ("Rash for ten days.", 240),
    ],
)
def test_duration_is_parsed_in_hours(text, hours):
    assert facts(text).fact("duration_hours") == pytest.approx(hours)


def test_duration_of_a_long_term_condition_is_not_the_complaint_duration():
    assert facts("Diabetic for 10 years. Chest pain for 1 hour.").fact("duration_hours") == pytest.approx(1)


def test_a_duration_belongs_to_what_it_follows_not_to_the_medicine_after_it():
    state = facts("Intermittent heartburn and a sour taste for 2 months despite antacids.")
    assert state.fact("duration_hours") == pytest.approx(1460)


def test_a_seasonal_pattern_over_years_is_not_a_years_long_complaint():
    assert facts("Sneezing and itchy eyes every spring for years.").fact("duration_hours") is None


@pytest.mark.parametrize(("text", "weeks"), [("I'm 38 weeks and leaking fluid.", 38), ("I'm 7 months pregnant.", 30)])
def test_gestation_is_parsed_from_weeks_or_months(text, weeks):
    state = facts(text)
    assert state.fact("gestation_weeks") == weeks and state.present("pregnancy_mention")


def test_pain_under_the_right_ribs_is_abdominal_not_chest_pain():
    found = findings("Severe pain under the right ribs after fatty meals.")
    assert found.get("abdominal_pain") is True and "chest_pain" not in found


def test_pressing_on_a_tender_chest_wall_is_not_cardiac_pressure():
    found = findings("Sharp pain in his chest wall, reproduced by pressing on the ribs.")
    assert "cardiac_character" not in found and "chest_pain" not in found and found["chest_wall_pain"] is True


def test_a_family_members_history_is_not_the_patients():
    assert "stroke_history" not in findings("His mother has a history of stroke. He has a mild headache.")
    assert "meningitis" not in str(findings("My sister had meningitis when she was 10, and now I have a headache."))


def test_a_carer_describing_a_relative_is_describing_the_patient():
    assessment = assess("My mum had a fall and can't get up, she's 85.")
    assert assessment.state.present("injury") and assessment.triage_level == "emergency_ambulance"


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("A 48-year-old woman with a cough.", 48, "female"),
        ("I'm 30 and I have a headache.", 30, None),
        ("5-year-old boy with ear pain.", 5, "male"),
        ("Infant 3 months old with a fever.", 0.25, None),
        ("My 6-week-old daughter is feeding less.", 6 / 52, "female"),
        ("45M with chest pain.", 45, None),
        ("My mum (79) is confused, she has a fever.", 79, "female"),
    ],
)
def test_age_and_sex_are_parsed(text, age, sex):
    state = facts(text)
    assert state.fact("age_years") == pytest.approx(age, abs=0.01)
    if sex:
        assert state.sex == sex


def test_weeks_pregnant_is_not_an_age():
    state = facts("I'm 30 weeks pregnant with a headache.")
    assert state.fact("age_years") is None
    assert state.fact("gestation_weeks") == 30
    assert state.present("pregnancy_mention") and state.sex == "female"


def test_not_pregnant_is_negated():
    assert findings("Not pregnant, burning when passing urine.")["pregnancy_mention"] is False


@pytest.mark.parametrize(
    ("text", "celsius"),
    [
        ("Temperature 39.4°C.", 39.4),
        ("Fever of 102F.", 38.9),
        ("Temp 38.5 this morning.", 38.5),
        ("A temperature of 101 degrees.", 38.3),
    ],
)
def test_temperature_is_parsed_in_celsius(text, celsius):
    assert facts(text).fact("temperature_max_c") == pytest.approx(celsius, abs=0.05)


def test_a_normal_temperature_reading_is_not_a_fever():
    assessment = assess("Runny nose, temperature 37.4.")
    assert "fever" not in {s.code for s in assessment.symptoms if s.present}


def test_measured_fever_counts_even_without_the_word():
    assert assess("Baby 6 weeks old, temperature 38.3.").triage_level == "emergency"


@pytest.mark.parametrize("text", ["Pain is 8/10.", "The worst headache of my life.", "Severe tummy pain."])
def test_severity_words_and_scores_mark_severe(text):
    from consultations.intake.rules import concept_evidence

    assert "severe" in concept_evidence(facts(text))


def test_medicines_and_allergies_are_recorded():
    state = facts("I take warfarin and metformin. I'm allergic to penicillin.")
    assert state.medications == ["warfarin", "metformin"]
    assert state.allergies == ["penicillin"]


def test_no_known_allergies_is_an_empty_list():
    assert facts("No known drug allergies.").allergies == []


def test_blood_sugar_in_mg_dl_is_converted():
    assert facts("His sugar is 45 mg/dl and he's confused.").fact("glucose_mmol") == pytest.approx(2.5)


def test_blood_pressure_reading_is_parsed():
    state = facts("My blood pressure is 210/125 today.")
    assert (state.fact("bp_systolic"), state.fact("bp_diastolic")) == (210, 125)


def test_accidental_double_dose_is_not_an_intentional_overdose():
    assessment = assess("I accidentally took my tablets twice this morning.")
    assert not assessment.crisis and assessment.triage_level == "consultation_24"
