from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import access
from accounts.audit import record_phi_access
from accounts.decorators import patient_data_view
from accounts.models import Role
from accounts.types import AuthedRequest
from consultations import services
from consultations.models import Consultation


@patient_data_view
@require_POST
def start(request: AuthedRequest) -> HttpResponse:
    if request.user.role != Role.PATIENT:
        return HttpResponseNotAllowed(["POST"], "Only patients start consultations.")
    consultation = services.start_consultation(request.user)
    return redirect("consultations:detail", consultation.pk)


def _consultation_for(request: AuthedRequest, consultation_id: int) -> Consultation:
    consultation = access.get_record_or_404(
        request.user, Consultation.objects.select_related("patient"), pk=consultation_id
    )
    record_phi_access(request.user, consultation.patient, f"consultation {consultation.pk}", request=request)
    return consultation


@patient_data_view
def detail(request: AuthedRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation_for(request, consultation_id)
    is_owner = consultation.patient_id == request.user.pk
    if is_owner and consultation.status == Consultation.Status.ACTIVE:
        return render(request, "consultations/live.html", {"consultation": consultation})
    return _render_summary(request, consultation)


@patient_data_view
def summary(request: AuthedRequest, consultation_id: int) -> HttpResponse:
    return _render_summary(request, _consultation_for(request, consultation_id))


def _render_summary(request: AuthedRequest, consultation: Consultation) -> HttpResponse:
    context = {
        "consultation": consultation,
        "turns": consultation.turns.all(),
        "assessments": consultation.assessments.all()[:10],
        "is_owner": consultation.patient_id == request.user.pk,
    }
    return render(request, "consultations/summary.html", context)
