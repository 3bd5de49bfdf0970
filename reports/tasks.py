"""Celery task: analyse one stored report. The steps live in reports.analysis; this only orchestrates."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from reports import services
from reports.analysis.service import Narrator
from reports.models import MedicalReport

logger = logging.getLogger(__name__)


class TransientAnalysisError(Exception):
    """Throttling or a timeout from a remote service: worth retrying later."""


def _narrator() -> tuple[Narrator | None, str]:
    if not settings.REPORTS_BEDROCK_MODEL_ID:
        return None, "embedded"
    from consultations.intake import review
    from healthhelper.integrations.bedrock import make_bedrock_runtime_client
    from reports.analysis.narrative import BedrockNarrator

    client = make_bedrock_runtime_client(settings.AWS_REGION, settings.VOICE_PROVIDERS["BEDROCK_ENDPOINT_URL"] or None)
    return BedrockNarrator(client, settings.REPORTS_BEDROCK_MODEL_ID, reply_guard=review), "bedrock"


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientAnalysisError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def analyze_report(self: object, report_id: int) -> str:
    """Idempotent: a redelivered or repeated run replaces the analysis, never adds a second one."""
    from reports.analysis.errors import AnalysisError
    from reports.analysis.service import analyze_document

    report = MedicalReport.objects.filter(pk=report_id).first()
    if report is None:
        return "missing"
    services.mark_processing(report)
    try:
        with report.file.open("rb") as stored:
            data = stored.read()
        narrator, narrator_name = _narrator()
        result = analyze_document(
            data,
            report.original_name,
            narrator=narrator,
            max_bytes=settings.REPORT_MAX_UPLOAD_BYTES,
            max_pages=settings.REPORT_MAX_PAGES,
        )
    except AnalysisError as exc:
        services.mark_failed(report_id, exc.message)
        return "failed"
    except SoftTimeLimitExceeded:
        services.mark_failed(report_id, "The analysis took too long and was stopped.")
        return "failed"
    except TransientAnalysisError:
        raise
    except Exception as exc:
        logger.exception("analysis of report %s failed", report_id)
        services.mark_failed(report_id, f"The report could not be analysed ({type(exc).__name__}).")
        return "failed"
    services.finish_analysis(report, result, narrator_name)
    return "done"
