"""A real Celery worker process on the Redis broker, sharing the test PostgreSQL database."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import Cast, login_verified, require_service
from healthhelper.celery import app as celery_app
from reports.models import MedicalReport, ReportAnalysis
from reports.tests.support import lab_pdf

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 9


@pytest.fixture
def broker_url() -> Iterator[str]:
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    require_service("Redis (REDIS_URL)", bool(settings.REDIS_URL))
    base = settings.REDIS_URL.rsplit("/", 1)[0]
    url = f"{base}/{BROKER_DB}"
    import redis

    redis.Redis.from_url(url).flushdb()
    previous = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}
    _reset_connections()
    celery_app.conf.update(task_always_eager=False, broker_url=url)
    yield url
    _reset_connections()
    celery_app.conf.update(previous)


def _reset_connections() -> None:
    """Drop pooled broker connections so the next publish uses the current broker_url."""
    from kombu import pools

    pools.reset()  # kombu keeps pools globally per connection URL
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(broker: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_VISIBILITY_TIMEOUT_S": "4",
        "CELERY_UNACKED_RESTORE_INTERVAL_S": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "healthhelper",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=30)


def wait_for_status(report_id: int, wanted: set[str], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    status = ""
    while time.monotonic() < deadline:
        status = MedicalReport.objects.values_list("status", flat=True).get(pk=report_id)
        if status in wanted:
            return status
        time.sleep(0.1)
    raise AssertionError(f"report {report_id} stayed {status!r}")


def outcome(report_id: int, log: Path) -> str:
    report = MedicalReport.objects.get(pk=report_id)
    return f"{report.status}: {report.failure_reason}\n{log.read_text()}"


def upload(cast: Cast, data: bytes) -> int:
    response = login_verified(Client(), cast.patient).post(
        reverse("reports:upload", args=[cast.patient.pk]),
        {"files": [SimpleUploadedFile("report.pdf", data)]},
        HTTP_ACCEPT="application/json",
    )
    return response.json()["files"][0]["report"]


def scanned_pdf(pages: int) -> bytes:
    """An image-only PDF (no text layer), so the worker has real OCR work to do."""
    from PIL import Image, ImageDraw, ImageFont

    images = []
    for _ in range(pages):
        image = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default(size=36)
        for i in range(40):
            draw.text((100, 100 + 50 * i), f"Haemoglobin {12 + i % 5}.1 g/dL 13.0 - 17.0   Line {i}", fill=0, font=font)
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=200)
    return buffer.getvalue()


@pytest.fixture
def workers(broker_url: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes started by a test; every one is stopped afterwards, whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for worker in started:
        stop(worker, signal.SIGKILL)


def test_upload_is_analysed_by_a_worker_process(cast: Cast, broker_url: str, workers: list, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    workers.append(start_worker(broker_url, log))
    report_id = upload(cast, lab_pdf())
    assert wait_for_status(report_id, {"done", "failed"}, 60) == "done", outcome(report_id, log)
    assert ReportAnalysis.objects.get(report_id=report_id).lab_results.count() == 3


def test_killed_worker_task_is_redelivered_and_analysed_once(
    cast: Cast, broker_url: str, workers: list, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    workers.append(start_worker(broker_url, log))
    report_id = upload(cast, scanned_pdf(pages=3))
    wait_for_status(report_id, {"processing"}, 60)
    time.sleep(0.5)
    stop(workers[0], signal.SIGKILL)
    assert MedicalReport.objects.get(pk=report_id).status == "processing"
    workers.append(start_worker(broker_url, log))
    assert wait_for_status(report_id, {"done", "failed"}, 120) == "done", outcome(report_id, log)
    assert ReportAnalysis.objects.filter(report_id=report_id).count() == 1
