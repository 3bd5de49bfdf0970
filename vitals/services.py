"""Verbs on vitals: open a scan, record its reading."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consultations.models import Consultation
from vitals.models import VitalSign, VitalsScan


def start_scan(
    patient: User, *, consultation: Consultation | None = None, device: str = "", method: str = ""
) -> VitalsScan:
    if consultation is not None and consultation.patient_id != patient.pk:
        consultation = None
    return VitalsScan.objects.create(patient=patient, consultation=consultation, device=device[:200], method=method)


@transaction.atomic
def record_heart_rate(scan: VitalsScan, result: Any) -> VitalSign:
    """Store the outcome; an unacceptable measurement is kept as such, with no value shown as valid."""
    quality = result.to_dict()["quality"]
    acceptable = bool(quality["acceptable"])
    reading, _ = VitalSign.objects.update_or_create(
        scan=scan,
        defaults={
            "patient": scan.patient,
            "consultation": scan.consultation,
            "value": result.heart_rate_bpm if acceptable else None,
            "acceptable": acceptable,
            "quality_reason": (quality.get("reason") or "")[:200],
            "snr_db": quality.get("snr_db"),
            "method": result.method,
            "device": scan.device,
            "duration_s": result.duration_s,
        },
    )
    scan.status = VitalsScan.Status.DONE if acceptable else VitalsScan.Status.FAILED
    scan.method = result.method
    scan.finished_at = timezone.now()
    scan.save(update_fields=["status", "method", "finished_at"])
    return reading
