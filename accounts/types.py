"""Request types for views that only run for a logged-in user (django-stubs' recommended pattern)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthedRequest(HttpRequest):
    user: User


def user_role(request: HttpRequest) -> str:
    """The role of the request's user, or "" for anonymous visitors."""
    return str(getattr(request.user, "role", ""))
