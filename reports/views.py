from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access
from accounts.audit import record_phi_access
from accounts.decorators import patient_data_view
from accounts.models import AuditAction, User
from accounts.types import AuthedRequest
from reports import services
from reports.analysis.validation import UploadRejected
from reports.models import MedicalReport

MAX_FILES_PER_REQUEST = 10


def _wants_json(request: AuthedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@patient_data_view
@require_http_methods(["GET", "POST"])
def upload(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = access.get_patient_or_404(request.user, patient_id)
    if request.method == "GET":
        record_phi_access(request.user, patient, "report upload page", request=request)
        return render(request, "reports/upload.html", {"patient": patient, "reports": patient.reports.all()[:20]})
    files = request.FILES.getlist("files")[:MAX_FILES_PER_REQUEST]
    outcomes = [_accept_one(request, patient, uploaded) for uploaded in files]
    if not files:
        outcomes = [{"ok": False, "error": "Choose a PDF, PNG or JPEG file to upload."}]
    if _wants_json(request):
        status = 200 if any(o["ok"] for o in outcomes) else 400
        return JsonResponse({"files": outcomes}, status=status)
    return render(
        request,
        "reports/upload.html",
        {"patient": patient, "outcomes": outcomes, "reports": patient.reports.all()[:20]},
        status=200 if all(o["ok"] for o in outcomes) else 400,
    )


def _accept_one(request: AuthedRequest, patient: User, uploaded: UploadedFile) -> dict[str, object]:
    name = getattr(uploaded, "name", "") or ""
    try:
        outcome = services.accept_upload(patient, request.user, uploaded.read(), name)
    except UploadRejected as exc:
        return {"ok": False, "name": name, "code": exc.code, "error": str(exc)}
    record_phi_access(request.user, patient, f"report {outcome.report.pk}", action=AuditAction.CREATE, request=request)
    report = outcome.report
    return {
        "ok": True,
        "name": name,
        "report": report.pk,
        "duplicate": outcome.duplicate,
        "status": report.status,
        "url": report.get_absolute_url(),
        "status_url": f"{report.get_absolute_url()}status/",
    }


def _report_for(request: AuthedRequest, report_id: int, what: str, action: str = AuditAction.VIEW) -> MedicalReport:
    report = access.get_record_or_404(request.user, MedicalReport.objects.select_related("patient"), pk=report_id)
    record_phi_access(request.user, report.patient, f"{what} {report.pk}", action=action, request=request)
    return report


@patient_data_view
@require_GET
def detail(request: AuthedRequest, report_id: int) -> HttpResponse:
    report = _report_for(request, report_id, "report")
    analysis = getattr(report, "analysis", None)
    results = analysis.lab_results.all() if analysis else []
    return render(request, "reports/detail.html", {"report": report, "analysis": analysis, "results": results})


@patient_data_view
@require_GET
def status(request: AuthedRequest, report_id: int) -> JsonResponse:
    report = access.get_record_or_404(request.user, MedicalReport.objects.all(), pk=report_id)
    return JsonResponse(
        {
            "report": report.pk,
            "status": report.status,
            "progress": report.progress,
            "failure_reason": report.failure_reason,
        }
    )


@patient_data_view
@require_GET
def download(request: AuthedRequest, report_id: int) -> HttpResponseBase:
    """Local storage: stream the file. S3: a short-lived presigned URL with a neutral download name."""
    report = _report_for(request, report_id, "report file", action=AuditAction.DOWNLOAD)
    extension = (report.file.name or "").rsplit(".", 1)[-1]
    download_name = f"lab-report-{report.pk}.{extension}"
    storage = report.file.storage
    if hasattr(storage, "bucket_name"):
        url = storage.url(  # type: ignore[call-arg]  # S3Storage.url takes response parameters
            report.file.name,
            parameters={
                "ResponseContentDisposition": f'attachment; filename="{download_name}"',
                "ResponseContentType": report.content_type,
            },
        )
        return redirect(url)
    response = FileResponse(
        report.file.open("rb"), as_attachment=True, filename=download_name, content_type=report.content_type
    )
    response["Cache-Control"] = "no-store"
    return response
