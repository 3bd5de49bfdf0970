from django.contrib import admin

from accounts.admin_mixins import PatientScopedAdmin
from reports.models import LabResult, MedicalReport, ReportAnalysis


@admin.register(MedicalReport)
class MedicalReportAdmin(PatientScopedAdmin):
    list_display = ("id", "patient", "uploaded_at", "status", "kind", "page_count")
    list_filter = ("status", "kind")
    search_fields = ("patient__email", "patient__full_name")
    readonly_fields = (
        "patient",
        "uploaded_by",
        "file",
        "kind",
        "content_type",
        "size_bytes",
        "sha256",
        "page_count",
        "uploaded_at",
    )
    exclude = ("original_name",)


class LabResultInline(admin.TabularInline):
    model = LabResult
    extra = 0
    can_delete = False
    fields = ("analyte", "loinc", "value_text", "unit", "reference_text", "flag", "range_source", "page")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReportAnalysis)
class ReportAnalysisAdmin(PatientScopedAdmin):
    patient_field = "report__patient"
    list_display = ("report", "created_at", "pages", "ocr_used", "narrator")
    readonly_fields = ("report", "pages", "text_chars", "ocr_used", "summary", "narrator", "warnings")
    inlines = [LabResultInline]
