"""From what is known to a triage level: derived facts, rule evaluation with evidence, and the decision.

The level is the most urgent of (a) every red flag and triage rule that fires and (b) the least urgent care each
present symptom calls for on its own. Nothing ever lowers it: an emergency red flag always wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .knowledge import LEVELS, Concept, Expr, Knowledge, Rule, knowledge, level_rank
from .state import COMPLAINT_KINDS as _COMPLAINT_KINDS
from .state import IntakeState
from .vitals import vital_concepts

# Duration thresholds in hours for the derived 'lasting_*' concepts.
_DURATIONS = {
    "lasting_over_5_min": 5 / 60 + 1e-9, "lasting_over_20_min": 20 / 60, "lasting_over_1_day": 24,
    "lasting_3_days": 72, "lasting_5_days": 120, "lasting_1_week": 168, "lasting_10_days": 240, "lasting_3_weeks": 504,
}  # fmt: skip
# Age bands in years: (code, lower bound inclusive, upper bound exclusive).
_AGE_BANDS = [
    ("age_under_3_months", 0, 0.25), ("age_3_to_6_months", 0.25, 0.5), ("infant", 0, 1), ("young_child", 0, 5),
    ("child", 0, 16), ("adult", 16, 200), ("age_over_40", 40, 200), ("age_over_50", 50, 200), ("older_adult", 65, 200),
]  # fmt: skip
FEVER_C, HIGH_FEVER_C, VERY_HIGH_FEVER_C, HYPOTHERMIA_C = 38.0, 39.0, 40.0, 35.0  # NICE NG143 / NG51 cut-offs
SEVERE_SCORE, MILD_SCORE = 7, 3
LOW_GLUCOSE_MMOL, HIGH_GLUCOSE_MMOL = 4.0, 15.0  # NHS hypoglycaemia / Diabetes UK sick-day thresholds
SEVERE_SYSTOLIC, SEVERE_DIASTOLIC = 180, 120  # NICE NG136 'severe hypertension'
LATER_PREGNANCY_WEEKS = 20  # NICE NG133: pre-eclampsia and antepartum haemorrhage are defined from 20 weeks


NOT_ENOUGH_INFORMATION = "Not enough information to triage safely yet — a clinician should review."


@dataclass(frozen=True)
class Fired:
    rule: Rule
    evidence: list[str]


@dataclass(frozen=True)
class Decision:
    level: str
    fired: list[Fired]
    reasons: list[str]


def concept_evidence(state: IntakeState, kb: Knowledge | None = None) -> dict[str, str]:
    """Every concept that holds for this patient, mapped to the words that show it."""
    kb = kb or knowledge()
    evidence = {code: f["evidence"] for code, f in state.findings.items() if f["present"]}
    for code, words in derived(state, evidence).items():
        evidence.setdefault(code, words)
    for code, words in vital_concepts(state, evidence, kb.vital_signs).items():
        evidence.setdefault(code, words)
    return evidence


def derived(state: IntakeState, evidence: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    found.update(_temperature(state))
    found.update(_age_and_sex(state))
    found.update(_duration(state))
    found.update(_severity(state, evidence))
    found.update(_glucose(state))
    found.update(_blood_pressure(state))
    if "pregnancy_mention" in evidence:
        found["pregnant"] = evidence["pregnancy_mention"]
        weeks = state.facts.get("gestation_weeks")
        if weeks and weeks["value"] >= LATER_PREGNANCY_WEEKS:
            found["later_pregnancy"] = weeks["evidence"]
    if "postpartum_mention" in evidence:
        found["postpartum"] = evidence["postpartum_mention"]
    return found


def _temperature(state: IntakeState) -> dict[str, str]:
    found = {}
    top, low = state.facts.get("temperature_max_c"), state.facts.get("temperature_min_c")
    if top:
        for code, threshold in (
            ("fever", FEVER_C),
            ("high_fever", HIGH_FEVER_C),
            ("very_high_fever", VERY_HIGH_FEVER_C),
        ):
            if top["value"] >= threshold:
                found[code] = top["evidence"]
    if low and low["value"] < HYPOTHERMIA_C:
        found["hypothermia"] = low["evidence"]
    return found


def _age_and_sex(state: IntakeState) -> dict[str, str]:
    found = {}
    age = state.facts.get("age_years")
    if age:
        found = {code: age["evidence"] for code, low, high in _AGE_BANDS if low <= age["value"] < high}
    if state.sex:
        found[state.sex] = state.sex
    return found


def _duration(state: IntakeState) -> dict[str, str]:
    duration = state.facts.get("duration_hours")
    if not duration:
        return {}
    found = {code: duration["evidence"] for code, hours in _DURATIONS.items() if duration["value"] >= hours}
    if duration["value"] <= 72:
        found["recent_onset"] = duration["evidence"]
    return found


def _severity(state: IntakeState, evidence: dict[str, str]) -> dict[str, str]:
    score = state.facts.get("pain_score")
    if "severe_words" in evidence or (score and score["value"] >= SEVERE_SCORE):
        return {"severe": evidence.get("severe_words") or score["evidence"]}  # type: ignore[index]
    if "mild_words" in evidence or (score and score["value"] <= MILD_SCORE):
        return {"mild": evidence.get("mild_words") or score["evidence"]}  # type: ignore[index]
    return {}


def _glucose(state: IntakeState) -> dict[str, str]:
    glucose = state.facts.get("glucose_mmol")
    if not glucose:
        return {}
    if glucose["value"] < LOW_GLUCOSE_MMOL:
        return {"low_blood_sugar": glucose["evidence"]}
    if glucose["value"] > HIGH_GLUCOSE_MMOL:
        return {"high_blood_sugar": glucose["evidence"]}
    return {}


def _blood_pressure(state: IntakeState) -> dict[str, str]:
    systolic, diastolic = state.facts.get("bp_systolic"), state.facts.get("bp_diastolic")
    if systolic and diastolic and (systolic["value"] >= SEVERE_SYSTOLIC or diastolic["value"] >= SEVERE_DIASTOLIC):
        return {"very_high_blood_pressure": systolic["evidence"]}
    return {}


def holds(expr: Expr, evidence: dict[str, str]) -> list[str] | None:
    """The evidence words if the expression holds, else None ([] for a satisfied 'none')."""
    if isinstance(expr, str):
        return [evidence[expr]] if expr in evidence else None
    if "all" in expr:
        parts = [holds(e, evidence) for e in expr["all"]]
        return None if any(p is None for p in parts) else _flatten(parts)
    if "none" in expr:
        return [] if all(holds(e, evidence) is None for e in expr["none"]) else None
    satisfied = [p for e in expr.get("any") or expr["of"] if (p := holds(e, evidence)) is not None]
    needed = expr.get("at_least", 1)
    return _flatten(satisfied) if len(satisfied) >= needed else None


def _flatten(parts: Sequence[list[str] | None]) -> list[str]:
    return list(dict.fromkeys(word for part in parts if part for word in part))


def fired_rules(evidence: dict[str, str], kb: Knowledge) -> list[Fired]:
    fired = [
        Fired(rule, words)
        for rule, needs in kb.rules_with_triggers
        if (needs is None or not needs.isdisjoint(evidence)) and (words := holds(rule.when, evidence)) is not None
    ]
    return sorted(fired, key=lambda f: -level_rank(f.rule.level))


def decide(state: IntakeState, kb: Knowledge) -> Decision:
    evidence = concept_evidence(state, kb)
    fired = fired_rules(evidence, kb)
    # The least urgent care each recognised concept calls for on its own (data: lexicon 'level'), unless its
    # context explains it away (lexicon 'unless': redness round a fresh sting is the usual local reaction).
    base = {c: kb.concepts[c].level for c in evidence if c in kb.concepts and not _explained(kb.concepts[c], evidence)}
    if not fired and not any(kb.concepts[c].kind in _COMPLAINT_KINDS or lvl != LEVELS[0] for c, lvl in base.items()):
        # Nothing recognisable: never reassure on silence.
        return Decision("consultation", [], [NOT_ENOUGH_INFORMATION])
    level = max([f.rule.level for f in fired] + list(base.values()) + [LEVELS[0]], key=level_rank)
    return Decision(level, fired, _reasons(level, fired, base, kb))


def _explained(concept: Concept, evidence: dict[str, str]) -> bool:
    return concept.unless is not None and holds(concept.unless, evidence) is not None


def _reasons(level: str, fired: list[Fired], base: dict[str, str], kb: Knowledge) -> list[str]:
    reasons = [_rule_reason(f) for f in fired]
    if level == LEVELS[0]:
        return [*reasons, "No red flags or features needing a doctor were found in what was described."]
    if not fired or level_rank(fired[0].rule.level) < level_rank(level):
        label = kb.levels[level]["label"].lower()
        reasons += [f"{kb.label(c)} usually needs at least: {label}" for c, lvl in base.items() if lvl == level]
    return reasons


def _rule_reason(fired: Fired) -> str:
    quoted = "; ".join(f"'{w}'" for w in fired.evidence)
    prefix = "Red flag" if fired.rule.red_flag else "Triage rule"
    return f"{prefix}: {fired.rule.label} ({quoted})" if quoted else f"{prefix}: {fired.rule.label}"
