"""The one door to patient data.

Every view, WebSocket consumer, admin queryset and file download asks this module
whether a user may see a patient's records. The rule:

* a patient sees only their own records;
* a clinician sees only patients on their care team, and only after passing MFA;
* an admin sees all patients, after passing MFA;
* anyone else gets a 404 (never a 403: we don't confirm that a record exists).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import Role, User

M = TypeVar("M", bound=Model)


def is_mfa_verified(user: Any) -> bool:
    """True when the user passed TOTP in this session (django-otp sets ``is_verified``)."""
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else False


def may_see_patient_data(user: Any) -> bool:
    """Staff must be MFA-verified before any patient data; patients need only be logged in."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.needs_mfa:
        return is_mfa_verified(user)
    return True


def visible_patients(user: Any) -> QuerySet[User]:
    """The patients whose records ``user`` may see (possibly none)."""
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    if not may_see_patient_data(user):
        return patients.none()
    if user.role == Role.ADMIN:
        return patients
    if user.role == Role.CLINICIAN:
        return patients.filter(care_team__clinician=user)
    return patients.filter(pk=user.pk)


def can_view(user: Any, patient: User) -> bool:
    return visible_patients(user).filter(pk=patient.pk).exists()


def get_patient_or_404(user: Any, patient_id: Any) -> User:
    try:
        return visible_patients(user).get(pk=int(patient_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise Http404("No such patient") from None


def scope_to_user(user: Any, queryset: QuerySet[M], patient_field: str = "patient") -> QuerySet[M]:
    """Limit any queryset of patient-owned records to what ``user`` may see."""
    return queryset.filter(**{f"{patient_field}__in": visible_patients(user)})


def get_record_or_404(user: Any, queryset: QuerySet[M], patient_field: str = "patient", **lookup: Any) -> M:
    """Fetch one patient-owned record (consultation, report, scan...) for ``user`` or 404."""
    try:
        return scope_to_user(user, queryset, patient_field).get(**lookup)
    except (ObjectDoesNotExist, TypeError, ValueError):
        raise Http404("No such record") from None


def get_own_record_or_404(user: Any, queryset: QuerySet[M], patient_field: str = "patient", **lookup: Any) -> M:
    """Records only their owner may act on (e.g. talking in a consultation, taking a scan)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PATIENT:
        raise Http404("No such record")
    return get_record_or_404(user, queryset, patient_field, **lookup)
