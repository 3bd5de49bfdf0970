from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import AppendOnlyError, PHIAccessLog
from conftest import Cast, login_verified

pytestmark = pytest.mark.django_db


def test_clinician_opening_a_patient_writes_an_audit_row(cast: Cast) -> None:
    login_verified(Client(), cast.clinician).get(
        reverse("clinician_patient", args=[cast.patient.pk]), HTTP_USER_AGENT="pytest"
    )
    row = PHIAccessLog.objects.get(patient=cast.patient)
    assert (row.actor, row.action, row.what, row.user_agent) == (
        cast.clinician,
        "view",
        f"patient record {cast.patient.pk}",
        "pytest",
    )
    assert row.ip_address == "127.0.0.1"


def test_a_patient_reading_their_own_record_is_not_logged(cast: Cast) -> None:
    login_verified(Client(), cast.patient).get(reverse("portal"))
    assert not PHIAccessLog.objects.exists()


def test_patient_sees_who_viewed_their_record(cast: Cast) -> None:
    login_verified(Client(), cast.clinician).get(reverse("clinician_patient", args=[cast.patient.pk]))
    page = login_verified(Client(), cast.patient).get(reverse("access_log")).content.decode()
    assert cast.clinician.full_name in page


def test_admin_reading_patient_profiles_in_the_admin_is_audited(cast: Cast) -> None:
    client = login_verified(Client(), cast.admin)
    assert client.get(reverse("admin:accounts_patientprofile_changelist")).status_code == 200
    assert PHIAccessLog.objects.filter(actor=cast.admin, patient=cast.patient).exists()


def test_admin_lists_only_care_team_patients_for_a_clinician(cast: Cast) -> None:
    page = login_verified(Client(), cast.clinician).get(reverse("admin:accounts_patientprofile_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert cast.patient.full_name in text and cast.other_patient.full_name not in text


def test_admin_requires_mfa(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:mfa_setup") + "?next=%2Fadmin%2F"


def test_audit_rows_cannot_be_changed_or_deleted(cast: Cast) -> None:
    login_verified(Client(), cast.clinician).get(reverse("clinician_patient", args=[cast.patient.pk]))
    row = PHIAccessLog.objects.get()
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_postgres_refuses_raw_updates_of_the_audit_log(cast: Cast) -> None:
    login_verified(Client(), cast.clinician).get(reverse("clinician_patient", args=[cast.patient.pk]))
    with pytest.raises(DatabaseError), transaction.atomic():
        PHIAccessLog.objects.update(what="tampered")
