"""Writing the PHI access log: who looked at which patient's what, when, from where."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import AuditAction, PHIAccessLog, User


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")) or None


def record_phi_access(
    actor: Any,
    patient: User,
    what: str,
    action: str = AuditAction.VIEW,
    request: HttpRequest | None = None,
    *,
    path: str = "",
    ip_address: str | None = None,
) -> PHIAccessLog | None:
    """Log a staff member's access to a patient's data; a patient reading their own is not logged."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.pk == patient.pk:
        return None
    return PHIAccessLog.objects.create(
        actor=actor,
        actor_email=actor.email,
        actor_role=actor.role,
        patient=patient,
        action=action,
        what=what[:200],
        path=(request.get_full_path() if request is not None else path)[:500],
        ip_address=ip_address or _client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
    )
