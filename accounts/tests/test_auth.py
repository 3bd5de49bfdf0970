from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PatientProfile, Role, User
from accounts.tests.factories import PASSWORD, ClinicianFactory, PatientFactory, confirmed_totp

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str = PASSWORD) -> object:
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def _current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_signup_creates_a_patient_with_a_profile_and_logs_in(client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "New@Example.org",
            "full_name": "New Person",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "sex": "female",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal")
    user = User.objects.get(email="new@example.org")
    assert user.role == Role.PATIENT and PatientProfile.objects.filter(user=user).exists()
    assert client.get(reverse("portal")).status_code == 200


def test_signup_rejects_a_taken_email(client: Client) -> None:
    PatientFactory(email="taken@example.org")
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "taken@example.org",
            "full_name": "X",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "sex": "male",
        },
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()


def test_login_with_email_gives_a_new_session_key(client: Client) -> None:
    patient = PatientFactory()
    client.get(reverse("accounts:login"))
    before = client.session.session_key
    response = _login(client, patient.email)
    assert response.status_code == 302
    assert client.session.session_key != before


def test_repeated_failures_lock_the_account_then_the_cool_off_lifts_it(client: Client, settings: object) -> None:
    patient = PatientFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):  # type: ignore[attr-defined]
        _login(client, patient.email, "wrong-password")
    locked = _login(client, patient.email)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.content.decode()
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))  # type: ignore[attr-defined]
    assert _login(client, patient.email).status_code == 302


def test_clinician_must_pass_totp_before_seeing_patients(client: Client) -> None:
    clinician = ClinicianFactory()
    device = confirmed_totp(clinician)
    _login(client, clinician.email)
    blocked = client.get(reverse("clinician_home"))
    assert blocked.status_code == 302 and reverse("accounts:mfa_verify") in blocked["Location"]
    client.post(reverse("accounts:mfa_verify"), {"token": _current_code(device), "next": reverse("clinician_home")})
    assert client.get(reverse("clinician_home")).status_code == 200


def test_clinician_without_a_device_is_sent_to_set_up_and_gets_recovery_codes(client: Client) -> None:
    clinician = ClinicianFactory()
    _login(client, clinician.email)
    setup = client.get(reverse("clinician_home"))
    assert reverse("accounts:mfa_setup") in setup["Location"]
    assert "svg" in client.get(reverse("accounts:mfa_setup")).content.decode()
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    response = client.post(reverse("accounts:mfa_setup"), {"token": _current_code(device)})
    assert response.status_code == 200 and response.content.decode().count("<li><code>") == 10
    assert client.get(reverse("clinician_home")).status_code == 200


def test_a_recovery_code_works_once(client: Client) -> None:
    from accounts.services import issue_recovery_codes

    clinician = ClinicianFactory()
    confirmed_totp(clinician)
    code = issue_recovery_codes(clinician)[0]
    _login(client, clinician.email)
    assert client.post(reverse("accounts:mfa_verify"), {"token": code}).status_code == 302
    client.logout()
    _login(client, clinician.email)
    again = client.post(reverse("accounts:mfa_verify"), {"token": code})
    assert again.status_code == 200 and "not right" in again.content.decode()


def test_idle_session_is_logged_off(client: Client, settings: object) -> None:
    from accounts.middleware import LAST_ACTIVITY_KEY

    patient = PatientFactory()
    client.force_login(patient)
    session = client.session
    session[LAST_ACTIVITY_KEY] = timezone.now().timestamp() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5  # type: ignore[attr-defined]
    session.save()
    response = client.get(reverse("portal"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_password_reset_sends_a_link_by_email(client: Client, mailoutbox: list) -> None:
    patient = PatientFactory()
    client.post(reverse("accounts:password_reset"), {"email": patient.email})
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body
