from django.contrib import admin

from accounts.admin_mixins import PatientScopedAdmin
from vitals.models import VitalSign


@admin.register(VitalSign)
class VitalSignAdmin(PatientScopedAdmin):
    list_display = ("patient", "name", "value", "unit", "acceptable", "snr_db", "method", "measured_at")
    list_filter = ("acceptable", "method", "loinc")
    search_fields = ("patient__email", "patient__full_name")
    readonly_fields = (
        "patient",
        "scan",
        "consultation",
        "loinc",
        "name",
        "value",
        "unit",
        "acceptable",
        "quality_reason",
        "snr_db",
        "method",
        "device",
        "duration_s",
    )
