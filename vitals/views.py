from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from accounts.audit import record_phi_access
from accounts.decorators import patient_data_view
from accounts.models import Role
from accounts.types import AuthedRequest
from consultations.models import Consultation
from vitals import services
from vitals.models import VitalSign, VitalsScan


def _own_patient_page(request: AuthedRequest) -> bool:
    return request.user.role == Role.PATIENT


@patient_data_view
@require_GET
def measure(request: AuthedRequest) -> HttpResponse:
    if not _own_patient_page(request):
        return render(request, "vitals/patients_only.html", status=404)
    context = {"caire_enabled": bool(settings.CAIRE_API_KEY), "consultation_id": request.GET.get("consultation", "")}
    return render(request, "vitals/measure.html", context)


@patient_data_view
@require_POST
def create_scan(request: AuthedRequest) -> JsonResponse:
    if not _own_patient_page(request):
        return JsonResponse({"error": "Only patients take measurements."}, status=404)
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "The request body is not valid JSON."}, status=400)
    body = body if isinstance(body, dict) else {}
    consultation = None
    if body.get("consultation"):
        consultation = (
            access.scope_to_user(request.user, Consultation.objects.all()).filter(pk=str(body["consultation"])).first()
            if str(body["consultation"]).isdigit()
            else None
        )
    scan = services.start_scan(
        request.user,
        consultation=consultation,
        device=str(body.get("device", ""))[:200],
        method="caire" if settings.CAIRE_API_KEY else "embedded",
    )
    return JsonResponse(
        {
            "scan": scan.pk,
            "ws_url": f"/ws/vitals/{scan.pk}/",
            "mode": "frames" if settings.CAIRE_API_KEY else "samples",
        },
        status=201,
    )


@patient_data_view
@require_GET
def history(request: AuthedRequest) -> HttpResponse:
    if not _own_patient_page(request):
        return render(request, "vitals/patients_only.html", status=404)
    readings = VitalSign.objects.filter(patient=request.user).order_by("measured_at")
    chart = [{"t": r.measured_at.isoformat(), "bpm": r.value} for r in readings if r.acceptable and r.value is not None]
    return render(request, "vitals/history.html", {"readings": readings.reverse(), "chart": chart})


@patient_data_view
@require_GET
def scan_detail(request: AuthedRequest, scan_id: int) -> HttpResponse:
    scan = access.get_record_or_404(request.user, VitalsScan.objects.select_related("patient"), pk=scan_id)
    record_phi_access(request.user, scan.patient, f"vitals scan {scan.pk}", request=request)
    return render(request, "vitals/scan.html", {"scan": scan, "reading": getattr(scan, "reading", None)})
