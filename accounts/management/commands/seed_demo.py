"""Create (or refresh) the demo accounts and print how to log in."""

from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import services
from accounts.models import ClinicianProfile, PatientProfile, Role, User

DEMO_PASSWORD = "healthhelper-demo"


class Command(BaseCommand):
    help = "Create the demo patient, second patient, clinician (with MFA) and admin; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for all demo accounts.")

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        patient = self._user("patient@example.com", "Pat Example", Role.PATIENT, password)
        self._user("patient2@example.com", "Sam Second", Role.PATIENT, password)
        clinician = self._user("clinician@example.com", "Dr Casey Clinician", Role.CLINICIAN, password)
        admin = self._user("admin@example.com", "Alex Admin", Role.ADMIN, password)
        services.assign_to_care_team(clinician, patient)
        secrets = {user.email: self._totp_secret(user) for user in (clinician, admin)}
        self._print_logins(password, secrets)

    def _user(self, email: str, name: str, role: str, password: str) -> User:
        staff = role != Role.PATIENT
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={
                "full_name": name,
                "role": role,
                "is_staff": staff,
                "is_superuser": role == Role.ADMIN,
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save()
        if role == Role.PATIENT:
            PatientProfile.objects.get_or_create(user=user)
        elif role == Role.CLINICIAN:
            ClinicianProfile.objects.get_or_create(
                user=user, defaults={"specialty": "General practice", "licence_number": "DEMO-0001"}
            )
        return user

    def _totp_secret(self, user: User) -> str:
        device = services.confirmed_totp_device(user)
        if device is None:
            device = services.pending_totp_device(user)
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        return base64.b32encode(device.bin_key).decode()

    def _print_logins(self, password: str, secrets: dict[str, str]) -> None:
        write = self.stdout.write
        write(f"Demo logins (password for all: {password})")
        write("  patient    patient@example.com   (has a care team)")
        write("  patient    patient2@example.com")
        for email, secret in secrets.items():
            write(f"  {'clinician' if email.startswith('clinician') else 'admin':<10} {email:<21} TOTP secret {secret}")
        write("Clinicians and admins confirm sign-in with a 6-digit code: add the TOTP secret to an authenticator")
        write("app, or print the current code with:  python manage.py totp_code clinician@example.com")
