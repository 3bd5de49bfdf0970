"""Every URL and WebSocket route that shows patient data, walked with five kinds of visitor.

The walk starts from the URL resolver itself: a URL added later that is in none of the lists
below fails ``test_every_url_is_classified`` until someone decides who may see it and adds it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import Cast, login_verified
from consultations.models import Consultation
from reports.models import MedicalReport
from vitals.models import VitalsScan

pytestmark = pytest.mark.django_db

PUBLIC_URLS = {"landing", "healthz", "home"}
PUBLIC_NAMESPACES = {"accounts", "knowledge"}  # log-in pages and the public-domain health library
SELF_URLS = {"portal", "profile", "access_log", "vitals:history", "vitals:measure"}  # the patient's own pages, no id
STAFF_URLS = {"clinician_home"}  # lists only the clinician's own patients
CREATE_URLS = {"consultations:start", "vitals:create_scan"}  # POST-only, create a record for the caller


def _consultation(cast: Cast) -> dict[str, Any]:
    return {"consultation_id": Consultation.objects.create(patient=cast.patient).pk}


def _report(cast: Cast) -> dict[str, Any]:
    report = MedicalReport(
        patient=cast.patient, kind="pdf", content_type="application/pdf", size_bytes=8, sha256="0" * 64
    )
    report.file.save("upload", ContentFile(b"%PDF-1.4"), save=True)
    return {"report_id": report.pk}


def _scan(cast: Cast) -> dict[str, Any]:
    return {"scan_id": VitalsScan.objects.create(patient=cast.patient).pk}


PATIENT_RECORD_URLS: dict[str, Callable[[Cast], dict[str, Any]]] = {
    "clinician_patient": lambda cast: {"patient_id": cast.patient.pk},
    "consultations:detail": _consultation,
    "consultations:summary": _consultation,
    "reports:upload": lambda cast: {"patient_id": cast.patient.pk},
    "reports:detail": _report,
    "reports:status": _report,
    "reports:download": _report,
    "vitals:scan": _scan,
}
# Pages for the patient alone (the clinician sees the same data through other pages).
OWNER_ONLY_RECORD_URLS: set[str] = set()


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def _project_url_names() -> set[str]:
    return {name for name in _walk(get_resolver().url_patterns) if not name.startswith("admin:")}


def test_every_url_is_classified() -> None:
    classified = PUBLIC_URLS | SELF_URLS | STAFF_URLS | CREATE_URLS | set(PATIENT_RECORD_URLS)
    unclassified = {
        name for name in _project_url_names() if name not in classified and name.split(":")[0] not in PUBLIC_NAMESPACES
    }
    assert not unclassified, f"URLs with no access decision in the matrix: {sorted(unclassified)}"


def _visitor(cast: Cast, who: str) -> Client:
    client = Client()
    return client if who == "anonymous" else login_verified(client, getattr(cast, who))


EXPECTED = {
    "patient": 200,
    "clinician": 200,
    "admin": 200,
    "unassigned_clinician": 404,
    "other_patient": 404,
}


@pytest.mark.parametrize("who", [*EXPECTED, "anonymous"])
@pytest.mark.parametrize("name", sorted(PATIENT_RECORD_URLS))
def test_patient_record_url(cast: Cast, name: str, who: str) -> None:
    url = reverse(name, kwargs=PATIENT_RECORD_URLS[name](cast))
    response = _visitor(cast, who).get(url)
    if who == "anonymous":
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    elif name == "clinician_patient" and who == "patient":
        assert response.status_code == 404  # patients have no clinician view of themselves
    else:
        assert response.status_code == EXPECTED[who], f"{who} on {name}"


@pytest.mark.parametrize("name", sorted(SELF_URLS | STAFF_URLS))
def test_own_pages_need_login(cast: Cast, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", sorted(SELF_URLS))
def test_a_patients_own_pages_show_only_their_data(cast: Cast, name: str) -> None:
    response = _visitor(cast, "patient").get(reverse(name))
    assert response.status_code == 200
    assert cast.other_patient.email not in response.content.decode()


def test_clinician_home_lists_only_the_care_team(cast: Cast) -> None:
    page = _visitor(cast, "clinician").get(reverse("clinician_home")).content.decode()
    assert cast.patient.email in page and cast.other_patient.email not in page


def test_unverified_clinician_sees_no_patient_record(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.clinician)
    response = client.get(reverse("clinician_patient", kwargs={"patient_id": cast.patient.pk}))
    assert response.status_code == 302 and "/accounts/mfa/" in response["Location"]


@pytest.mark.parametrize("name", sorted(CREATE_URLS))
def test_create_urls_need_login(cast: Cast, name: str) -> None:
    response = Client().post(reverse(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
