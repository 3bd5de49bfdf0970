"""The clinician's view: a structured summary (JSON) and its SOAP rendering.

The summary only reports what the patient said or what follows directly from it; it proposes a care level and
next step, never a diagnosis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .knowledge import SYMPTOM_KINDS, Knowledge
from .rules import Decision
from .state import IntakeState

if TYPE_CHECKING:
    from .engine import Assessment

_PERTINENT_KINDS = frozenset({"symptom", "sign", "exposure"})
_SLOT_LABELS = {
    "site": "Site", "onset": "Onset", "character": "Character", "radiation": "Radiation", "timing": "Timing",
    "modifiers": "Exacerbating/relieving", "severity": "Severity",
}  # fmt: skip


def build_summary(state: IntakeState, decision: Decision, kb: Knowledge) -> dict[str, Any]:
    positives, negatives = _pertinent(state, kb)
    return {
        "patient": _patient(state),
        "chief_complaint": kb.label(state.chief_complaint) if state.chief_complaint else None,
        "history_of_presenting_complaint": _hpc(state, kb, positives),
        "socrates": _socrates(state),
        "pertinent_positives": positives,
        "pertinent_negatives": negatives,
        "red_flags": [
            {"code": f.rule.code, "label": f.rule.label, "evidence": "; ".join(f.evidence)}
            for f in decision.fired
            if f.rule.red_flag
        ],
        "triage": {"level": decision.level, "label": kb.levels[decision.level]["label"], "reasons": decision.reasons},
        "observations": _observations(state),
        "past_history": _past_history(state, kb),
        "medications": state.medications,
        "allergies": state.allergies,
        "suggested_next_step": kb.levels[decision.level]["next_step"],
        "patient_words": list(state.utterances),
    }


def _patient(state: IntakeState) -> dict[str, Any]:
    return {
        "age_years": state.fact("age_years"),
        "sex": state.sex,
        "pregnant": state.findings["pregnancy_mention"]["present"] if "pregnancy_mention" in state.findings else None,
        "gestation_weeks": state.fact("gestation_weeks"),
    }


def _pertinent(state: IntakeState, kb: Knowledge) -> tuple[list[str], list[str]]:
    positives: list[str] = []
    negatives: list[str] = []
    for code, finding in state.findings.items():
        concept = kb.concepts[code]
        if concept.kind not in _PERTINENT_KINDS:
            continue
        (positives if finding["present"] else negatives).append(concept.label)
    return positives, negatives


def _hpc(state: IntakeState, kb: Knowledge, positives: list[str]) -> str:
    who = _who(state)
    complaint = kb.label(state.chief_complaint).lower() if state.chief_complaint else "symptoms not yet clear"
    duration = state.facts.get("duration_hours")
    text = f"{who} with {complaint}"
    if duration:
        text += f" ({duration['evidence']})"
    details = [f"{_SLOT_LABELS[k].lower()}: {v}" for k, v in state.slots.items() if k in _SLOT_LABELS]
    if state.fact("pain_score") is not None:
        details.append(f"severity {state.fact('pain_score'):g}/10")
    if details:
        text += "; " + "; ".join(details)
    others = [p.lower() for p in positives if p != kb.label(state.chief_complaint or "")]
    if others:
        text += ". Also reports: " + ", ".join(others)
    return text + "."


def _who(state: IntakeState) -> str:
    age, sex = state.fact("age_years"), state.sex or "patient"
    if age is None:
        return sex.capitalize() if sex != "patient" else "Patient"
    if age < 1:
        return f"{round(age * 12) or 1}-month-old {sex}"
    return f"{age:g}-year-old {sex}"


def _socrates(state: IntakeState) -> dict[str, str]:
    socrates = {k: v for k, v in state.slots.items() if k in _SLOT_LABELS}
    if state.fact("pain_score") is not None:
        socrates["severity"] = f"{state.fact('pain_score'):g}/10"
    return socrates


def _observations(state: IntakeState) -> dict[str, Any]:
    return {
        "temperature_c": state.fact("temperature_max_c"),
        "lowest_temperature_c": state.fact("temperature_min_c"),
        "blood_glucose_mmol_l": state.fact("glucose_mmol"),
        "pain_score": state.fact("pain_score"),
        "duration_hours": state.fact("duration_hours"),
        "blood_pressure_mmhg": _blood_pressure(state),
        "heart_rate_bpm": state.fact("heart_rate_bpm"),
        "respiratory_rate_per_min": state.fact("respiratory_rate"),
        "oxygen_saturation_percent": state.fact("oxygen_saturation"),
    }


def _blood_pressure(state: IntakeState) -> str | None:
    systolic, diastolic = state.fact("bp_systolic"), state.fact("bp_diastolic")
    return f"{systolic:g}/{diastolic:g}" if systolic is not None and diastolic is not None else None


def _past_history(state: IntakeState, kb: Knowledge) -> list[str]:
    history = [kb.label(c) for c, f in state.findings.items() if f["present"] and kb.concepts[c].kind == "history"]
    history += [f"Previous {kb.label(c).lower()}" for c in state.past_findings if kb.concepts[c].kind in SYMPTOM_KINDS]
    return list(dict.fromkeys(history + (state.history_reported or [])))


def render_summary_text(summary: dict[str, Any]) -> str:
    """SOAP text for clinicians from build_summary()'s structure."""
    return "\n".join(
        [
            "S: " + _subjective(summary),
            "O: " + _objective(summary),
            "A: " + _assessment(summary),
            "P: " + summary.get("suggested_next_step", "Clinical review."),
        ]
    )


def _subjective(summary: dict[str, Any]) -> str:
    lines = [summary.get("history_of_presenting_complaint") or "No history taken."]
    if summary.get("pertinent_positives"):
        lines.append("Positives: " + ", ".join(summary["pertinent_positives"]) + ".")
    if summary.get("pertinent_negatives"):
        lines.append("Negatives: " + ", ".join(summary["pertinent_negatives"]) + ".")
    lines.append("PMH: " + (", ".join(summary.get("past_history") or []) or "none reported") + ".")
    lines.append("Medications: " + _listed(summary.get("medications")) + ".")
    lines.append("Allergies: " + _listed(summary.get("allergies"), none="no known allergies") + ".")
    return "\n   ".join(lines)


def _listed(items: list[str] | None, none: str = "none") -> str:
    if items is None:
        return "not asked"
    return ", ".join(items) if items else none


def _objective(summary: dict[str, Any]) -> str:
    obs = summary.get("observations") or {}
    parts = []
    if obs.get("temperature_c") is not None:
        parts.append(f"reported temperature {obs['temperature_c']:g} °C")
    if obs.get("blood_glucose_mmol_l") is not None:
        parts.append(f"reported blood glucose {obs['blood_glucose_mmol_l']:g} mmol/L")
    if obs.get("blood_pressure_mmhg"):
        parts.append(f"reported blood pressure {obs['blood_pressure_mmhg']} mmHg")
    for key, text in (
        ("heart_rate_bpm", "heart rate {:g}/min"),
        ("respiratory_rate_per_min", "respiratory rate {:g}/min"),
        ("oxygen_saturation_percent", "SpO2 {:g}%"),
    ):
        if obs.get(key) is not None:
            parts.append("reported " + text.format(obs[key]))
    if obs.get("pain_score") is not None:
        parts.append(f"pain {obs['pain_score']:g}/10")
    reported = "; ".join(parts) if parts else "no measurements reported"
    return f"Remote intake, no examination. {reported[:1].upper() + reported[1:]}."


def _assessment(summary: dict[str, Any]) -> str:
    triage = summary.get("triage") or {}
    lines = [f"Triage: {triage.get('label', '')} ({triage.get('level', '')}). Not a diagnosis."]
    for flag in summary.get("red_flags") or []:
        lines.append(f"Red flag: {flag['label']} — patient's words: '{flag['evidence']}'.")
    lines += [f"Reason: {reason}" for reason in triage.get("reasons") or [] if not reason.startswith("Red flag")]
    return "\n   ".join(lines)


def render_assessment_text(assessment: Assessment) -> str:
    """A readable terminal report of one assessment (the triage command without --json)."""
    lines = [f"Triage level: {assessment.triage_level} — {assessment.summary['triage']['label']}"]
    lines += [f"  RED FLAG {f.code}: {f.label} (evidence: '{f.evidence}')" for f in assessment.red_flags]
    if assessment.symptoms:
        lines.append(
            "Symptoms: " + ", ".join(f"{s.label} ({'yes' if s.present else 'no'})" for s in assessment.symptoms)
        )
    lines += ["Reasons:"] + [f"  - {r}" for r in assessment.reasons]
    lines += ["Advice: " + assessment.advice, "", render_summary_text(assessment.summary)]
    return "\n".join(lines)
