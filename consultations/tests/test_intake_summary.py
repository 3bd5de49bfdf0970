"""The clinician summary reports the facts the patient gave, in structured and SOAP form."""

from consultations.intake import Interview, assess, render_summary_text


def test_summary_contains_the_facts_given():
    summary = assess(
        "A 48-year-old woman with 3 days of burning when passing urine, fever of 38.6°C, no vomiting. "
        "She takes metformin and is allergic to penicillin. She has diabetes."
    ).summary
    assert summary["patient"]["age_years"] == 48 and summary["patient"]["sex"] == "female"
    assert "Pain or burning passing urine" in summary["pertinent_positives"]
    assert "Vomiting" in summary["pertinent_negatives"]
    assert summary["observations"]["temperature_c"] == 38.6
    assert summary["medications"] == ["metformin"] and summary["allergies"] == ["penicillin"]
    assert "Diabetes" in summary["past_history"]
    assert summary["triage"]["level"] == "consultation_24" and summary["triage"]["reasons"]
    assert "3 days" in summary["history_of_presenting_complaint"]
    assert summary["suggested_next_step"]


def test_soap_text_has_all_four_sections_and_the_red_flag_evidence():
    text = render_summary_text(assess("Sudden worst headache of my life with vomiting, I'm 41.").summary)
    lines = text.splitlines()
    assert [line[:2] for line in lines if line[:2] in ("S:", "O:", "A:", "P:")] == ["S:", "O:", "A:", "P:"]
    assert "worst headache of my life" in text
    assert "Not a diagnosis" in text


def test_interview_answers_reach_the_summary():
    interview, state = Interview(), None
    for text in [
        "I've got a cough",
        "for 4 days",
        "35, male",
        "no",
        "no",
        "no",
        "no",
        "no",
        "3",
        "getting better",
        "asthma",
        "salbutamol inhaler",
        "no",
    ]:
        turn = interview.next_turn(state, text)
        state = turn.state
    summary = turn.assessment.summary
    assert summary["chief_complaint"] == "Cough"
    assert summary["patient"] == {"age_years": 35.0, "sex": "male", "pregnant": None, "gestation_weeks": None}
    assert "Asthma" in summary["past_history"]
    assert summary["medications"] and summary["allergies"] == []
