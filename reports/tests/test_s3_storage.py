"""S3 storage against moto's server mode: a real HTTP S3 endpoint, not a mocked boto3."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from conftest import Cast, login_verified
from reports.models import MedicalReport
from reports.tests.support import lab_pdf

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "healthhelper-reports-test"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings: object, s3_endpoint: str) -> str:
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "object_parameters": {"ServerSideEncryption": "AES256"},
                "signature_version": "s3v4",
            },
        },
    }
    return s3_endpoint


def _upload(client: Client, cast: Cast, data: bytes) -> MedicalReport:
    response = client.post(
        reverse("reports:upload", args=[cast.patient.pk]),
        {"files": [SimpleUploadedFile("Jane Doe results.pdf", data)]},
        HTTP_ACCEPT="application/json",
    )
    return MedicalReport.objects.get(pk=response.json()["files"][0]["report"])


def test_upload_lands_in_s3_encrypted_under_a_server_key(cast: Cast, s3_storage: str) -> None:
    data = lab_pdf()
    report = _upload(login_verified(Client(), cast.patient), cast, data)
    head = boto3.client("s3", endpoint_url=s3_storage, region_name="us-east-1").head_object(
        Bucket=BUCKET, Key=report.file.name
    )
    assert head["ServerSideEncryption"] == "AES256" and head["ContentLength"] == len(data)
    assert report.file.name.startswith(f"reports/{cast.patient.pk}/") and "Jane" not in report.file.name
    assert report.status == "done"


def test_object_is_private(cast: Cast, s3_storage: str) -> None:
    report = _upload(login_verified(Client(), cast.patient), cast, lab_pdf())
    acl = boto3.client("s3", endpoint_url=s3_storage, region_name="us-east-1").get_object_acl(
        Bucket=BUCKET, Key=report.file.name
    )
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith("AllUsers")]


def test_download_is_a_short_lived_presigned_url_with_a_neutral_name(cast: Cast, s3_storage: str) -> None:
    data = lab_pdf()
    client = login_verified(Client(), cast.patient)
    report = _upload(client, cast, data)
    response = client.get(reverse("reports:download", args=[report.pk]))
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"] == [f'attachment; filename="lab-report-{report.pk}.pdf"']
    with urlopen(response["Location"]) as fetched:
        assert fetched.read() == data


def test_other_patient_gets_no_presigned_url(cast: Cast, s3_storage: str) -> None:
    report = _upload(login_verified(Client(), cast.patient), cast, lab_pdf())
    response = login_verified(Client(), cast.other_patient).get(reverse("reports:download", args=[report.pk]))
    assert response.status_code == 404
