"""Every WebSocket route, through the real ASGI stack (origin check, session auth), with five visitors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from conftest import Cast, login_verified
from consultations.models import Consultation
from healthhelper.asgi import application
from healthhelper.routing import websocket_urlpatterns
from vitals.models import VitalsScan

pytestmark = pytest.mark.django_db(transaction=True)

ROUTES: dict[str, Callable[[Cast], str]] = {
    "consultation_id": lambda cast: f"/ws/consultations/{Consultation.objects.create(patient=cast.patient).pk}/",
    "scan_id": lambda cast: f"/ws/vitals/{VitalsScan.objects.create(patient=cast.patient).pk}/",
}
OWNER_ONLY = {
    "patient": True,
    "clinician": False,
    "admin": False,
    "unassigned_clinician": False,
    "other_patient": False,
}


def test_every_websocket_route_is_in_the_matrix() -> None:
    parameters = {name for route in websocket_urlpatterns for name in route.pattern.regex.groupindex}
    assert parameters <= set(ROUTES), f"WebSocket routes with no access test: {parameters - set(ROUTES)}"


async def _connect(path: str, cookie: str | None, origin: str = "http://127.0.0.1") -> tuple[bool, Any]:
    """(True, first message) when the socket stays open; (False, close code) when refused or closed at once."""
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if not connected:
        return False, code
    first = await communicator.receive_output(timeout=10) if not await communicator.receive_nothing(0.3) else None
    await communicator.disconnect()
    if first and first["type"] == "websocket.close":
        return False, first.get("code")
    return True, first


@database_sync_to_async
def _session_for(cast: Cast, who: str) -> str | None:
    if who == "anonymous":
        return None
    client = login_verified(Client(), getattr(cast, who))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@database_sync_to_async
def _path(cast: Cast, parameter: str) -> str:
    return ROUTES[parameter](cast)


@pytest.mark.parametrize("who", [*OWNER_ONLY, "anonymous"])
@pytest.mark.parametrize("parameter", sorted(ROUTES))
async def test_only_the_owner_may_open_a_socket(cast: Cast, parameter: str, who: str) -> None:
    path = await _path(cast, parameter)
    connected, code = await _connect(path, await _session_for(cast, who))
    assert connected is OWNER_ONLY.get(who, False), f"{who} on {path}: {code}"


@pytest.mark.parametrize("parameter", sorted(ROUTES))
async def test_a_foreign_origin_is_refused(cast: Cast, parameter: str) -> None:
    path = await _path(cast, parameter)
    connected, _ = await _connect(path, await _session_for(cast, "patient"), origin="https://evil.example")
    assert not connected
