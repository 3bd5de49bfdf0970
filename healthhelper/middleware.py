"""Answer the load balancer's health check before host validation.

The ALB probes each instance by its private IP, which is not (and should not be) in
ALLOWED_HOSTS; CommonMiddleware would answer 400 and every target would be unhealthy.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method == "GET":
            from healthhelper.views import healthz

            return healthz(request)
        return self.get_response(request)
