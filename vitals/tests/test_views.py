"""The vitals pages: measuring, starting a scan, the history chart and a scan's detail."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast, login_verified
from consultations.models import Consultation
from vitals import services
from vitals.models import VitalSign, VitalsScan
from vitals.rppg import HeartRateResult

pytestmark = pytest.mark.django_db


def _reading(patient, bpm: float | None, *, acceptable: bool = True, reason: str = "") -> VitalSign:
    scan = services.start_scan(patient, method="embedded")
    result = HeartRateResult(
        heart_rate_bpm=bpm,
        snr_db=6.5 if acceptable else -4.0,
        acceptable=acceptable,
        reason=reason,
        duration_s=30.0,
        method="embedded",
        waveform=[],
    )
    return services.record_heart_rate(scan, result)


def _post_scan(client: Client, body: object) -> object:
    return client.post(reverse("vitals:create_scan"), json.dumps(body), content_type="application/json")


def test_patient_sees_the_measure_page_with_camera_controls(patient_client: Client) -> None:
    page = patient_client.get(reverse("vitals:measure")).content.decode()
    assert 'id="camera-on"' in page and 'id="camera"' in page
    assert "vitals/measure.js" in page
    assert "csrfmiddlewaretoken" in page


def test_measure_page_says_no_video_leaves_the_device_without_caire(patient_client: Client, settings) -> None:
    settings.CAIRE_API_KEY = ""
    page = patient_client.get(reverse("vitals:measure")).content.decode()
    assert "The video stays on your device" in page


def test_measure_page_tells_the_patient_about_caire_when_it_is_on(patient_client: Client, settings) -> None:
    settings.CAIRE_API_KEY = "caire-key"
    page = patient_client.get(reverse("vitals:measure")).content.decode()
    assert "CAIRE" in page and "The video stays on your device" not in page


def test_measure_page_carries_the_consultation_it_was_opened_from(patient_client: Client) -> None:
    page = patient_client.get(reverse("vitals:measure"), {"consultation": "42"}).content.decode()
    assert 'data-consultation="42"' in page


def test_clinician_gets_the_patients_only_page_for_measuring(clinician_client: Client) -> None:
    response = clinician_client.get(reverse("vitals:measure"))
    assert response.status_code == 404
    assert "This page is for patients" in response.content.decode()


def test_clinician_gets_the_patients_only_page_for_history(clinician_client: Client) -> None:
    assert clinician_client.get(reverse("vitals:history")).status_code == 404


def test_create_scan_answers_with_the_socket_to_stream_to(cast: Cast, patient_client: Client, settings) -> None:
    settings.CAIRE_API_KEY = ""
    response = _post_scan(patient_client, {"device": "Test camera 640x480@30"})
    assert response.status_code == 201
    body = response.json()
    scan = VitalsScan.objects.get(pk=body["scan"])
    assert body == {"scan": scan.pk, "ws_url": f"/ws/vitals/{scan.pk}/", "mode": "samples"}
    assert scan.patient == cast.patient and scan.device == "Test camera 640x480@30" and scan.method == "embedded"


def test_create_scan_asks_for_frames_when_caire_is_configured(patient_client: Client, settings) -> None:
    settings.CAIRE_API_KEY = "caire-key"
    body = _post_scan(patient_client, {}).json()
    assert body["mode"] == "frames"
    assert VitalsScan.objects.get(pk=body["scan"]).method == "caire"


def test_create_scan_links_the_patients_own_consultation(cast: Cast, patient_client: Client) -> None:
    consultation = Consultation.objects.create(patient=cast.patient)
    body = _post_scan(patient_client, {"consultation": consultation.pk}).json()
    assert VitalsScan.objects.get(pk=body["scan"]).consultation == consultation


def test_create_scan_ignores_another_patients_consultation(cast: Cast, patient_client: Client) -> None:
    theirs = Consultation.objects.create(patient=cast.other_patient)
    body = _post_scan(patient_client, {"consultation": theirs.pk}).json()
    assert VitalsScan.objects.get(pk=body["scan"]).consultation is None


def test_create_scan_rejects_a_body_that_is_not_json(patient_client: Client) -> None:
    response = patient_client.post(reverse("vitals:create_scan"), "{oops", content_type="application/json")
    assert response.status_code == 400 and not VitalsScan.objects.exists()


def test_clinician_cannot_create_a_scan(clinician_client: Client) -> None:
    assert _post_scan(clinician_client, {}).status_code == 404
    assert not VitalsScan.objects.exists()


def test_create_scan_needs_the_csrf_token(cast: Cast) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), cast.patient)
    assert _post_scan(client, {}).status_code == 403


def test_history_chart_holds_only_the_patients_own_reliable_readings(cast: Cast, patient_client: Client) -> None:
    _reading(cast.patient, 64.0)
    _reading(cast.patient, None, acceptable=False, reason="signal too weak")
    _reading(cast.patient, 71.0)
    _reading(cast.other_patient, 133.0)
    response = patient_client.get(reverse("vitals:history"))
    assert [point["bpm"] for point in response.context["chart"]] == [64.0, 71.0]
    page = response.content.decode()
    chart = json.loads(page.split('<script id="vitals-chart-data" type="application/json">')[1].split("</script>")[0])
    assert [point["bpm"] for point in chart] == [64.0, 71.0]
    assert not re.search(r"\b133\b", page) and cast.other_patient.email not in page  # not "…59.913383"


def test_history_table_shows_an_unreliable_reading_as_not_reliable(cast: Cast, patient_client: Client) -> None:
    _reading(cast.patient, None, acceptable=False, reason="too much movement")
    page = patient_client.get(reverse("vitals:history")).content.decode()
    assert "not reliable" in page and "too much movement" in page
    assert 'id="vitals-chart-data"' not in page


def test_history_without_readings_invites_a_first_measurement(patient_client: Client) -> None:
    page = patient_client.get(reverse("vitals:history")).content.decode()
    assert "No measurements yet" in page and "history.js" not in page


def test_scan_page_shows_a_reliable_reading(cast: Cast, patient_client: Client) -> None:
    reading = _reading(cast.patient, 72.4)
    page = patient_client.get(reverse("vitals:scan", args=[reading.scan_id])).content.decode()
    assert "72 beats per minute" in page and "LOINC 8867-4" in page


def test_scan_page_never_shows_a_number_for_an_unreliable_reading(cast: Cast, patient_client: Client) -> None:
    reading = _reading(cast.patient, None, acceptable=False, reason="signal too weak")
    page = patient_client.get(reverse("vitals:scan", args=[reading.scan_id])).content.decode()
    assert "Not reliable" in page and "signal too weak" in page
    assert "beats per minute" not in page


def test_assigned_clinician_sees_the_scan_and_it_is_audited(cast: Cast, clinician_client: Client) -> None:
    reading = _reading(cast.patient, 80.0)
    response = clinician_client.get(reverse("vitals:scan", args=[reading.scan_id]))
    assert response.status_code == 200 and "80 beats per minute" in response.content.decode()
    assert cast.patient.phi_accesses.filter(actor=cast.clinician).exists()


def test_other_patient_gets_404_for_a_scan(cast: Cast) -> None:
    reading = _reading(cast.patient, 80.0)
    client = login_verified(Client(), cast.other_patient)
    assert client.get(reverse("vitals:scan", args=[reading.scan_id])).status_code == 404
