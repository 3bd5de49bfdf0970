"""assess(): the one call the rest of the product makes before any reply — text in, explainable triage out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .advice import compose_advice
from .knowledge import EMERGENCY_LEVELS, Knowledge, knowledge
from .rules import Decision, decide
from .state import IntakeState, merge_text, symptom_codes
from .summary import build_summary


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str
    evidence: str
    level: str = "emergency"
    crisis: bool = False

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "evidence": self.evidence}


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str
    present: bool

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "present": self.present}


@dataclass
class Assessment:
    triage_level: str
    red_flags: list[RedFlag]
    symptoms: list[Symptom]
    advice: str
    reasons: list[str]
    is_emergency: bool
    summary: dict[str, Any]
    state: IntakeState = field(repr=False)

    @property
    def crisis(self) -> bool:
        """A self-harm or overdose red flag: the reply must carry crisis-line numbers."""
        return any(flag.crisis for flag in self.red_flags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "triage_level": self.triage_level,
            "red_flags": [flag.to_dict() for flag in self.red_flags],
            "symptoms": [symptom.to_dict() for symptom in self.symptoms],
            "advice": self.advice,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "is_emergency": self.is_emergency,
        }


def assess(text: str, state: IntakeState | None = None) -> Assessment:
    """Merge text into a copy of state and assess the result. Pure: state is never modified."""
    return evaluate(merge_text(state or IntakeState(), text))


def evaluate(state: IntakeState, kb: Knowledge | None = None) -> Assessment:
    kb = kb or knowledge()
    decision = decide(state, kb)
    red_flags = _red_flags(decision)
    symptoms = [Symptom(c, kb.label(c), state.findings[c]["present"]) for c in symptom_codes(state, kb)]
    return Assessment(
        triage_level=decision.level,
        red_flags=red_flags,
        symptoms=symptoms,
        advice=compose_advice(decision, state, kb),
        reasons=decision.reasons,
        is_emergency=decision.level in EMERGENCY_LEVELS,
        summary=build_summary(state, decision, kb),
        state=state,
    )


def _red_flags(decision: Decision) -> list[RedFlag]:
    return [
        RedFlag(f.rule.code, f.rule.label, "; ".join(f.evidence), f.rule.level, f.rule.crisis)
        for f in decision.fired
        if f.rule.red_flag
    ]
