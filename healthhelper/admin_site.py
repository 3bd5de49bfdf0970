"""The admin site: staff only, MFA-verified only, with our own log-in page."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class HealthHelperAdminSite(AdminSite):
    site_header = "Health Helper administration"
    site_title = "Health Helper admin"
    index_title = "Clinical records"

    def has_permission(self, request: HttpRequest) -> bool:
        from accounts.access import is_mfa_verified

        user = request.user
        return bool(user.is_active and user.is_staff and (not user.needs_mfa or is_mfa_verified(user)))

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get("next", reverse("admin:index"))
        if request.user.is_authenticated and request.user.is_staff:
            from accounts.decorators import mfa_redirect
            from accounts.types import AuthedRequest

            return mfa_redirect(cast(AuthedRequest, request), next_url)
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


class HealthHelperAdminConfig(AdminConfig):
    default_site = "healthhelper.admin_site.HealthHelperAdminSite"
