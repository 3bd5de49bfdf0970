"""Celery task: save what a voice session reported. The saving lives in ``services``; this only carries it.

The voice consumer hands its turns and assessments to this task so the web process spends its time on
audio: with a broker configured, a worker process does the database work; embedded (eager) Celery runs
it inline on the consumer's writer thread.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from consultations import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def save_session_events(consultation_id: int, events: list[dict[str, Any]]) -> None:
    services.save_session_events(consultation_id, events)
