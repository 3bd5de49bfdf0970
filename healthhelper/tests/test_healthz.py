from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from conftest import require_service

pytestmark = pytest.mark.django_db
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


def test_healthz_reports_each_check() -> None:
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert body["checks"]["database"] == "ok"


def test_healthz_uses_the_configured_redis() -> None:
    require_service("REDIS_URL", bool(settings.REDIS_URL))
    assert Client().get("/healthz").json()["checks"]["channel_layer"] == "ok"


def test_healthz_is_503_naming_a_redis_that_is_down(settings: object) -> None:
    settings.REDIS_URL = CLOSED_PORT_URL  # type: ignore[attr-defined]
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]


def test_healthz_is_503_naming_a_broker_that_is_down(settings: object) -> None:
    settings.CELERY_BROKER_URL = CLOSED_PORT_URL  # type: ignore[attr-defined]
    settings.CELERY_BROKER_CONFIGURED = True  # type: ignore[attr-defined]
    response = Client().get("/healthz")
    assert response.status_code == 503 and "broker" in response.json()["failing"]


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    """A real PostgreSQL URL pointing at a closed port, in a fresh interpreter."""
    from healthhelper.tests.test_settings import _run

    probe = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
    )
    result = _run(
        probe, DJANGO_SETTINGS_MODULE="healthhelper.settings", DATABASE_URL="postgres://postgres@127.0.0.1:1/x"
    )
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503" and "database" in body and '"failing": ["database"]' in body


def test_healthz_answers_a_probe_by_an_unlisted_host() -> None:
    """The load balancer probes instances by private IP, which ALLOWED_HOSTS does not list."""
    response = Client().get("/healthz", HTTP_HOST="10.0.3.17")
    assert response.status_code == 200
    assert Client().get("/", HTTP_HOST="10.0.3.17").status_code == 400
