"""Verbs on accounts: sign-up, care teams, MFA enrolment. Views and commands call these."""

from __future__ import annotations

import secrets
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import CareTeamMembership, ClinicianProfile, PatientProfile, Role, User

RECOVERY_CODE_COUNT = 10


@transaction.atomic
def register_patient(
    email: str, password: str, full_name: str = "", date_of_birth: date | None = None, sex: str = "unknown"
) -> User:
    user = User.objects.create_user(email=email, password=password, full_name=full_name, role=Role.PATIENT)
    PatientProfile.objects.create(user=user, date_of_birth=date_of_birth, sex=sex)
    return user


@transaction.atomic
def register_clinician(
    email: str, password: str, full_name: str = "", specialty: str = "", licence_number: str = ""
) -> User:
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name, role=Role.CLINICIAN, is_staff=True
    )
    ClinicianProfile.objects.create(user=user, specialty=specialty, licence_number=licence_number)
    return user


def assign_to_care_team(clinician: User, patient: User) -> CareTeamMembership:
    if clinician.role != Role.CLINICIAN or patient.role != Role.PATIENT:
        raise ValueError("A care team links a clinician to a patient")
    membership, _ = CareTeamMembership.objects.get_or_create(clinician=clinician, patient=patient)
    return membership


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device shown during set-up (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh single-use ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def confirm_totp_device(device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True
