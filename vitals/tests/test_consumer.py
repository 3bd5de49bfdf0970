"""The vitals WebSocket: only the owner streams, estimates come back, the result is stored, bad input is
answered with ``error`` events on a socket that stays open."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from conftest import Cast
from healthhelper.asgi import application
from vitals import services
from vitals.consumers import CLOSE_ALREADY_MEASURED, CLOSE_NOT_FOUND, MAX_MESSAGE_CHARS
from vitals.models import VitalSign, VitalsScan
from vitals.routing import websocket_urlpatterns
from vitals.rppg.synthetic import TraceSpec, make_trace
from vitals.tests.test_caire import API_KEY as CAIRE_KEY
from vitals.tests.test_caire import JPEG as CAIRE_JPEG
from vitals.tests.test_caire import (
    FakeCaire,
    fake_caire,  # noqa: F401  (a fixture, used by `caire`)
)

pytestmark = pytest.mark.django_db(transaction=True)

TRUE_BPM = 72.0
BATCH_ROWS = 10
TIMEOUT_S = 10
PAUSE_S = 11.0


def _trace(condition: str = "clean", seconds: float = 30.0, bpm: float = TRUE_BPM, seed: int = 7) -> np.ndarray:
    return make_trace(TraceSpec(condition, bpm, seed, seconds=seconds)).samples


def _batches(samples: np.ndarray) -> list[list[list[float]]]:
    return [samples[i : i + BATCH_ROWS].tolist() for i in range(0, len(samples), BATCH_ROWS)]


@pytest.fixture
def scan(cast: Cast) -> VitalsScan:
    return services.start_scan(cast.patient, method="embedded", device="test camera")


OpenSocket = Callable[..., Awaitable[WebsocketCommunicator]]


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """Connects as ``user`` (set on the scope, as AuthMiddlewareStack would); disconnects after the test
    so that no consumer outlives it holding a database connection."""
    opened: list[WebsocketCommunicator] = []

    async def open_(user: Any, scan_id: int) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/vitals/{scan_id}/")
        communicator.scope["user"] = user
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        assert connected
        return communicator

    yield open_
    for communicator in opened:
        await communicator.disconnect()


async def _send_trace(communicator: WebsocketCommunicator, samples: np.ndarray) -> None:
    for batch in _batches(samples):
        await communicator.send_json_to({"type": "samples", "samples": batch})


async def _until_closed(communicator: WebsocketCommunicator) -> tuple[list[dict[str, Any]], int]:
    """Every JSON message the server sends until it closes the socket, and the close code."""
    messages = []
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT_S)
        if output["type"] == "websocket.close":
            return messages, output.get("code", 1000)
        messages.append(json.loads(output["text"]))


async def _next_json(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next message, skipping live estimates."""
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT_S)
        if message["type"] != "estimate":
            return message


async def _measure(communicator: WebsocketCommunicator, samples: np.ndarray) -> tuple[list[dict[str, Any]], int]:
    await _send_trace(communicator, samples)
    await communicator.send_json_to({"type": "end"})
    return await _until_closed(communicator)


def _of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


# --- a measurement -------------------------------------------------------------------------------


async def test_owner_gets_live_estimates_and_a_stored_result(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    messages, code = await _measure(communicator, _trace())

    estimates = _of_type(messages, "estimate")
    assert len(estimates) >= 25  # about one per second of a 30 s trace
    assert set(estimates[-1]) >= {"heart_rate_bpm", "snr_db", "progress", "guidance", "waveform"}
    assert [e["progress"] for e in estimates] == sorted(e["progress"] for e in estimates)
    assert estimates[-1]["progress"] >= 0.95
    assert abs(estimates[-1]["heart_rate_bpm"] - TRUE_BPM) < 3

    (result,) = _of_type(messages, "result")
    assert messages[-1] is result and code == 1000
    assert result["acceptable"] is True and abs(result["heart_rate_bpm"] - TRUE_BPM) < 3
    reading = await database_sync_to_async(VitalSign.objects.get)(pk=result["reading"])
    assert reading.patient_id == cast.patient.pk and reading.scan_id == scan.pk
    assert reading.loinc == "8867-4" and reading.acceptable and abs(reading.value - TRUE_BPM) < 3
    assert reading.snr_db == pytest.approx(result["snr_db"], abs=0.01)


async def test_unacceptable_measurement_is_stored_without_a_value(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    messages, _ = await _measure(communicator, _trace("no-pulse"))

    (result,) = _of_type(messages, "result")
    assert result["acceptable"] is False and result["heart_rate_bpm"] is None and result["reason"]
    reading = await database_sync_to_async(VitalSign.objects.get)(pk=result["reading"])
    assert reading.value is None and not reading.acceptable and reading.quality_reason
    await database_sync_to_async(scan.refresh_from_db)()
    assert scan.status == VitalsScan.Status.FAILED


async def test_a_too_short_measurement_is_not_acceptable(cast: Cast, scan: VitalsScan, open_socket: OpenSocket) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    messages, _ = await _measure(communicator, _trace(seconds=4.0))
    (result,) = _of_type(messages, "result")
    assert result["acceptable"] is False and result["heart_rate_bpm"] is None


async def test_end_without_samples_stores_an_unacceptable_reading(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await communicator.send_json_to({"type": "end"})
    messages, _ = await _until_closed(communicator)
    (result,) = _of_type(messages, "result")
    assert result["acceptable"] is False
    assert await database_sync_to_async(VitalSign.objects.filter(scan=scan, value=None).exists)()


async def test_a_measurement_that_never_ends_is_finished_by_the_server(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await _send_trace(communicator, _trace(seconds=95.0))
    messages, _ = await _until_closed(communicator)
    (result,) = _of_type(messages, "result")
    assert result["duration_s"] >= 89


async def test_a_finished_scan_cannot_be_measured_again(cast: Cast, scan: VitalsScan, open_socket: OpenSocket) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await _measure(communicator, _trace(seconds=4.0))
    again = await open_socket(cast.patient, scan.pk)
    assert await again.receive_output(timeout=TIMEOUT_S) == {"type": "websocket.close", "code": CLOSE_ALREADY_MEASURED}


@pytest.mark.slow
async def test_a_socket_survives_a_pause_longer_than_the_channel_layers_poll(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    """A person may pause (or a phone stall) for seconds. On the Redis channel layer each consumer polls
    with a 5 s blocking pop, so the Redis client's socket timeout must be longer than that."""
    communicator = await open_socket(cast.patient, scan.pk)
    await asyncio.sleep(PAUSE_S)
    await communicator.send_json_to({"type": "samples", "samples": [[0.0, 100, 100, 100]]})
    assert await communicator.receive_nothing(timeout=0.3)


# --- who may connect ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_patient", "clinician", "unassigned_clinician", "admin", "anonymous"])
async def test_only_the_owner_may_stream(cast: Cast, scan: VitalsScan, open_socket: OpenSocket, who: str) -> None:
    user = AnonymousUser() if who == "anonymous" else getattr(cast, who)
    communicator = await open_socket(user, scan.pk)
    assert await communicator.receive_output(timeout=TIMEOUT_S) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_a_scan_that_does_not_exist_is_closed_like_someone_elses(cast: Cast, open_socket: OpenSocket) -> None:
    communicator = await open_socket(cast.patient, 999_999)
    assert await communicator.receive_output(timeout=TIMEOUT_S) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


@pytest.fixture
def session_cookie(cast: Cast) -> str:
    client = Client()
    client.force_login(cast.patient)
    return client.cookies["sessionid"].value


async def test_the_asgi_application_recognises_the_patient_by_session_cookie(
    scan: VitalsScan, session_cookie: str
) -> None:
    communicator = WebsocketCommunicator(
        application,
        f"/ws/vitals/{scan.pk}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={session_cookie}".encode())],
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT_S)
    assert connected
    await communicator.send_json_to({"type": "samples", "samples": [[0.0, 1.0, 2.0, 3.0], [0.03, 1.0, 2.0, 3.0]]})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_the_asgi_application_closes_an_anonymous_socket(scan: VitalsScan) -> None:
    communicator = WebsocketCommunicator(
        application, f"/ws/vitals/{scan.pk}/", headers=[(b"origin", b"http://127.0.0.1")]
    )
    await communicator.connect(timeout=TIMEOUT_S)
    assert await communicator.receive_output(timeout=TIMEOUT_S) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    await communicator.disconnect()


async def test_the_asgi_application_refuses_a_foreign_origin(scan: VitalsScan, session_cookie: str) -> None:
    communicator = WebsocketCommunicator(
        application,
        f"/ws/vitals/{scan.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={session_cookie}".encode())],
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT_S)
    assert not connected


# --- malformed input ----------------------------------------------------------------------------

HUGE_BATCH = [[i / 30, 100.0, 100.0, 100.0] for i in range(5000)]
MALFORMED: dict[str, tuple[str, str]] = {
    "garbage JSON": ("{not json", "bad_json"),
    "a JSON list": ("[1, 2, 3]", "bad_message"),
    "no type": ('{"samples": []}', "bad_message"),
    "unknown type": ('{"type": "selfie"}', "unknown_type"),
    "NaN": ('{"type": "samples", "samples": [[0.0, NaN, 100, 100]]}', "bad_samples"),
    "null value": ('{"type": "samples", "samples": [[0.0, null, 100, 100]]}', "bad_samples"),
    "infinity": ('{"type": "samples", "samples": [[0.0, Infinity, 100, 100]]}', "bad_samples"),
    "negative time": ('{"type": "samples", "samples": [[-1.0, 100, 100, 100]]}', "bad_samples"),
    "three columns": ('{"type": "samples", "samples": [[0.0, 100, 100]]}', "bad_samples"),
    "five columns": ('{"type": "samples", "samples": [[0.0, 100, 100, 100, 1]]}', "bad_samples"),
    "flat list": ('{"type": "samples", "samples": [0.0, 100, 100, 100]}', "bad_samples"),
    "not a list": ('{"type": "samples", "samples": "0,100,100,100"}', "bad_samples"),
    "missing samples": ('{"type": "samples"}', "bad_samples"),
    "empty batch": ('{"type": "samples", "samples": []}', "bad_samples"),
    "strings": ('{"type": "samples", "samples": [["0", "1", "2", "3"]]}', "bad_samples"),
    "channel out of range": ('{"type": "samples", "samples": [[0.0, 300, 100, 100]]}', "bad_samples"),
    "time going backwards": ('{"type": "samples", "samples": [[1.0, 1, 1, 1], [0.5, 1, 1, 1]]}', "bad_samples"),
    "huge batch": (json.dumps({"type": "samples", "samples": HUGE_BATCH}), "bad_samples"),
    "huge message": ('{"type": "samples", "pad": "' + "x" * MAX_MESSAGE_CHARS + '"}', "too_large"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "bad_json"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_malformed_input_gets_an_error_event_and_the_socket_stays_open(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, name: str
) -> None:
    text, code = MALFORMED[name]
    communicator = await open_socket(cast.patient, scan.pk)
    await communicator.send_to(text_data=text)
    error = await communicator.receive_json_from(timeout=TIMEOUT_S)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await communicator.send_json_to({"type": "samples", "samples": [[2.0, 100, 100, 100]]})
    assert await communicator.receive_nothing(timeout=0.2)


async def test_binary_frames_are_refused_in_samples_mode(cast: Cast, scan: VitalsScan, open_socket: OpenSocket) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await communicator.send_to(bytes_data=b"\xff\xd8\xff\xe0 not for this mode")
    error = await communicator.receive_json_from(timeout=TIMEOUT_S)
    assert error["type"] == "error" and error["code"] == "binary_not_expected"


async def test_a_batch_overlapping_the_previous_one_is_refused(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await communicator.send_json_to({"type": "samples", "samples": [[1.0, 100, 100, 100], [1.1, 100, 100, 100]]})
    await communicator.send_json_to({"type": "samples", "samples": [[1.05, 100, 100, 100]]})
    error = await _next_json(communicator)
    assert error["code"] == "bad_samples" and "batch" in error["message"]


async def test_bad_messages_between_good_batches_do_not_spoil_the_measurement(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket
) -> None:
    samples = _trace()
    communicator = await open_socket(cast.patient, scan.pk)
    bad = [text for text, _ in MALFORMED.values()] + [b"\x00\x01binary"]
    for index, batch in enumerate(_batches(samples)):
        await communicator.send_json_to({"type": "samples", "samples": batch})
        if index % 4 == 0 and bad:
            message = bad.pop()
            await (
                communicator.send_to(bytes_data=message)
                if isinstance(message, bytes)
                else communicator.send_to(text_data=message)
            )
    await communicator.send_json_to({"type": "end"})
    messages, _ = await _until_closed(communicator)

    assert not bad and len(_of_type(messages, "error")) == len(MALFORMED) + 1
    (result,) = _of_type(messages, "result")
    assert result["acceptable"] is True and abs(result["heart_rate_bpm"] - TRUE_BPM) < 3
    assert result["duration_s"] >= 29


# --- CAIRE mode (against the local CAIRE server of the client's own tests) -----------------------

FRAME_FPS = 15
FRAME = {"type": "frame", "jpeg": base64.b64encode(CAIRE_JPEG).decode()}


@pytest.fixture
def caire(settings: Any, request: pytest.FixtureRequest) -> FakeCaire:
    fake: FakeCaire = request.getfixturevalue("fake_caire")
    settings.CAIRE_API_KEY = CAIRE_KEY
    settings.CAIRE_WS_URL = fake.url
    return fake


async def test_caire_mode_relays_frames_and_stores_caires_reading(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, caire: FakeCaire
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    for i in range(20 * FRAME_FPS):
        await communicator.send_json_to({**FRAME, "t": i / FRAME_FPS})
    await communicator.send_json_to({"type": "end"})
    messages, _ = await _until_closed(communicator)

    estimates = _of_type(messages, "estimate")
    assert len(estimates) >= 10 and estimates[-1]["heart_rate_bpm"] == TRUE_BPM and estimates[-1]["waveform"]
    (result,) = _of_type(messages, "result")
    assert result["acceptable"] is True and result["heart_rate_bpm"] == TRUE_BPM and result["method"] == "caire"
    reading = await database_sync_to_async(VitalSign.objects.get)(pk=result["reading"])
    assert reading.value == TRUE_BPM and reading.method == "caire"

    assert caire.problems == []
    assert [m["state"] for m in caire.messages] == ["stream"] * 20 * FRAME_FPS + ["end"]
    times = [float(m["timestamp"]) for m in caire.messages[:-1]]
    assert times == sorted(times) and times[-1] - times[0] == pytest.approx(20 - 1 / FRAME_FPS, abs=0.01)


async def test_caire_mode_takes_binary_jpeg_frames(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, caire: FakeCaire
) -> None:
    communicator = await open_socket(cast.patient, scan.pk)
    await communicator.send_to(bytes_data=CAIRE_JPEG)
    await communicator.send_json_to({"type": "end"})
    messages, _ = await _until_closed(communicator)
    assert [m["state"] for m in caire.messages] == ["stream", "end"] and caire.problems == []
    assert _of_type(messages, "result")[0]["acceptable"] is False  # one frame is no measurement


CAIRE_MALFORMED: dict[str, tuple[object, str]] = {
    "colour samples": ({"type": "samples", "samples": [[0.0, 1, 2, 3]]}, "samples_not_expected"),
    "not base64": ({"type": "frame", "t": 0.0, "jpeg": "***"}, "bad_frame"),
    "not a JPEG": ({"type": "frame", "t": 0.0, "jpeg": base64.b64encode(b"GIF89a").decode()}, "bad_frame"),
    "no time": ({"type": "frame", "jpeg": FRAME["jpeg"]}, "bad_frame"),
    "negative time": ({**FRAME, "t": -1}, "bad_frame"),
    "binary not a JPEG": (b"\x89PNG....", "bad_frame"),
}


@pytest.mark.parametrize("name", sorted(CAIRE_MALFORMED))
async def test_caire_mode_answers_bad_frames_with_errors_and_relays_nothing(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, caire: FakeCaire, name: str
) -> None:
    message, code = CAIRE_MALFORMED[name]
    communicator = await open_socket(cast.patient, scan.pk)
    if isinstance(message, bytes):
        await communicator.send_to(bytes_data=message)
    else:
        await communicator.send_json_to(message)
    error = await communicator.receive_json_from(timeout=TIMEOUT_S)
    assert error["type"] == "error" and error["code"] == code
    assert caire.messages == []


async def test_unreachable_caire_is_reported_and_the_socket_closed(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, settings: Any
) -> None:
    settings.CAIRE_API_KEY = CAIRE_KEY
    settings.CAIRE_WS_URL = f"ws://127.0.0.1:{_closed_port()}/ws/"
    communicator = await open_socket(cast.patient, scan.pk)
    messages, code = await _until_closed(communicator)
    assert [m["code"] for m in messages] == ["caire_unavailable"] and code == 1011


async def test_a_refused_caire_key_is_reported_and_the_socket_closed(
    cast: Cast, scan: VitalsScan, open_socket: OpenSocket, caire: FakeCaire, settings: Any
) -> None:
    settings.CAIRE_API_KEY = "not-the-key"
    communicator = await open_socket(cast.patient, scan.pk)
    messages, code = await _until_closed(communicator)
    assert [m["code"] for m in messages] == ["caire_unavailable"] and code == 1011


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
