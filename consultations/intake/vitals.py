"""Measured vital signs to concepts the rules can use: NEWS2 for adults, NICE traffic-light bands for children.

A vignette or a patient with a home monitor often gives numbers ("heart rate 128, BP 86/50, SpO2 90%") that say
more than any word. The bands are data (rules.json 'vital_signs'), so a clinician can review them:

- adults: the Royal College of Physicians' National Early Warning Score 2 (2017). Only the parameters actually
  reported are scored (a missing one scores 0), so the total can only under-estimate, never invent, a risk;
- children under 16: NICE NG143 (fever in under 5s) traffic-light thresholds and NICE NG9 (bronchiolitis)
  oxygen saturation; NEWS2 is not valid in children.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .state import IntakeState

ADULT_AGE = 16


@dataclass(frozen=True)
class Reading:
    name: str
    value: float
    evidence: str


def readings(state: IntakeState) -> dict[str, Reading]:
    """The reported vital signs under the names the band tables use."""
    names = {
        "respiratory_rate": "respiratory_rate", "oxygen_saturation": "oxygen_saturation",
        "systolic_bp": "bp_systolic", "diastolic_bp": "bp_diastolic", "heart_rate": "heart_rate_bpm",
    }  # fmt: skip
    found = {name: Reading(name, state.facts[fact]["value"], state.facts[fact]["evidence"])
             for name, fact in names.items() if fact in state.facts}  # fmt: skip
    for fact in ("temperature_max_c", "temperature_min_c"):
        if fact in state.facts:
            found[fact] = Reading("temperature", state.facts[fact]["value"], state.facts[fact]["evidence"])
    return found


def band_score(value: float, bands: list[list[float | None]]) -> int:
    """bands: [[upper bound inclusive, score], ..., [None, score]] in ascending order."""
    return int(next(score for upper, score in bands if upper is None or value <= upper))  # type: ignore[arg-type]


def vital_concepts(state: IntakeState, evidence: dict[str, str], table: dict[str, Any]) -> dict[str, str]:
    """Derived concepts (code -> the words that show it) from the reported vital signs."""
    found = readings(state)
    age = state.fact("age_years")
    if age is not None and age < ADULT_AGE:
        return _child(found, age, table["child"])
    return _adult(found, evidence, table["news2"])


def _adult(found: dict[str, Reading], evidence: dict[str, str], news2: dict[str, Any]) -> dict[str, str]:
    scores: dict[str, tuple[int, str]] = {}
    for reading in found.values():
        if reading.name not in news2["bands"]:
            continue
        bands = news2["bands"][reading.name]
        if reading.name == "oxygen_saturation" and "copd" in evidence:
            bands = news2["oxygen_saturation_copd"]  # NEWS2 SpO2 scale 2: target 88-92% in hypercapnic failure
        score = band_score(reading.value, bands)
        if score > scores.get(reading.name, (0, ""))[0]:  # the highest and lowest temperature score once
            scores[reading.name] = (score, reading.evidence)
    confusion = next((evidence[c] for c in news2["consciousness_concepts"] if c in evidence), None)
    if confusion:
        scores["consciousness"] = (news2["new_confusion"], confusion)
    return _adult_concepts(found, scores, news2)


def _adult_concepts(
    found: dict[str, Reading], scores: dict[str, tuple[int, str]], news2: dict[str, Any]
) -> dict[str, str]:
    concepts: dict[str, str] = {}
    measured = {k: v for k, v in scores.items() if k != "consciousness"}
    total = sum(score for score, _ in scores.values())
    words = "; ".join(dict.fromkeys(ev for _, ev in scores.values()))
    if measured and total >= news2["emergency_total"]:
        concepts["news2_7_or_more"] = f"NEWS2 {total}: {words}"
    if measured and total >= news2["urgent_total"]:
        concepts["news2_5_or_more"] = f"NEWS2 {total}: {words}"
    red = [ev for key, (score, ev) in measured.items() if score >= news2["red_single"]]
    if red:
        concepts["vital_sign_red"] = "; ".join(red)
    if measured.get("oxygen_saturation", (0, ""))[0] >= news2["red_single"]:
        concepts["low_oxygen"] = measured["oxygen_saturation"][1]
    concepts.update(_single_vitals(found, news2["single"]))
    return concepts


def _single_vitals(found: dict[str, Reading], single: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Named abnormal readings for combination rules ('low_blood_pressure' with pregnancy pain, ...); each code
    holds when any of its alternatives does."""
    concepts = {}
    for code, alternatives in single.items():
        for spec in alternatives:
            reading = found.get(spec["reading"])
            if reading and _beyond(reading.value, spec):
                concepts[code] = reading.evidence
                break
    rate, systolic = found.get("heart_rate"), found.get("systolic_bp")
    if rate and systolic and rate.value > 100 and rate.value >= systolic.value:
        concepts["shock_index_high"] = f"{rate.evidence}; {systolic.evidence}"  # shock index (HR/SBP) 1 or more
    return concepts


def _beyond(value: float, spec: dict[str, Any]) -> bool:
    return ("at_most" in spec and value <= spec["at_most"]) or ("at_least" in spec and value >= spec["at_least"])


def _child(found: dict[str, Reading], age: float, child: dict[str, Any]) -> dict[str, str]:
    concepts: dict[str, str] = {}
    red, amber = [], []
    oxygen, breathing, rate = (found.get(k) for k in ("oxygen_saturation", "respiratory_rate", "heart_rate"))
    if oxygen and oxygen.value <= child["oxygen_saturation_red_at_most"]:
        red.append(oxygen.evidence)
        concepts["low_oxygen"] = oxygen.evidence
    elif oxygen and oxygen.value <= child["oxygen_saturation_amber_at_most"]:
        amber.append(oxygen.evidence)
    if age < child["under_age_for_rates"]:
        if breathing and breathing.value > child["respiratory_rate_red_over"]:
            red.append(breathing.evidence)
        elif breathing and breathing.value > _for_age(age, child["respiratory_rate_amber_over"]):
            amber.append(breathing.evidence)
        if breathing and breathing.value > _for_age(age, child["respiratory_rate_amber_over"]):
            concepts["rapid_breathing"] = breathing.evidence
        if rate and rate.value > _for_age(age, child["heart_rate_amber_over"]):
            amber.append(rate.evidence)
    if red:
        concepts["child_vital_signs_red"] = "; ".join(red)
    if amber:
        concepts["child_vital_signs_amber"] = "; ".join(amber)
    return concepts


def _for_age(age: float, bands: list[list[float | None]]) -> float:
    """bands: [[age upper bound exclusive, threshold], ..., [None, threshold]]."""
    return float(next(limit for upper, limit in bands if upper is None or age < upper))  # type: ignore[arg-type]
