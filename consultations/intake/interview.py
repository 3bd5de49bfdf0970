"""The embedded conversational engine: a structured nurse-style interview (SOCRATES, red-flag screens,
history, medicines, allergies) driven entirely by data/interview.json.

Deterministic by design: the next question depends only on the state, so replaying the same utterances asks
the same questions. An emergency red flag at any turn ends the interview with an escalation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import parse
from .advice import emergency_message
from .engine import Assessment, evaluate
from .knowledge import Knowledge, knowledge
from .rules import concept_evidence
from .state import IntakeState, merge_text
from .text import find_mentions, normalise

_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|ya|aye|i do|i have|i am|it does|he does|she does|they do|he is|she is|they are|"
    r"correct|right|a bit|a little|sort of|kind of|slightly|definitely|sometimes|i think so)\b"
)
_NO = re.compile(
    r"^\W*(?:no|nope|nah|none|not really|not at all|i don't|i haven't|i'm not|i am not|he doesn't|she doesn't|"
    r"they don't|it doesn't|he isn't|she isn't|never|nothing|negative|neither|not that i know)\b"
)
_UNSURE = re.compile(r"\b(?:not sure|don't know|maybe|might be|could be|possibly|no idea)\b")
_GOODBYE = re.compile(r"^\W*(?:bye|goodbye|that's all|that is all|nothing else|i'm done|stop|quit)\b")
_BARE_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)(?![\d.])")
_RADIATION = ("radiates_arm_jaw", "radiates_back", "groin_radiation")
_SEX_WORD = re.compile(r"\b(female|woman|girl|f|male|man|boy|m)\b")


@dataclass
class InterviewTurn:
    reply: str
    assessment: Assessment
    done: bool
    state: IntakeState


class Interview:
    """next_turn(state, text) -> InterviewTurn; keep turn.state and pass it back with the next utterance."""

    def __init__(self, kb: Knowledge | None = None) -> None:
        self.kb = kb or knowledge()
        self.script: dict[str, Any] = self.kb.interview
        self.questions = {q["id"]: q for q in self.script["core"]}
        self.questions.update({q["id"]: q for screen in self.script["screens"].values() for q in screen})

    def opening_message(self) -> str:
        return self.script["opening"]

    def next_turn(self, state: IntakeState | None, patient_text: str) -> InterviewTurn:
        before = state or IntakeState()
        asked = self.questions.get(before.asked[-1]) if before.asked and not before.done else None
        current = _apply_answer(merge_text(before, patient_text, self.kb), asked, patient_text)
        assessment = evaluate(current, self.kb)
        if assessment.is_emergency:
            current.done = True
            return self._turn(emergency_message(assessment), current)
        if before.done:
            return self._turn(self.script["after_done"], current)
        question = None if _GOODBYE.match(normalise(patient_text)) else self.next_question(current)
        if question is None:
            current.done = True
            return self._turn(self._closing(assessment), current)
        current.asked.append(question["id"])
        return self._turn(f"{self._acknowledge(before, current)} {question['text']}", current)

    def next_question(self, state: IntakeState) -> dict[str, Any] | None:
        """The first question in the plan that applies, is still unknown and has not been asked."""
        if len(state.asked) >= self.script["max_questions"]:
            return None
        evidence = concept_evidence(state)
        for question in self._plan(state):
            if question["id"] in state.asked or not self._applies(question, state):
                continue
            if not self._known(question, state, evidence):
                return question
        return None

    def _plan(self, state: IntakeState) -> list[dict[str, Any]]:
        plan = []
        for step in self.script["plan"]:
            if step == "@complaint":
                plan += self._screen(self._complaint_screen(state))
            elif step == "@patient":
                plan += [q for key in self._patient_screens(state) for q in self._screen(key)]
            else:
                plan.append(self.questions[step])
        return plan

    def _screen(self, key: str | None) -> list[dict[str, Any]]:
        return list(self.script["screens"].get(key, [])) if key else []

    def _complaint_screen(self, state: IntakeState) -> str | None:
        chief = state.chief_complaint
        if chief is None:
            return None
        by_complaint = self.script["screen_for_complaint"]
        key = by_complaint.get(chief) or self.script["screen_for_system"].get(self.kb.concepts[chief].system)
        # A feverish toddler is screened with NICE NG143's child questions, not the adult ones.
        return "young_child" if key == "general" and _young_child(state) else key

    def _patient_screens(self, state: IntakeState) -> list[str]:
        screens = ["young_child"] if _young_child(state) else []
        if state.present("pregnancy_mention"):
            screens.append("obstetric")
        return [s for s in screens if s != self._complaint_screen(state)]

    def _applies(self, question: dict[str, Any], state: IntakeState) -> bool:
        return all(self._condition(name, state) for name in question.get("ask_if", []))

    def _condition(self, name: str, state: IntakeState) -> bool:
        chief = state.chief_complaint
        age = state.fact("age_years")
        if name == "no_complaint":
            return chief is None
        if name == "pain":
            return chief in self.script["pain_complaints"]
        if name == "site_matters":
            return chief in self.script["site_complaints"]
        if name == "not_young_child":
            return not _young_child(state)
        if name == "female_childbearing":
            return state.sex == "female" and (age is None or 12 <= age <= 55)
        raise ValueError(f"unknown interview condition {name}")

    def _known(self, question: dict[str, Any], state: IntakeState, evidence: dict[str, str]) -> bool:
        if "concepts" in question:
            return all(code in state.findings or code in evidence for code in question["concepts"])
        slot = question["slot"]
        known_by_slot = {
            "chief_complaint": state.chief_complaint is not None,
            "onset": "onset" in state.slots or state.fact("duration_hours") is not None,
            "age_sex": state.fact("age_years") is not None,
            "site": "site" in state.slots or any(c in evidence for c in self.script["location_concepts"]),
            "radiation": "radiation" in state.slots or any(c in state.findings for c in _RADIATION),
            "severity": "severity" in state.slots
            or state.fact("pain_score") is not None
            or "severe" in evidence
            or "mild" in evidence,
            "pregnancy": "pregnancy_mention" in state.findings or "possibly_pregnant" in state.findings,
            "history": state.history_reported is not None
            or any(self.kb.concepts[c].kind == "history" for c in state.findings),
            "medications": state.medications is not None,
            "allergies": state.allergies is not None,
        }
        return known_by_slot.get(slot, slot in state.slots)

    def _acknowledge(self, before: IntakeState, current: IntakeState) -> str:
        if not before.asked:
            return (
                self.script["first_acknowledgement"]
                if current.chief_complaint
                else self.script["unclear_complaint"].split("?")[0] + "."
            )
        phrases = self.script["acknowledgements"]
        return phrases[len(before.asked) % len(phrases)]

    def _closing(self, assessment: Assessment) -> str:
        return f"{self.script['closing_intro']} {assessment.advice} {self.script['summary_note']}"

    def _turn(self, reply: str, state: IntakeState) -> InterviewTurn:
        return InterviewTurn(reply=reply.strip(), assessment=evaluate(state, self.kb), done=state.done, state=state)


def _young_child(state: IntakeState) -> bool:
    age = state.fact("age_years")
    return age is not None and age < 5


def _apply_answer(state: IntakeState, question: dict[str, Any] | None, text: str) -> IntakeState:
    """Interpret a short answer ("no", "yes", "7", "45, female") in the light of the question just asked."""
    if question is None or not text.strip():
        return state
    norm = normalise(text)
    mentioned = {m.code for m in find_mentions(norm)}
    answer = "no" if _NO.match(norm) else "yes" if _YES.match(norm) else "unsure" if _UNSURE.search(norm) else None
    if "concepts" in question:
        _answer_concepts(state, question, norm, answer, mentioned)
    else:
        _answer_slot(state, question["slot"], text.strip(), norm, answer, mentioned)
    return state


def _answer_concepts(
    state: IntakeState, question: dict[str, Any], norm: str, answer: str | None, mentioned: set[str]
) -> None:
    if "fever" in question["concepts"] and state.fact("temperature_max_c") is None:
        _bare_temperature(state, norm)
    if answer not in ("yes", "no"):
        return
    for code in question["concepts"]:
        if code not in mentioned and not (code == "fever" and state.fact("temperature_max_c") is not None):
            state.findings[code] = {"present": answer == "yes", "evidence": f"{answer} (asked: {question['text']})"}


def _bare_temperature(state: IntakeState, norm: str) -> None:
    m = _BARE_NUMBER.search(norm)
    reading = parse.temperature_c(f"temperature {m.group(1)}") if m else []
    if reading:
        state.facts["temperature_max_c"] = {"value": reading[0].value, "evidence": m.group(1)}  # type: ignore[union-attr]
        state.facts.setdefault("temperature_min_c", dict(state.facts["temperature_max_c"]))


def _answer_slot(state: IntakeState, slot: str, text: str, norm: str, answer: str | None, mentioned: set[str]) -> None:
    if slot == "age_sex":
        _answer_age_sex(state, norm)
    elif slot == "severity":
        _answer_severity(state, text, norm)
    elif slot == "pregnancy":
        _answer_pregnancy(state, answer, mentioned)
    elif slot in ("history", "medications", "allergies"):
        _answer_list(state, slot, text, answer, mentioned)
    elif slot != "chief_complaint" and slot not in state.slots:
        state.slots[slot] = "none reported" if answer == "no" else text


def _answer_age_sex(state: IntakeState, norm: str) -> None:
    m = _BARE_NUMBER.search(norm)
    if state.fact("age_years") is None and m and float(m.group(1)) <= 120:
        state.facts["age_years"] = {"value": float(m.group(1)), "evidence": m.group(1)}
    sex = _SEX_WORD.search(norm)
    if sex and state.sex is None:
        state.sex = "female" if sex.group(1) in ("female", "woman", "girl", "f") else "male"


def _answer_severity(state: IntakeState, text: str, norm: str) -> None:
    m = _BARE_NUMBER.search(norm)
    if state.fact("pain_score") is None and m and float(m.group(1)) <= 10:
        state.facts["pain_score"] = {"value": float(m.group(1)), "evidence": f"{m.group(1)}/10"}
    else:
        state.slots.setdefault("severity", text)


def _answer_pregnancy(state: IntakeState, answer: str | None, mentioned: set[str]) -> None:
    if "pregnancy_mention" in mentioned or "possibly_pregnant" in mentioned:
        return
    if answer == "unsure":
        state.findings["possibly_pregnant"] = {"present": True, "evidence": "not sure if pregnant"}
    elif answer in ("yes", "no"):
        state.findings["pregnancy_mention"] = {
            "present": answer == "yes",
            "evidence": f"{answer} (asked about pregnancy)",
        }


def _answer_list(state: IntakeState, slot: str, text: str, answer: str | None, mentioned: set[str]) -> None:
    attribute = "history_reported" if slot == "history" else slot
    if getattr(state, attribute) is not None:
        return
    # Conditions the engine recognised are already findings; keep free text only for what it didn't.
    recognised = any(knowledge().concepts[code].kind == "history" for code in mentioned)
    setattr(state, attribute, [] if answer == "no" or (slot == "history" and recognised) else [text])
