"""Service checks behind GET /healthz (the load balancer's health check)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection

CheckResult = tuple[bool, str]
TIMEOUT_S = 2.0


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return False, f"error: {type(exc).__name__}"
    return True, "ok"


def _ping_redis(url: str) -> CheckResult:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S)
        client.ping()
    except Exception as exc:
        return False, f"error: {type(exc).__name__}"
    return True, "ok"


def check_channel_layer() -> CheckResult:
    if not settings.REDIS_URL:
        return True, "in-memory"
    return _ping_redis(settings.REDIS_URL)


def check_broker() -> CheckResult:
    if not settings.CELERY_BROKER_CONFIGURED:
        return True, "eager"
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_S) as broker:
            broker.ensure_connection(max_retries=1, timeout=TIMEOUT_S)
    except Exception as exc:
        return False, f"error: {type(exc).__name__}"
    return True, "ok"


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


def run_checks() -> tuple[bool, dict[str, str]]:
    results = {name: check() for name, check in CHECKS.items()}
    healthy = all(ok for ok, _ in results.values())
    return healthy, {name: detail for name, (_, detail) in results.items()}
