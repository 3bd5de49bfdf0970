"""Celery task: save what a voice session reported. The saving lives in ``services``; this only carries it.

The voice consumers hand their turns and assessments to ``save_voice_events`` (through the outbox) so
the web process spends its time on audio: with a broker configured, a worker process does the database
work; embedded (eager) Celery runs it inline on the outbox's writer thread.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from consultations import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def save_voice_events(batch: list[tuple[int, list[dict[str, Any]]]]) -> None:
    """One web process's saves for any number of consultations: ``[(consultation id, events), ...]``."""
    services.save_voice_events(batch)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def save_session_events(consultation_id: int, events: list[dict[str, Any]]) -> None:
    """The previous release's message (one consultation per task), still accepted during a rolling deploy."""
    services.save_session_events(consultation_id, events)
