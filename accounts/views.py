"""Sign-up, log-in, MFA, profile, and the two homes: patient portal and clinician dashboard."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.qr import write_qrcode_image

from accounts import access, services
from accounts.audit import record_phi_access
from accounts.decorators import patient_data_view
from accounts.forms import EmailAuthenticationForm, PatientProfileForm, PatientSignupForm, TokenForm
from accounts.models import PatientProfile, PHIAccessLog, Role
from accounts.types import AuthedRequest
from healthhelper import dashboard


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return redirect("portal" if request.user.role == Role.PATIENT else "clinician_home")


@require_http_methods(["GET", "POST"])
def signup(request: AuthedRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = PatientSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.register_patient(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            sex=form.cleaned_data["sex"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Health Helper.")
        return redirect("portal")
    return render(request, "accounts/signup.html", {"form": form})


def _safe_next(request: AuthedRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: AuthedRequest) -> HttpResponse:
    if services.confirmed_totp_device(request.user):
        return redirect("accounts:mfa_verify")
    device = services.pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_device(device, form.cleaned_data["token"].strip()):
            otp_login(request, device)
            codes = services.issue_recovery_codes(request.user)
            return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _safe_next(request)})
        form.add_error("token", "That code is not right. Check your phone's clock and try the newest code.")
    qr_svg = io.BytesIO()
    write_qrcode_image(device.config_url, qr_svg)
    context = {
        "form": form,
        "qr_svg": qr_svg.getvalue().decode(),
        "secret": _base32_secret(device),
        "next": _safe_next(request),
    }
    return render(request, "accounts/mfa_setup.html", context)


def _base32_secret(device: object) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode()  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: AuthedRequest) -> HttpResponse:
    if not services.confirmed_totp_device(request.user):
        return redirect("accounts:mfa_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip())
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", "That code is not right. Use the 6-digit code from your app or a recovery code.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


@patient_data_view
def portal(request: AuthedRequest) -> HttpResponse:
    if request.user.role != Role.PATIENT:
        return redirect("clinician_home")
    context = {"patient": request.user, **dashboard.patient_sections(request.user)}
    return render(request, "portal/home.html", context)


@patient_data_view
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    if request.user.role != Role.PATIENT:
        return redirect("clinician_home")
    patient_profile, _ = PatientProfile.objects.get_or_create(user=request.user)
    form = PatientProfileForm(request.POST or None, instance=patient_profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.user.full_name = form.cleaned_data["full_name"] or request.user.full_name
        request.user.save(update_fields=["full_name"])
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form})


@patient_data_view
def access_log(request: AuthedRequest) -> HttpResponse:
    """A patient sees every time a staff member opened their record."""
    if request.user.role != Role.PATIENT:
        return redirect("clinician_home")
    entries = PHIAccessLog.objects.filter(patient=request.user).select_related("actor")[:500]
    return render(request, "portal/access_log.html", {"entries": entries})


@patient_data_view
def clinician_home(request: AuthedRequest) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        return redirect("portal")
    patients = access.visible_patients(request.user).select_related("patient_profile")
    return render(request, "clinician/home.html", {"patients": patients})


@patient_data_view
def clinician_patient(request: AuthedRequest, patient_id: int) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        raise Http404("No such page")
    patient = access.get_patient_or_404(request.user, patient_id)
    record_phi_access(request.user, patient, f"patient record {patient.pk}", request=request)
    context = {"patient": patient, **dashboard.patient_sections(patient)}
    return render(request, "clinician/patient.html", context)
