"""The CAIRE client against a local WebSocket server that speaks the (unofficial) CAIRE protocol."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from vitals.caire import CaireClient, CaireConfig, CaireError, CaireInference, connection_url

API_KEY = "test-key"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-body\xff\xd9"
TRUE_BPM = 72.0
FPS = 10.0


@dataclass
class FakeCaire:
    """Checks what the client sends; replies like CAIRE: ``ok`` with hr and waveform, then ``finished``."""

    url: str = ""
    key_in_header: str | None = None
    pulse: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def authorised(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.key_in_header:
            key = request.headers.get(self.key_in_header)
        else:
            key = parse_qs(urlsplit(request.path).query).get("api_key", [None])[0]
        if key != API_KEY:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad api key\n")
        return None

    async def handle(self, connection: ServerConnection) -> None:
        async for raw in connection:
            message = json.loads(raw)
            self.messages.append(message)
            self.check(message)
            if message.get("state") == "end":
                await connection.send(json.dumps(self.reply("finished", with_waveform=False)))
                return
            if len(self.messages) % 10 == 0:
                await connection.send(json.dumps(self.reply("ok", with_waveform=True)))

    def check(self, message: dict[str, Any]) -> None:
        if set(message) != {"datapt_id", "state", "frame_data", "timestamp", "advanced"}:
            self.problems.append(f"fields {sorted(message)}")
        if message.get("datapt_id") != self.messages[0].get("datapt_id"):
            self.problems.append("datapt_id changed within a measurement")
        if base64.b64decode(message.get("frame_data", "")) != JPEG:
            self.problems.append("frame_data is not the base64 JPEG")
        timestamp = message.get("timestamp")
        if not isinstance(timestamp, str) or float(timestamp) <= 0:
            self.problems.append("timestamp is not unix seconds as a string")
        if message.get("state") not in ("stream", "end") or message.get("advanced") is not True:
            self.problems.append("bad state or advanced flag")

    def reply(self, state: str, with_waveform: bool) -> dict[str, Any]:
        count = len(self.messages)
        hr = TRUE_BPM if count >= 20 else -1
        advanced = None
        if with_waveform:
            times = [float(m["timestamp"]) for m in self.messages[-10:]]
            noise = np.random.default_rng(count).normal(size=len(times))
            values = np.sin(2 * np.pi * TRUE_BPM / 60.0 * np.array(times)) if self.pulse else noise
            advanced = {"rppg": values.tolist(), "rppg_timestamps": times}
        return {
            "state": state,
            "socket_id": "abc",
            "datapt_id": self.messages[-1]["datapt_id"],
            "inference": {"hr": hr},
            "advanced": advanced,
            "confidence": {},
            "feedback": None,
            "model_version": "HR",
        }


@pytest.fixture
async def fake_caire() -> AsyncIterator[FakeCaire]:
    fake = FakeCaire()
    async with serve(fake.handle, "127.0.0.1", 0, process_request=fake.authorised) as server:
        port = server.sockets[0].getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}/ws/"
        yield fake


def _config(fake: FakeCaire, **overrides: Any) -> CaireConfig:
    return replace(CaireConfig(url=fake.url, api_key=API_KEY, finish_timeout_s=5.0), **overrides)


async def _measure(client: CaireClient, seconds: float = 14.0) -> CaireInference | None:
    start = 1_760_000_000.0
    frames = int(seconds * FPS)
    for index in range(frames - 1):
        await client.send_frame(JPEG, start + index / FPS)
    return await client.finish(JPEG, start + (frames - 1) / FPS)


async def test_frames_are_relayed_and_the_heart_rate_comes_back(fake_caire: FakeCaire) -> None:
    async with CaireClient(_config(fake_caire)) as client:
        final = await _measure(client)
    assert fake_caire.problems == []
    assert len(fake_caire.messages) == 140
    assert [m["state"] for m in fake_caire.messages[-2:]] == ["stream", "end"]
    assert final is not None and final.finished
    assert client.heart_rate_bpm == TRUE_BPM


async def test_live_inferences_reach_the_callback(fake_caire: FakeCaire) -> None:
    seen: list[CaireInference] = []

    async def collect(inference: CaireInference) -> None:
        seen.append(inference)

    async with CaireClient(_config(fake_caire), on_inference=collect) as client:
        await _measure(client)
    assert seen[0].heart_rate_bpm is None  # CAIRE sends hr -1 until it has an estimate
    assert seen[-1].finished
    assert len(seen) == 14


async def test_result_is_acceptable_when_caires_waveform_carries_the_pulse(fake_caire: FakeCaire) -> None:
    async with CaireClient(_config(fake_caire)) as client:
        await _measure(client)
    times, _ = client.waveform
    assert len(times) == 130
    result = client.result()
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == TRUE_BPM
    assert result.method == "caire"
    assert result.snr_db is not None
    assert result.duration_s == pytest.approx(13.9)


async def test_result_is_not_acceptable_when_caires_waveform_is_noise(fake_caire: FakeCaire) -> None:
    fake_caire.pulse = False
    async with CaireClient(_config(fake_caire)) as client:
        await _measure(client)
    result = client.result()
    assert not result.acceptable
    assert result.heart_rate_bpm == TRUE_BPM


async def test_no_heart_rate_from_caire_is_no_reading(fake_caire: FakeCaire) -> None:
    async with CaireClient(_config(fake_caire)) as client:
        await _measure(client, seconds=1.0)
    result = client.result()
    assert result.heart_rate_bpm is None
    assert not result.acceptable


async def test_wrong_api_key_is_refused(fake_caire: FakeCaire) -> None:
    with pytest.raises(CaireError, match="cannot connect"):
        await CaireClient(_config(fake_caire, api_key="wrong")).connect()


async def test_the_key_can_go_in_a_header_instead(fake_caire: FakeCaire) -> None:
    fake_caire.key_in_header = "X-API-Key"
    config = _config(fake_caire, api_key_param=None, api_key_header="X-API-Key")
    assert "api_key" not in connection_url(config)
    async with CaireClient(config) as client:
        await _measure(client, seconds=3.0)
    assert fake_caire.problems == []


async def test_field_names_are_configurable(fake_caire: FakeCaire) -> None:
    config = _config(fake_caire, frame_field="image", advanced_field=None, timestamp_as_string=False)
    async with CaireClient(config) as client:
        await client.finish(JPEG, 1_760_000_000.0)
    message = fake_caire.messages[0]
    assert "image" in message and "advanced" not in message
    assert isinstance(message["timestamp"], float)


def test_connection_url_keeps_existing_query_and_adds_key() -> None:
    config = CaireConfig(url="wss://caire.example/ws/?region=eu", api_key="k 1")
    assert connection_url(config) == "wss://caire.example/ws/?region=eu&client=healthhelper&api_key=k+1"
