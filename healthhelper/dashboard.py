"""What each app shows on a patient's page: the portal home and the clinician's patient page."""

from __future__ import annotations

from typing import Any

from accounts.models import User


def patient_sections(patient: User) -> dict[str, Any]:
    from consultations.models import Consultation
    from reports.models import MedicalReport
    from vitals.models import VitalSign

    return {
        "consultations": Consultation.objects.filter(patient=patient)[:20],
        "reports": MedicalReport.objects.filter(patient=patient).select_related("analysis")[:20],
        "vital_signs": VitalSign.objects.filter(patient=patient)[:20],
    }
