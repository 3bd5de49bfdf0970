"""Verbs on consultations: start, record turns and assessments, end. Consumers and views call these."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Value, When
from django.utils import timezone

from accounts.models import User
from consultations import intake
from consultations.models import Consultation, TriageAssessment, TriageLevel, Turn

logger = logging.getLogger(__name__)

# Higher index = more urgent; a consultation's level only ever goes up.
LEVEL_URGENCY: dict[str, int] = {
    TriageLevel.SELF_CARE: 0,
    TriageLevel.CONSULTATION: 1,
    TriageLevel.CONSULTATION_24: 2,
    TriageLevel.EMERGENCY: 3,
    TriageLevel.EMERGENCY_AMBULANCE: 4,
}


def start_consultation(patient: User) -> Consultation:
    return Consultation.objects.create(patient=patient)


def next_turn_index(consultation: Consultation) -> int:
    last = consultation.turns.aggregate(last=Max("index"))["last"]
    return (last or 0) + 1


TIMING_FIELDS = ("stt_ms", "llm_first_token_ms", "first_sentence_ms", "tts_first_byte_ms", "voice_to_voice_ms")


@dataclass(frozen=True)
class TurnSide:
    """What one speaker said in turn ``index``, as the voice pipeline reports it."""

    index: int
    speaker: str
    text: str
    input_mode: str = Turn.InputMode.VOICE
    interrupted: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        timings = dict(self.timings)
        return {
            "text": self.text,
            "input_mode": self.input_mode,
            "interrupted": self.interrupted,
            "timings": timings,
            **{name: timings.get(name) for name in TIMING_FIELDS},
        }


def record_turn(
    consultation: Consultation,
    index: int,
    speaker: str,
    text: str,
    *,
    input_mode: str = Turn.InputMode.VOICE,
    interrupted: bool = False,
    timings: dict[str, float] | None = None,
) -> Turn:
    """Save one side of a turn; saving the same (index, speaker) twice updates it (reconnect-safe)."""
    side = TurnSide(index, speaker, text, input_mode, interrupted, dict(timings or {}))
    index = _free_slot(consultation, index, speaker, text)
    turn, _ = Turn.objects.update_or_create(
        consultation=consultation, index=index, speaker=speaker, defaults=side.fields()
    )
    return turn


def record_turns(consultation: Consultation, sides: Sequence[TurnSide]) -> list[Turn]:
    """Save several sides at once: one read and one insert in the usual case, same rules as ``record_turn``.

    The voice consumer saves every exchange this way; under load, each round trip to the database
    costs the web process time that the patients' audio needs.
    """
    if not sides:
        return []
    taken = {
        (index, speaker): (pk, text)
        for pk, index, speaker, text in Turn.objects.filter(
            consultation=consultation, index__gte=min(side.index for side in sides)
        ).values_list("pk", "index", "speaker", "text")
    }
    new, changed = [], []
    for side in sides:
        index = side.index
        while (index, side.speaker) in taken and taken[index, side.speaker][1] != side.text:
            index += 1
        turn = Turn(consultation=consultation, index=index, speaker=side.speaker, **side.fields())
        if (index, side.speaker) in taken:
            turn.pk = taken[index, side.speaker][0]
            changed.append(turn)
        else:
            new.append(turn)
        taken[index, side.speaker] = (turn.pk, side.text)
    try:
        with transaction.atomic():
            Turn.objects.bulk_create(new)
            if changed:
                Turn.objects.bulk_update(changed, [name for name in TurnSide(0, "", "").fields()])
    except IntegrityError:  # another connection to this consultation saved a turn meanwhile
        return [
            record_turn(
                consultation,
                side.index,
                side.speaker,
                side.text,
                input_mode=side.input_mode,
                interrupted=side.interrupted,
                timings=side.timings,
            )
            for side in sides
        ]
    return [*new, *changed]


def _free_slot(consultation: Consultation, index: int, speaker: str, text: str) -> int:
    """The index to save at: the same turn again (a reconnect re-saving it) or the first free one.

    Two connections to one consultation (a dropped socket and its reconnection, possibly on another
    node) can both number a turn N; the later one moves up instead of overwriting what was said.
    """
    taken = dict(
        Turn.objects.filter(consultation=consultation, speaker=speaker, index__gte=index).values_list("index", "text")
    )
    while index in taken and taken[index] != text:
        index += 1
    return index


@transaction.atomic
def record_assessment(
    consultation: Consultation,
    *,
    level: str,
    red_flags: list[dict[str, str]],
    reasons: list[str],
    advice: str,
    is_emergency: bool,
    turn_index: int | None = None,
    summary: dict[str, Any] | None = None,
    summary_text: str = "",
    intake_state: dict[str, Any] | None = None,
    chief_complaint: str = "",
    read_more: list[dict[str, str]] | None = None,
) -> TriageAssessment:
    newer_turn_assessed = turn_index is not None and consultation.assessments.filter(turn_index__gt=turn_index).exists()
    assessment = TriageAssessment.objects.create(
        consultation=consultation,
        read_more=read_more or [],
        turn_index=turn_index,
        level=level,
        red_flags=red_flags,
        reasons=reasons,
        advice=advice,
        is_emergency=is_emergency,
    )
    # One UPDATE, so concurrent assessments need no row lock: the level only ever goes up, and the
    # chief complaint is the first one heard.
    if newer_turn_assessed:  # a late save of an earlier turn: the newer summary stays
        summary = intake_state = None
    more_urgent = [name for name, urgency in LEVEL_URGENCY.items() if urgency > LEVEL_URGENCY.get(level, -1)]
    changes: dict[str, Any] = {
        "triage_level": Case(When(triage_level__in=more_urgent, then=F("triage_level")), default=Value(level))
        if more_urgent
        else level
    }
    if summary is not None:
        changes.update(summary=summary, summary_text=summary_text)
    if intake_state is not None:
        changes["intake_state"] = intake_state
    if chief_complaint:
        changes["chief_complaint"] = Case(
            When(chief_complaint="", then=Value(chief_complaint[:200])), default=F("chief_complaint")
        )
    Consultation.objects.filter(pk=consultation.pk).update(**changes)
    return assessment


def end_consultation(consultation: Consultation) -> Consultation:
    if consultation.status != Consultation.Status.ENDED:
        consultation.status = Consultation.Status.ENDED
        consultation.ended_at = timezone.now()
        consultation.save(update_fields=["status", "ended_at"])
    return consultation


def save_summary(
    consultation: Consultation, summary: dict[str, Any], summary_text: str, intake_state: dict[str, Any]
) -> None:
    consultation.summary, consultation.summary_text, consultation.intake_state = summary, summary_text, intake_state
    if not consultation.chief_complaint and summary.get("chief_complaint"):
        consultation.chief_complaint = str(summary["chief_complaint"])[:200]
    consultation.save(update_fields=["summary", "summary_text", "intake_state", "chief_complaint"])


def save_voice_events(batch: Sequence[tuple[int, Sequence[Mapping[str, Any]]]]) -> None:
    """``save_session_events`` for several consultations, in order (one web process's outbox flush).

    The consultations are read in one query: a flush carries dozens of them under load.
    """
    consultations = Consultation.objects.in_bulk({consultation_id for consultation_id, _ in batch})
    for consultation_id, events in batch:
        _save_events(consultations.get(consultation_id), consultation_id, events)


def save_session_events(consultation_id: int, events: Sequence[Mapping[str, Any]]) -> None:
    """Persist what a voice session reported, in order; one event that cannot be saved loses no other.

    ``{"kind": "turn", "sides": [TurnSide fields, ...]}`` saves an exchange;
    ``{"kind": "assessment", "level": ..., "turn": n, "intake_state": {...}, ...}`` records a triage
    assessment and the clinician summary of the interview state it carries.
    """
    _save_events(Consultation.objects.filter(pk=consultation_id).first(), consultation_id, events)


def _save_events(consultation: Consultation | None, consultation_id: int, events: Sequence[Mapping[str, Any]]) -> None:
    if consultation is None:
        logger.warning("consultation %s is gone; %d voice events dropped", consultation_id, len(events))
        return
    for event in events:
        try:
            if event["kind"] == "turn":
                record_turns(consultation, [TurnSide(**side) for side in event["sides"]])
            elif event["kind"] == "assessment":
                _record_session_assessment(consultation, event)
        except Exception:
            logger.exception("could not save a %s of consultation %s", event.get("kind"), consultation_id)


def _record_session_assessment(consultation: Consultation, event: Mapping[str, Any]) -> TriageAssessment:
    state = event.get("intake_state") or {}
    summary = intake.evaluate(intake.IntakeState.from_dict(state)).summary
    return record_assessment(
        consultation,
        level=event["level"],
        red_flags=event.get("red_flags", []),
        reasons=event.get("reasons", []),
        advice=event.get("advice", ""),
        is_emergency=event["level"] in (TriageLevel.EMERGENCY, TriageLevel.EMERGENCY_AMBULANCE),
        turn_index=event.get("turn"),
        summary=summary,
        summary_text=intake.render_summary_text(summary),
        intake_state=state,
        chief_complaint=summary.get("chief_complaint") or "",
        read_more=event.get("read_more", []),
    )
