"""Medical reports: the uploaded file, its analysis and the lab results found in it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


def report_storage_key(instance: MedicalReport, filename: str) -> str:
    """A server-generated key: never the user's file name (it can itself be PHI)."""
    extension = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "heic": "heic"}.get(instance.kind, "bin")
    return f"reports/{instance.patient_id}/{uuid.uuid4().hex}.{extension}"


class MedicalReport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Analysing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reports_uploaded"
    )
    file = models.FileField(upload_to=report_storage_key)
    original_name = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=8, help_text="pdf, png, jpeg or heic, from the file's content")
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField(default=1)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    failure_reason = models.TextField(blank=True)
    progress = models.FloatField(default=0.0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["patient", "sha256"], name="unique_report_per_patient")]

    def __str__(self) -> str:
        return f"Report {self.pk} of {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])


class ReportAnalysis(models.Model):
    report = models.OneToOneField(MedicalReport, on_delete=models.CASCADE, related_name="analysis")
    pages = models.PositiveIntegerField(default=0)
    text_chars = models.PositiveIntegerField(default=0)
    ocr_used = models.BooleanField(default=False)
    summary = models.TextField(blank=True)
    narrator = models.CharField(max_length=32, default="embedded")
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Analysis of report {self.report_id}"


class LabResult(models.Model):
    class Flag(models.TextChoices):
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"
        HIGH = "high", "High"
        CRITICAL_LOW = "critical_low", "Critically low"
        CRITICAL_HIGH = "critical_high", "Critically high"
        ABNORMAL = "abnormal", "Abnormal"

    analysis = models.ForeignKey(ReportAnalysis, on_delete=models.CASCADE, related_name="lab_results")
    analyte = models.CharField(max_length=120)
    loinc = models.CharField(max_length=16, blank=True)
    value = models.FloatField(null=True, blank=True)
    value_text = models.CharField(max_length=120, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    reference_low = models.FloatField(null=True, blank=True)
    reference_high = models.FloatField(null=True, blank=True)
    reference_text = models.CharField(max_length=500, blank=True)
    range_source = models.CharField(max_length=16, blank=True, help_text="printed, fallback or empty")
    flag = models.CharField(max_length=16, choices=Flag.choices, blank=True)
    page = models.PositiveIntegerField(default=1)
    info_title = models.CharField(max_length=200, blank=True)
    info_url = models.URLField(blank=True)

    class Meta:
        ordering = ["analysis", "page", "id"]

    def __str__(self) -> str:
        return f"{self.analyte} {self.value_text} {self.unit}"

    @property
    def is_abnormal(self) -> bool:
        return self.flag not in ("", self.Flag.NORMAL)
