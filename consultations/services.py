"""Verbs on consultations: start, record turns and assessments, end. Consumers and views call these."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from consultations.models import Consultation, TriageAssessment, TriageLevel, Turn

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
    timings = timings or {}
    fields: dict[str, Any] = {
        "text": text,
        "input_mode": input_mode,
        "interrupted": interrupted,
        "timings": timings,
        **{
            name: timings.get(name)
            for name in ("stt_ms", "llm_first_token_ms", "first_sentence_ms", "tts_first_byte_ms", "voice_to_voice_ms")
        },
    }
    index = _free_slot(consultation, index, speaker, text)
    turn, _ = Turn.objects.update_or_create(consultation=consultation, index=index, speaker=speaker, defaults=fields)
    return turn


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
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if LEVEL_URGENCY.get(level, -1) >= LEVEL_URGENCY.get(locked.triage_level, -1):
        locked.triage_level = level
    if summary is not None:
        locked.summary, locked.summary_text = summary, summary_text
    if intake_state is not None:
        locked.intake_state = intake_state
    if chief_complaint and not locked.chief_complaint:
        locked.chief_complaint = chief_complaint[:200]
    locked.save()
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
