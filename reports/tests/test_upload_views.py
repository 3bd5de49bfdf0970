from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import PHIAccessLog
from conftest import Cast, login_verified
from reports.models import LabResult, MedicalReport, ReportAnalysis
from reports.tests.support import lab_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(client: Client, patient_id: int, *files: SimpleUploadedFile) -> object:
    return client.post(
        reverse("reports:upload", args=[patient_id]), {"files": list(files)}, HTTP_ACCEPT="application/json"
    )


def test_patient_upload_is_stored_analysed_and_shown(cast: Cast) -> None:
    client = login_verified(Client(), cast.patient)
    response = _upload(client, cast.patient.pk, SimpleUploadedFile("my blood test.pdf", lab_pdf(), "application/pdf"))
    outcome = response.json()["files"][0]
    assert response.status_code == 200 and outcome["ok"] and not outcome["duplicate"]
    report = MedicalReport.objects.get(pk=outcome["report"])
    assert report.status == "done" and "blood" not in report.file.name
    hb = LabResult.objects.get(analysis__report=report, loinc="718-7")
    assert (hb.value, hb.flag) == (10.2, "low")
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "10.2" in page and "Low" in page


def test_same_file_twice_is_recognised_and_not_analysed_again(cast: Cast) -> None:
    client = login_verified(Client(), cast.patient)
    data = lab_pdf()
    first = _upload(client, cast.patient.pk, SimpleUploadedFile("a.pdf", data)).json()["files"][0]
    second = _upload(client, cast.patient.pk, SimpleUploadedFile("b.pdf", data)).json()["files"][0]
    assert second["duplicate"] and second["report"] == first["report"]
    assert ReportAnalysis.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", b"just some text, not a pdf", "not a PDF, PNG, JPEG"),
        ("empty.pdf", b"", "empty"),
        ("broken.pdf", b"%PDF-1.4\n%garbage that is not a pdf body", ""),
    ],
)
def test_bad_files_get_a_clear_error_and_store_nothing(cast: Cast, name: str, data: bytes, message: str) -> None:
    client = login_verified(Client(), cast.patient)
    response = _upload(client, cast.patient.pk, SimpleUploadedFile(name, data))
    outcome = response.json()["files"][0]
    assert response.status_code == 400 and not outcome["ok"] and outcome["error"]
    assert message.lower() in outcome["error"].lower()
    assert not MedicalReport.objects.exists()


def test_one_bad_file_does_not_lose_the_good_one(cast: Cast) -> None:
    client = login_verified(Client(), cast.patient)
    response = _upload(
        client,
        cast.patient.pk,
        SimpleUploadedFile("bad.pdf", b"\x00\x01garbage"),
        SimpleUploadedFile("good.pdf", lab_pdf()),
    )
    bad, good = response.json()["files"]
    assert not bad["ok"] and good["ok"] and MedicalReport.objects.count() == 1


def test_assigned_clinician_can_upload_for_their_patient_and_it_is_audited(cast: Cast) -> None:
    client = login_verified(Client(), cast.clinician)
    outcome = _upload(client, cast.patient.pk, SimpleUploadedFile("r.pdf", lab_pdf())).json()["files"][0]
    report = MedicalReport.objects.get(pk=outcome["report"])
    assert report.patient == cast.patient and report.uploaded_by == cast.clinician
    assert PHIAccessLog.objects.filter(actor=cast.clinician, patient=cast.patient, action="create").exists()


def test_unassigned_clinician_cannot_upload(cast: Cast) -> None:
    client = login_verified(Client(), cast.unassigned_clinician)
    response = _upload(client, cast.patient.pk, SimpleUploadedFile("r.pdf", lab_pdf()))
    assert response.status_code == 404 and not MedicalReport.objects.exists()


def test_local_download_streams_the_file_with_a_neutral_name(cast: Cast) -> None:
    client = login_verified(Client(), cast.patient)
    data = lab_pdf()
    report_id = _upload(client, cast.patient.pk, SimpleUploadedFile("Jane Doe HIV test.pdf", data)).json()["files"][0][
        "report"
    ]
    response = client.get(reverse("reports:download", args=[report_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert response["Content-Disposition"] == f'attachment; filename="lab-report-{report_id}.pdf"'
