from django.contrib import admin

from accounts.admin_mixins import PatientScopedAdmin
from consultations.models import Consultation, TriageAssessment, Turn


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    can_delete = False
    fields = ("index", "speaker", "text", "input_mode", "interrupted", "voice_to_voice_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class AssessmentInline(admin.TabularInline):
    model = TriageAssessment
    extra = 0
    can_delete = False
    fields = ("created_at", "level", "is_emergency", "red_flags", "reasons", "advice")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Consultation)
class ConsultationAdmin(PatientScopedAdmin):
    list_display = ("id", "patient", "started_at", "status", "triage_level", "chief_complaint")
    list_filter = ("status", "triage_level")
    search_fields = ("patient__email", "patient__full_name", "chief_complaint")
    readonly_fields = ("patient", "started_at", "ended_at", "summary", "summary_text", "intake_state")
    inlines = [AssessmentInline, TurnInline]
