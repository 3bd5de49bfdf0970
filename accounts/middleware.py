"""Idle log-off: a session untouched for IDLE_TIMEOUT_MINUTES is ended on the next request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_ACTIVITY_KEY = "last_activity_ts"


class IdleTimeoutMiddleware:
    """Belt and braces beside SESSION_COOKIE_AGE: the cookie can be replayed, the server clock can't."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY, now)
            if now - float(last) > settings.IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
            else:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
