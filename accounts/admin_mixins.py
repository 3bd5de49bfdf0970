"""Admin classes for patient-owned records: scoped by the access module, every read audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from accounts import access
from accounts.audit import record_phi_access
from accounts.models import AuditAction, Role, User
from accounts.types import user_role

STAFF_ROLES = (Role.CLINICIAN, Role.ADMIN)


class PatientScopedAdmin(admin.ModelAdmin):
    """Clinicians see (read-only) only their patients' rows; admins see and change all."""

    patient_field = "patient"

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope_to_user(request.user, super().get_queryset(request), self.patient_field)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_role(request) in STAFF_ROLES

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) in STAFF_ROLES

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN

    def patient_of(self, obj: Any) -> User:
        patient = obj
        for part in self.patient_field.split("__"):
            patient = getattr(patient, part)
        return patient

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            action = AuditAction.CHANGE if request.method == "POST" else AuditAction.VIEW
            what = f"{self.model._meta.verbose_name} {obj.pk} (admin)"
            record_phi_access(request.user, self.patient_of(obj), what, action=action, request=request)
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            shown = {self.patient_of(obj) for obj in changelist.result_list}
            what = f"{self.model._meta.verbose_name_plural} list (admin)"
            for patient in shown:
                record_phi_access(request.user, patient, what, request=request)
        return response
