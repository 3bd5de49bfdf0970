"""View guards: login, then (for staff) MFA, before any patient data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from accounts.access import is_mfa_verified
from accounts.services import confirmed_totp_device
from accounts.types import AuthedRequest

View = Callable[..., HttpResponseBase]


def mfa_redirect(request: AuthedRequest, next_url: str | None = None) -> HttpResponse:
    step = "accounts:mfa_verify" if confirmed_totp_device(request.user) else "accounts:mfa_setup"
    return redirect(f"{reverse(step)}?{urlencode({'next': next_url or request.get_full_path()})}")


def patient_data_view(view: View) -> View:
    """Logged in, and MFA-verified if the user is a clinician or an admin."""

    @wraps(view)
    def guarded(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.needs_mfa and not is_mfa_verified(request.user):
            return mfa_redirect(request)
        return view(request, *args, **kwargs)

    return guarded
