"""Vital signs measured by the patient, e.g. heart rate from the camera (rPPG)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

HEART_RATE_LOINC = "8867-4"


class VitalsScan(models.Model):
    """One camera measurement session."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not started"
        MEASURING = "measuring", "Measuring"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vitals_scans")
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.SET_NULL, null=True, blank=True, related_name="vitals_scans"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=40, blank=True)
    device = models.CharField(max_length=200, blank=True, help_text="Browser / camera description")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Vitals scan {self.pk} of {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("vitals:scan", args=[self.pk])


class VitalSign(models.Model):
    """An observation (FHIR-like): code, value, unit, quality and how it was measured."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vital_signs")
    scan = models.OneToOneField(VitalsScan, on_delete=models.CASCADE, null=True, blank=True, related_name="reading")
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.SET_NULL, null=True, blank=True, related_name="vital_signs"
    )
    loinc = models.CharField(max_length=16, default=HEART_RATE_LOINC)
    name = models.CharField(max_length=60, default="Heart rate")
    value = models.FloatField(null=True, blank=True, help_text="Empty when the measurement was not acceptable")
    unit = models.CharField(max_length=16, default="/min")
    acceptable = models.BooleanField(default=False)
    quality_reason = models.CharField(max_length=200, blank=True)
    snr_db = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=40)
    device = models.CharField(max_length=200, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    measured_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at"]

    def __str__(self) -> str:
        shown = f"{self.value:.0f} {self.unit}" if self.acceptable and self.value is not None else "not acceptable"
        return f"{self.name}: {shown}"
