"""Two server processes sharing one database and one Redis: a consultation carries on across nodes.

Web nodes are stateless behind the load balancer; a patient whose socket drops may reconnect to any
node and must find every saved turn there.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.conf import settings

from conftest import require_service
from tests.e2e_support import running_server

pytestmark = [pytest.mark.e2e, pytest.mark.services]
SESSION_AND_CONSULTATION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from consultations.models import Consultation
patient = User.objects.get(email="patient@example.com")
session = SessionStore()
session[SESSION_KEY] = str(patient.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = patient.get_session_auth_hash()
session.create()
print("SESSION", session.session_key, Consultation.objects.create(patient=patient).pk)
"""


SAVED_PATIENT_TURNS = """
import json, time
from consultations.models import Turn
for _ in range(50):  # the first node saves its turn just after the reply; give it a moment
    texts = list(Turn.objects.filter(consultation_id={consultation}, speaker="patient").values_list("text", flat=True))
    if len(texts) == 2:
        break
    time.sleep(0.1)
print(json.dumps(texts))
"""


async def say(url: str, cookie: str, text: str) -> dict[str, Any]:
    """Connect, send one typed message, return the ``ready`` event and the reply's turn number."""
    headers = {"Cookie": f"sessionid={cookie}", "Origin": url.split("/ws/")[0].replace("ws://", "http://")}
    async with websockets.connect(url, additional_headers=headers) as socket:
        ready: dict[str, Any] = {}
        async with asyncio.timeout(60):
            async for message in socket:
                if isinstance(message, bytes):
                    continue
                event = json.loads(message)
                if event["type"] == "ready":
                    ready = event
                    await socket.send(json.dumps({"type": "text", "text": text}))
                elif event["type"] == "assistant_text" and event["final"] and event["turn"] >= 1:
                    return {"resumed": ready["resumed"], "turn": event["turn"]}
    raise AssertionError("no reply")


def test_a_consultation_resumes_on_another_node(tmp_path: Path) -> None:
    require_service("Redis (REDIS_URL)", bool(settings.REDIS_URL))
    shared = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}", "REDIS_URL": settings.REDIS_URL}
    with running_server(tmp_path / "a", env=shared) as node_a, running_server(tmp_path / "b", env=shared) as node_b:
        output = node_a.manage("shell", "-c", SESSION_AND_CONSULTATION)
        cookie, consultation = re.search(r"SESSION (\S+) (\d+)", output).groups()  # type: ignore[union-attr]
        path = f"/ws/consultations/{consultation}/"
        first = asyncio.run(say(node_a.ws_url + path, cookie, "I have had a cough for a week"))
        # A reconnect after a dropped socket takes at least a moment; node A saves as the socket closes.
        node_a.manage("shell", "-c", SAVED_PATIENT_TURNS.format(consultation=consultation).replace("== 2", ">= 1"))
        second = asyncio.run(say(node_b.ws_url + path, cookie, "and a mild fever"))
        saved = node_b.manage("shell", "-c", SAVED_PATIENT_TURNS.format(consultation=consultation))
    assert first["resumed"] is False and second["resumed"] is True
    assert json.loads(saved.strip().splitlines()[-1]) == ["I have had a cough for a week", "and a mild fever"]
