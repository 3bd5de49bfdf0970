"""What the engine knows about one patient so far, and how a new utterance updates it.

IntakeState is plain data (JSON-serialisable) so it can live in ``Consultation.intake_state`` between turns.
Merging never mutates its input: the caller always gets a new state.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import parse
from .knowledge import SYMPTOM_KINDS, Knowledge, knowledge
from .text import AFFIRMED, HISTORICAL, Mention, find_mentions, normalise

# Mentions of these kinds can open the conversation as the chief complaint ("I hit my head", "a dog bit me").
COMPLAINT_KINDS = SYMPTOM_KINDS | {"exposure"}
_TIMING_CONCEPTS = ("resolved", "episodic", "worsening", "not_improving")
_RADIATION_CONCEPTS = ("radiates_arm_jaw", "radiates_back", "groin_radiation")


@dataclass
class IntakeState:
    # code -> {"present": bool, "evidence": str}; insertion order is the order the patient said things.
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    past_findings: list[str] = field(default_factory=list)
    # name -> {"value": number, "evidence": str}: age_years, temperature_max_c, temperature_min_c,
    # duration_hours, pain_score, glucose_mmol, gestation_weeks, bp_systolic, bp_diastolic, heart_rate_bpm,
    # respiratory_rate, oxygen_saturation.
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    sex: str | None = None
    medications: list[str] | None = None  # None: not known yet; []: takes none
    allergies: list[str] | None = None
    history_reported: list[str] | None = None
    slots: dict[str, str] = field(default_factory=dict)  # SOCRATES answers in the patient's words
    chief_complaint: str | None = None
    asked: list[str] = field(default_factory=list)
    utterances: list[str] = field(default_factory=list)
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> IntakeState:
        names = {f.name for f in fields(cls)}
        return cls(**copy.deepcopy({k: v for k, v in (data or {}).items() if k in names}))

    def copy(self) -> IntakeState:
        return copy.deepcopy(self)

    def fact(self, name: str) -> float | None:
        entry = self.facts.get(name)
        return entry["value"] if entry else None

    def present(self, code: str) -> bool:
        return bool(self.findings.get(code, {}).get("present"))

    def known(self, code: str) -> bool:
        return code in self.findings


def merge_text(state: IntakeState, text: str, kb: Knowledge | None = None) -> IntakeState:
    """A new state with everything the text says merged in; later statements override earlier ones."""
    kb = kb or knowledge()
    new = state.copy()
    if not text.strip():
        return new
    new.utterances.append(text.strip())
    norm = normalise(text)
    mentions = _drop_unmeasured_fever(find_mentions(norm, kb), norm)
    _merge_mentions(new, mentions, kb)
    _merge_facts(new, norm, mentions, kb)
    _merge_slots(new, norm, mentions)
    if new.chief_complaint is None:
        new.chief_complaint = next(
            (m.code for m in mentions if m.affirmed and kb.concepts[m.code].kind in COMPLAINT_KINDS), None
        )
    return new


def _drop_unmeasured_fever(mentions: list[Mention], norm: str) -> list[Mention]:
    """'temperature 37.4' mentions a temperature but is not a fever: the number wins over the word."""
    readings = parse.temperature_c(norm)
    if not readings or max(r.value for r in readings) >= 38:
        return mentions
    return [m for m in mentions if not (m.code == "fever" and "temp" in m.text and "fever" not in m.text)]


def _merge_mentions(state: IntakeState, mentions: list[Mention], kb: Knowledge) -> None:
    by_code: dict[str, list[Mention]] = {}
    for m in mentions:
        kind = kb.concepts[m.code].kind
        if m.context == HISTORICAL and kind in SYMPTOM_KINDS:
            if not m.negated and m.code not in state.past_findings:
                state.past_findings.append(m.code)
        elif m.context == AFFIRMED or (m.context == HISTORICAL and kind == "history"):
            by_code.setdefault(m.code, []).append(m)
    for code, group in by_code.items():
        affirmed = [m for m in group if not m.negated]
        chosen = affirmed[0] if affirmed else group[0]
        state.findings.pop(code, None)  # re-insert so order reflects the latest statement
        state.findings[code] = {"present": bool(affirmed), "evidence": chosen.text}


def _merge_facts(state: IntakeState, norm: str, mentions: list[Mention], kb: Knowledge) -> None:
    anchors = [(m.start, kb.concepts[m.code].kind in COMPLAINT_KINDS | {"modifier"}) for m in mentions]
    _set_fact(state, "age_years", parse.age_years(norm))
    _set_fact(state, "duration_hours", parse.durations_hours(norm, anchors), keep_max=True)
    _set_fact(state, "pain_score", parse.pain_score(norm))
    _set_fact(state, "glucose_mmol", parse.glucose_mmol(norm))
    _set_fact(state, "heart_rate_bpm", parse.heart_rate_bpm(norm))
    _set_fact(state, "respiratory_rate", parse.respiratory_rate(norm))
    _set_fact(state, "oxygen_saturation", parse.oxygen_saturation(norm))
    pressure = parse.blood_pressure(norm)
    if pressure:
        _set_fact(state, "bp_systolic", pressure[0])
        _set_fact(state, "bp_diastolic", pressure[1])
    weeks = parse.gestation_weeks(norm)
    if weeks is not None:
        state.facts["gestation_weeks"] = {"value": weeks, "evidence": f"{weeks} weeks"}
    readings = parse.temperature_c(norm)
    if readings:
        _set_fact(state, "temperature_max_c", max(readings, key=lambda r: r.value), keep_max=True)
        _set_fact(state, "temperature_min_c", min(readings, key=lambda r: r.value), keep_min=True)
    state.sex = parse.sex(norm) or state.sex
    if state.present("pregnancy_mention"):
        state.sex = "female"
    _merge_lists(state, norm, mentions, kb)


def _set_fact(
    state: IntakeState, name: str, fact: parse.Fact | None, keep_max: bool = False, keep_min: bool = False
) -> None:
    if fact is None:
        return
    old = state.fact(name)
    if old is not None and ((keep_max and old >= fact.value) or (keep_min and old <= fact.value)):
        return
    state.facts[name] = {"value": fact.value, "evidence": fact.evidence}


def _merge_lists(state: IntakeState, norm: str, mentions: list[Mention], kb: Knowledge) -> None:
    medicines = [m.text for m in mentions if m.affirmed and kb.concepts[m.code].kind == "medication"]
    if medicines:
        state.medications = list(dict.fromkeys((state.medications or []) + medicines))
    allergies = parse.allergies(norm)
    if allergies is not None:
        state.allergies = list(dict.fromkeys((state.allergies or []) + allergies))


def _merge_slots(state: IntakeState, norm: str, mentions: list[Mention]) -> None:
    """Volunteered SOCRATES details fill their slots, so the interview doesn't ask for them again."""
    affirmed = {m.code: m.text for m in mentions if m.affirmed}
    character = parse.pain_character(norm)
    if character and "character" not in state.slots:
        state.slots["character"] = character
    if "sudden_onset" in affirmed and "onset" not in state.slots:
        state.slots["onset"] = affirmed["sudden_onset"]
    for slot, codes in (("radiation", _RADIATION_CONCEPTS), ("timing", _TIMING_CONCEPTS)):
        words = [affirmed[c] for c in codes if c in affirmed]
        if words and slot not in state.slots:
            state.slots[slot] = ", ".join(words)


def symptom_codes(state: IntakeState, kb: Knowledge | None = None) -> list[str]:
    kb = kb or knowledge()
    return [code for code in state.findings if kb.concepts[code].kind in SYMPTOM_KINDS]
