"""Saving turns: reconnect-safe, and two connections never overwrite each other's words."""

from __future__ import annotations

import pytest

from conftest import Cast
from consultations import services
from consultations.models import Consultation, Turn

pytestmark = pytest.mark.django_db


def test_saving_the_same_turn_twice_keeps_one_row(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turn(consultation, 1, "patient", "I have a cough")
    services.record_turn(consultation, 1, "patient", "I have a cough")
    assert Turn.objects.filter(consultation=consultation).count() == 1


def test_a_colliding_turn_number_moves_up_instead_of_overwriting(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turn(consultation, 1, "patient", "I have a cough")
    services.record_turn(consultation, 1, "assistant", "How long have you had it?")
    services.record_turn(consultation, 1, "patient", "and a mild fever")
    services.record_turn(consultation, 1, "assistant", "Have you measured your temperature?")
    saved = list(Turn.objects.filter(consultation=consultation).values_list("index", "speaker", "text"))
    assert saved == [
        (1, "patient", "I have a cough"),
        (1, "assistant", "How long have you had it?"),
        (2, "patient", "and a mild fever"),
        (2, "assistant", "Have you measured your temperature?"),
    ]


def test_record_turns_saves_both_sides_of_an_exchange(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    timings = {"voice_to_voice_ms": 812.5, "stt_ms": 301.0}
    services.record_turns(
        consultation,
        [
            services.TurnSide(1, "patient", "I have a cough"),
            services.TurnSide(1, "assistant", "How long have you had it?", timings=timings),
        ],
    )
    saved = list(consultation.turns.values_list("index", "speaker", "text", "voice_to_voice_ms", "timings"))
    assert saved == [
        (1, "patient", "I have a cough", None, {}),
        (1, "assistant", "How long have you had it?", 812.5, timings),
    ]


def test_one_flush_saves_each_consultations_events_and_drops_only_those_of_a_deleted_one(cast: Cast) -> None:
    first, second, gone = (services.start_consultation(cast.patient) for _ in range(3))
    gone_id = gone.pk
    gone.delete()

    def turn(text: str) -> dict:
        return {"kind": "turn", "sides": [{"index": 1, "speaker": "patient", "text": text, "input_mode": "voice"}]}

    services.save_voice_events(
        [(first.pk, [turn("a cough")]), (gone_id, [turn("lost")]), (second.pk, [turn("a rash")])]
    )
    assert list(first.turns.values_list("text", flat=True)) == ["a cough"]
    assert list(second.turns.values_list("text", flat=True)) == ["a rash"]
    assert not Turn.objects.filter(text="lost").exists()


def test_record_turns_again_updates_the_same_rows(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turns(consultation, [services.TurnSide(1, "assistant", "Hello.")])
    services.record_turns(consultation, [services.TurnSide(1, "assistant", "Hello.", interrupted=True)])
    assert list(consultation.turns.values_list("index", "interrupted")) == [(1, True)]


def test_record_turns_moves_a_colliding_turn_up(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    services.record_turns(consultation, [services.TurnSide(1, "patient", "I have a cough")])
    services.record_turns(
        consultation,
        [services.TurnSide(1, "patient", "and a mild fever"), services.TurnSide(1, "assistant", "Any chills?")],
    )
    saved = list(consultation.turns.values_list("index", "speaker", "text"))
    assert saved == [
        (1, "patient", "I have a cough"),
        (1, "assistant", "Any chills?"),
        (2, "patient", "and a mild fever"),
    ]


def _assess(consultation: Consultation, level: str, complaint: str = "") -> None:
    services.record_assessment(
        consultation, level=level, red_flags=[], reasons=[], advice="", is_emergency=False, chief_complaint=complaint
    )


def test_a_consultations_triage_level_only_goes_up(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    for level in ("consultation", "emergency", "self_care"):
        _assess(consultation, level)
    consultation.refresh_from_db()
    assert (consultation.triage_level, consultation.assessments.count()) == ("emergency", 3)


def test_the_most_urgent_level_replaces_any_other(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    _assess(consultation, "emergency")
    _assess(consultation, "emergency_ambulance")
    consultation.refresh_from_db()
    assert consultation.triage_level == "emergency_ambulance"


def test_the_chief_complaint_is_the_first_one_heard(cast: Cast) -> None:
    consultation = services.start_consultation(cast.patient)
    _assess(consultation, "consultation", "cough")
    _assess(consultation, "consultation", "headache")
    consultation.refresh_from_db()
    assert consultation.chief_complaint == "cough"


def test_an_answer_looks_up_each_described_symptom_on_its_own() -> None:
    from consultations.consumers import library_queries

    assert library_queries(["Cough", "Sore throat"], "about three days now") == ["Cough", "Sore throat"]


def test_a_question_is_looked_up_with_the_symptoms_in_one_search() -> None:
    from consultations.consumers import library_queries

    assert library_queries(["Headache"], "Can I take ibuprofen?") == ["Headache Can I take ibuprofen?"]


def test_the_patients_words_are_looked_up_when_nothing_is_described_yet() -> None:
    from consultations.consumers import library_queries

    assert library_queries([], "what does a high HbA1c mean") == ["what does a high HbA1c mean"]


def test_passages_of_several_searches_take_turns_best_first_one_per_page() -> None:
    from consultations.consumers import interleave
    from knowledge.retrieval import Passage

    def page(name: str) -> Passage:
        return Passage(name, name, f"https://medlineplus.gov/{name}.html", 1.0)

    cough, throat = [page("cough"), page("cold"), page("flu")], [page("sorethroat"), page("cold")]
    assert [p.title for p in interleave([cough, throat], 3)] == ["cough", "sorethroat", "cold"]
