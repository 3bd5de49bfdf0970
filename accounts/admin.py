from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.admin_mixins import PatientScopedAdmin
from accounts.models import CareTeamMembership, ClinicianProfile, PatientProfile, PHIAccessLog, Role, User
from accounts.types import user_role


class AdminRoleOnly(admin.ModelAdmin):
    """Accounts and care teams: managed by administrators only (they hold no clinical data)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_role(request) == Role.ADMIN

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN

    def has_add_permission(self, request: HttpRequest) -> bool:
        return user_role(request) == Role.ADMIN

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN


@admin.register(User)
class UserAdmin(AdminRoleOnly, BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)


@admin.register(PatientProfile)
class PatientProfileAdmin(PatientScopedAdmin):
    patient_field = "user"
    list_display = ("user", "date_of_birth", "sex", "phone")
    search_fields = ("user__email", "user__full_name")


@admin.register(CareTeamMembership)
class CareTeamAdmin(AdminRoleOnly):
    list_display = ("patient", "clinician", "added_at")
    autocomplete_fields = ["patient", "clinician"]


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(AdminRoleOnly):
    list_display = ("user", "specialty", "licence_number")


@admin.register(PHIAccessLog)
class PHIAccessLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ("at", "actor_email", "actor_role", "action", "patient", "what", "ip_address")
    list_filter = ("action", "actor_role")
    search_fields = ("actor_email", "patient__email", "what")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_role(request) == Role.ADMIN

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_role(request) == Role.ADMIN

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
