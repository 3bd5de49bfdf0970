"""The Procfile's voice_writes worker, a real Celery process on the Redis broker, saves what a session reports."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from conftest import Cast
from consultations import services, tasks
from consultations.models import Consultation, Turn
from reports.tests.test_celery_worker import ROOT, _database_url, broker_url, stop  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services, pytest.mark.slow]


def voice_writes_command() -> list[str]:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("voice_writes:"))
    command = shlex.split(line.split(":", 1)[1])
    at = command.index("celery")
    return [*command[:at], sys.executable, "-m", "celery", *command[at + 1 :], "--without-gossip", "--without-mingle"]


@pytest.fixture
def voice_writes_worker(broker_url: str, tmp_path: Path) -> Iterator[Path]:  # noqa: F811
    log = tmp_path / "voice_writes.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": broker_url}
    worker = subprocess.Popen(
        voice_writes_command(),
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield log
    stop(worker)


def test_the_voice_writes_worker_saves_an_exchange_and_its_assessment(cast: Cast, voice_writes_worker: Path) -> None:
    consultation = services.start_consultation(cast.patient)
    turn = {
        "kind": "turn",
        "sides": [
            {"index": 1, "speaker": "patient", "text": "I have had a cough for a week", "input_mode": "voice"},
            {"index": 1, "speaker": "assistant", "text": "Do you have a fever?", "timings": {"stt_ms": 301.0}},
        ],
    }
    assessment = {"kind": "assessment", "level": "consultation", "turn": 1, "intake_state": {}, "advice": "Rest."}
    tasks.save_voice_events.delay([(consultation.pk, [assessment, turn])])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Turn.objects.filter(consultation=consultation).count() < 2:
        time.sleep(0.2)
    saved = list(Turn.objects.filter(consultation=consultation).values_list("speaker", "text", "stt_ms"))
    assert saved == [
        ("patient", "I have had a cough for a week", None),
        ("assistant", "Do you have a fever?", 301.0),
    ], voice_writes_worker.read_text()
    consultation.refresh_from_db()
    assert consultation.triage_level == "consultation" and consultation.assessments.count() == 1


def _other_backends() -> set[int]:
    """PostgreSQL backends connected to the test database, other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def _save_answer_and_wait(consultation: Consultation, index: int) -> None:
    """Queue patient turn ``index`` for the worker and wait (up to a minute) until it is saved."""
    side = {"index": index, "speaker": "patient", "text": f"answer {index}", "input_mode": "voice"}
    tasks.save_voice_events.delay([(consultation.pk, [{"kind": "turn", "sides": [side]}])])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Turn.objects.filter(consultation=consultation).count() < index:
        time.sleep(0.1)


def test_the_voice_writes_worker_keeps_its_database_connection_between_saves(
    cast: Cast, voice_writes_worker: Path
) -> None:
    consultation = services.start_consultation(cast.patient)
    backends = []
    for index in (1, 2):
        _save_answer_and_wait(consultation, index)
        time.sleep(0.5)  # a worker that closes its connection after the task has done so by now
        backends.append(_other_backends())
    assert backends[0] and backends[0] == backends[1], voice_writes_worker.read_text()


def test_the_voice_writes_worker_saves_after_its_database_connection_was_dropped(
    cast: Cast, voice_writes_worker: Path
) -> None:
    consultation = services.start_consultation(cast.patient)
    _save_answer_and_wait(consultation, 1)
    with connection.cursor() as cursor:  # as a failover would: the worker's kept connection dies
        for pid in _other_backends():
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _save_answer_and_wait(consultation, 2)
    assert Turn.objects.filter(consultation=consultation).count() == 2, voice_writes_worker.read_text()
