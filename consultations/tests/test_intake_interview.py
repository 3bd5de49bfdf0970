"""The embedded interview: asks one thing at a time, never the same twice, stops, escalates emergencies."""

import json

import pytest

from consultations.intake import IntakeState, Interview

MAX_TURNS = Interview().script["max_questions"] + 2


def talk(utterances, state=None):
    interview, replies, turn = Interview(), [], None
    for text in utterances:
        turn = interview.next_turn(state, text)
        state = turn.state
        replies.append(turn.reply)
    return replies, turn


def talk_until_done(first, answer="I'm not sure"):
    interview, state, replies = Interview(), None, []
    turn = interview.next_turn(state, first)
    replies.append(turn.reply)
    while not turn.done and len(replies) < 50:
        turn = interview.next_turn(turn.state, answer)
        replies.append(turn.reply)
    return replies, turn


def test_opening_message_asks_for_the_main_problem_and_gives_the_emergency_number():
    opening = Interview().opening_message()
    assert "999" in opening and "main problem" in opening


@pytest.mark.parametrize(
    "complaint",
    ["I have a headache", "My tummy hurts", "I've got a cough", "There's a rash on my arm", "I feel low", "hello"],
)
def test_interview_finishes_within_the_question_limit_and_never_repeats(complaint):
    replies, turn = talk_until_done(complaint)
    assert turn.done
    assert len(replies) <= MAX_TURNS
    questions = replies[:-1]
    assert len(set(questions)) == len(questions)
    assert len(turn.state.asked) == len(set(turn.state.asked))


def test_replaying_the_same_answers_asks_the_same_questions():
    answers = ["My stomach hurts", "since yesterday", "34, female", "no", "no", "lower right", "sharp"]
    assert talk(answers)[0] == talk(answers)[0]


def test_volunteered_details_are_not_asked_again():
    replies, turn = talk(["I'm a 40-year-old man and I've had a headache for 3 days, it came on gradually"])
    assert "age" not in replies[0].lower() and "when did this start" not in replies[0].lower()
    assert "onset" not in turn.state.asked and "age_sex" not in turn.state.asked


def test_a_no_answer_records_the_screened_symptom_as_absent():
    interview = Interview()
    turn = interview.next_turn(None, "I'm 50 and I've had chest pain since this morning")
    assert turn.state.asked[-1] == "chest_radiation"
    turn = interview.next_turn(turn.state, "no")
    assert turn.state.findings["radiates_arm_jaw"]["present"] is False


def test_an_emergency_at_any_turn_escalates_immediately_and_ends():
    replies, turn = talk(["I have a headache", "it started an hour ago", "now my face has dropped on one side"])
    assert turn.done and turn.assessment.triage_level == "emergency_ambulance"
    assert "999" in replies[-1] and "?" not in replies[-1]


def test_yes_to_a_red_flag_screen_escalates():
    interview = Interview()
    turn = interview.next_turn(None, "I'm 60 and I've had chest pain for an hour")
    assert turn.state.asked[-1] == "chest_radiation"
    turn = interview.next_turn(turn.state, "yes")
    assert turn.done and turn.assessment.is_emergency


def test_self_harm_gets_crisis_lines():
    replies, turn = talk(["I've been feeling really low", "I keep thinking about killing myself"])
    assert turn.done and "116 123" in replies[-1] and "988" in replies[-1]


def test_final_advice_has_safety_netting_and_no_diagnosis():
    replies, turn = talk_until_done("I have a sore throat", answer="no")
    final = replies[-1]
    assert turn.done and "999" in final and "can't tell you for certain" in final


def test_after_finishing_no_new_questions_are_asked():
    _, turn = talk_until_done("I have a sore throat", answer="no")
    again = Interview().next_turn(turn.state, "ok thanks")
    assert again.done and again.state.asked == turn.state.asked


def test_state_survives_json_between_turns():
    interview = Interview()
    turn = interview.next_turn(None, "I have back pain")
    restored = IntakeState.from_dict(json.loads(json.dumps(turn.state.to_dict())))
    assert interview.next_turn(restored, "since Monday").reply == interview.next_turn(turn.state, "since Monday").reply
