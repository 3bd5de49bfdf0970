"""Consultations: a conversation between a patient and the assistant, turn by turn."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class TriageLevel(models.TextChoices):
    EMERGENCY_AMBULANCE = "emergency_ambulance", "Call an ambulance now"
    EMERGENCY = "emergency", "Go to the emergency department"
    CONSULTATION_24 = "consultation_24", "See a doctor within 24 hours"
    CONSULTATION = "consultation", "Book a doctor's appointment"
    SELF_CARE = "self_care", "Self-care"


class Consultation(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "In progress"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    triage_level = models.CharField(max_length=32, choices=TriageLevel.choices, blank=True)
    chief_complaint = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Structured clinician summary (SOAP).")
    summary_text = models.TextField(blank=True)
    intake_state = models.JSONField(default=dict, blank=True, help_text="The intake engine's interview state.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Consultation {self.pk} with {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", args=[self.pk])


class Turn(models.Model):
    class Speaker(models.TextChoices):
        PATIENT = "patient", "Patient"
        ASSISTANT = "assistant", "Assistant"

    class InputMode(models.TextChoices):
        VOICE = "voice", "Voice"
        TEXT = "text", "Typed"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField(help_text="Turn number within the consultation, from 1.")
    speaker = models.CharField(max_length=16, choices=Speaker.choices)
    text = models.TextField()
    input_mode = models.CharField(max_length=8, choices=InputMode.choices, default=InputMode.VOICE)
    interrupted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Stage timings of the assistant turn (milliseconds from the patient's end of speech).
    stt_ms = models.FloatField(null=True, blank=True)
    llm_first_token_ms = models.FloatField(null=True, blank=True)
    first_sentence_ms = models.FloatField(null=True, blank=True)
    tts_first_byte_ms = models.FloatField(null=True, blank=True)
    voice_to_voice_ms = models.FloatField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["consultation", "index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "index", "speaker"], name="unique_turn_per_speaker")
        ]

    def __str__(self) -> str:
        return f"{self.speaker} turn {self.index}"


class TriageAssessment(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="assessments")
    turn_index = models.PositiveIntegerField(null=True, blank=True)
    level = models.CharField(max_length=32, choices=TriageLevel.choices)
    red_flags = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    advice = models.TextField(blank=True)
    is_emergency = models.BooleanField(default=False)
    read_more = models.JSONField(default=list, blank=True, help_text="MedlinePlus topics: [{title, url}]")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} (consultation {self.consultation_id})"
