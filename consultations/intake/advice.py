"""What to tell the patient: plain-language advice for the level, what to do now, and safety-netting.

Wording is nurse-like and never names a diagnosis or a dose; numbers are given for the UK, US and Europe
because the product does not know where the patient is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .knowledge import Knowledge, knowledge
from .rules import Decision
from .state import IntakeState

if TYPE_CHECKING:
    from .engine import Assessment

EMERGENCY_NUMBERS = "999 (911 in the US, 112 in Europe)"
CRISIS_LINES = (
    "You can talk to someone right now, day or night: Samaritans on 116 123 in the UK, or call or text 988 in the US."
)


def patient_system(state: IntakeState, kb: Knowledge) -> str:
    """The body system the conversation is about, for choosing safety-netting and interview screens."""
    age = state.fact("age_years")
    if age is not None and age < 5:
        return "paediatric"
    if state.present("pregnancy_mention"):
        return "obstetric"
    if state.chief_complaint in kb.concepts:
        return kb.concepts[state.chief_complaint].system
    return "general"


def safety_net(state: IntakeState, kb: Knowledge) -> str:
    nets = kb.interview["safety_net"]
    return nets.get(patient_system(state, kb), nets["general"])


def compose_advice(decision: Decision, state: IntakeState, kb: Knowledge | None = None) -> str:
    kb = kb or knowledge()
    parts = [kb.levels[decision.level]["advice"]]
    red = [f for f in decision.fired if f.rule.red_flag]
    if red and red[0].rule.advice:
        parts.append(red[0].rule.advice)
    if any(f.rule.crisis for f in red):
        parts.append(CRISIS_LINES)
    if decision.level not in ("emergency", "emergency_ambulance"):
        parts.append(safety_net(state, kb))
    parts.append(kb.interview["disclaimer"])
    return " ".join(parts)


def emergency_message(assessment: Assessment) -> str:
    """A short spoken escalation: what to do now and which number to call. Empty when not an emergency."""
    if not assessment.is_emergency:
        return ""
    flag = assessment.red_flags[0] if assessment.red_flags else None
    action = _rule_advice(flag.code) if flag else ""
    if assessment.crisis:
        return (
            "I'm really concerned for your safety, and I'm glad you told me. If you might act on these thoughts, or "
            f"you've already hurt yourself, please call {EMERGENCY_NUMBERS} now or go to A&E. {CRISIS_LINES} "
            "Please don't stay alone with this."
        )
    what = f" — {flag.label.lower()}" if flag else ""
    if assessment.triage_level == "emergency_ambulance":
        return (
            f"This could be an emergency{what}. Please call {EMERGENCY_NUMBERS} now and ask for an ambulance. "
            f"{action} Don't drive yourself, and don't wait to see if it gets better."
        ).replace("  ", " ")
    return (
        f"This needs urgent attention{what}. Please go to A&E, the emergency department, now. If you can't get "
        f"there safely or you get worse, call {EMERGENCY_NUMBERS}. {action}"
    ).strip()


def _rule_advice(code: str) -> str:
    return next((r.advice for r in knowledge().red_flags if r.code == code), "")
