"""Verbs on medical reports: accept an upload, run the analysis, record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.models import User
from reports.analysis.validation import UploadRejected, validate_upload
from reports.models import LabResult, MedicalReport, ReportAnalysis

logger = logging.getLogger(__name__)


@dataclass
class UploadOutcome:
    report: MedicalReport
    duplicate: bool


def accept_upload(patient: User, uploaded_by: User, data: bytes, filename: str) -> UploadOutcome:
    """Validate by content, store under a server-generated key, queue the analysis.

    Raises ``UploadRejected`` with a user-facing message; nothing is stored then.
    The same file for the same patient is recognised by checksum and not analysed twice.
    """
    checked = validate_upload(
        data, filename, max_bytes=settings.REPORT_MAX_UPLOAD_BYTES, max_pages=settings.REPORT_MAX_PAGES
    )
    existing = MedicalReport.objects.filter(patient=patient, sha256=checked.sha256).first()
    if existing is not None:
        return UploadOutcome(existing, duplicate=True)
    report = MedicalReport(
        patient=patient,
        uploaded_by=uploaded_by,
        original_name=filename[:255],
        kind=checked.kind,
        content_type=checked.content_type,
        size_bytes=len(data),
        page_count=checked.page_count or 1,
        sha256=checked.sha256,
    )
    try:
        with transaction.atomic():
            report.file.save("upload", ContentFile(data), save=False)
            report.save()
            transaction.on_commit(lambda: queue_analysis(report.pk))
    except IntegrityError:
        report.file.delete(save=False)
        return UploadOutcome(MedicalReport.objects.get(patient=patient, sha256=checked.sha256), duplicate=True)
    return UploadOutcome(report, duplicate=False)


def queue_analysis(report_id: int) -> None:
    from reports.tasks import analyze_report

    analyze_report.delay(report_id)


def mark_processing(report: MedicalReport) -> None:
    MedicalReport.objects.filter(pk=report.pk).update(status=MedicalReport.Status.PROCESSING, progress=0.1)
    notify_status(report.pk)


def mark_failed(report_id: int, reason: str) -> None:
    MedicalReport.objects.filter(pk=report_id).update(status=MedicalReport.Status.FAILED, failure_reason=reason[:2000])
    notify_status(report_id)


@transaction.atomic
def finish_analysis(report: MedicalReport, result: Any, narrator_name: str) -> ReportAnalysis:
    """Write the one analysis of a report (replacing any earlier one: re-runs are idempotent)."""
    ReportAnalysis.objects.filter(report=report).delete()
    analysis = ReportAnalysis.objects.create(
        report=report,
        pages=len(result.document.pages),
        text_chars=result.document.text_chars,
        ocr_used=result.document.ocr_used,
        summary=result.summary,
        narrator=getattr(result, "narrator", "") or narrator_name,
        warnings=list(result.warnings),
    )
    LabResult.objects.bulk_create([_lab_result(analysis, row) for row in result.lab_results])
    MedicalReport.objects.filter(pk=report.pk).update(status=MedicalReport.Status.DONE, progress=1.0, failure_reason="")
    transaction.on_commit(lambda: notify_status(report.pk))
    return analysis


def _lab_result(analysis: ReportAnalysis, row: Any) -> LabResult:
    link = _topic_link(row)
    return LabResult(
        analysis=analysis,
        analyte=row.analyte[:120],
        loinc=row.loinc or "",
        value=row.value,
        value_text=(row.value_text or "")[:120],
        unit=(row.unit or "")[:40],
        reference_low=row.reference_low,
        reference_high=row.reference_high,
        reference_text=(row.reference_text or "")[:500],
        range_source=row.range_source or "",
        flag=row.flag or "",
        page=row.page or 1,
        info_title=(link or {}).get("title", "")[:200],
        info_url=(link or {}).get("url", ""),
    )


def _topic_link(row: Any) -> dict[str, str] | None:
    if row.flag in (None, "", "normal"):
        return None
    try:
        from knowledge.services import topic_link_for_lab
    except ImportError:
        return None
    return topic_link_for_lab(row.analyte, flag=row.flag)


def notify_status(report_id: int) -> None:
    """Push the report's status to anyone watching its page (over the channel layer)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    report = MedicalReport.objects.filter(pk=report_id).values("status", "progress", "failure_reason").first()
    layer = get_channel_layer()
    if report is None or layer is None:
        return
    message = {"type": "report.status", "report": report_id, **report}
    try:
        async_to_sync(layer.group_send)(f"report-{report_id}", message)
    except Exception:  # a status push is a courtesy; the page also polls
        logger.warning("could not push the status of report %s", report_id, exc_info=True)


__all__ = ["UploadRejected", "accept_upload", "finish_analysis", "mark_failed", "mark_processing"]
