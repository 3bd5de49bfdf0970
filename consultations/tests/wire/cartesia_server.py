"""A local Cartesia TTS WebSocket (``/tts/websocket``) with contexts, chunks, done and cancel.

Handshake checks: the path, the API key (``Authorization: Bearer``, ``X-API-Key`` or
``?api_key=``; HTTP 401 otherwise) and an API version (``Cartesia-Version`` header or
``?cartesia_version=``; HTTP 400 otherwise). Each generation request is validated like the
real API (``model_id``, ``voice`` ``{"mode": "id", "id"}``, ``output_format`` raw
``pcm_s16le``, ``context_id``, string ``transcript``; every field but ``transcript`` and
``continue`` identical across a context) and a bad one gets an ``error`` message. Audio is
deterministic (``synthesize_pcm``), sent as base64 ``chunk`` messages of ``chunk_ms`` each,
then ``done`` once the context was ended with ``continue: false``. ``{"context_id",
"cancel": true}`` stops that context's chunks at once.
"""

from __future__ import annotations

import array
import asyncio
import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

CHARACTER_MS = 10
PER_CONTEXT_FIELDS_EXEMPT = {"transcript", "continue", "duration"}


def synthesize_pcm(transcript: str, sample_rate_hz: int) -> bytes:
    """The audio this server 'speaks' for a transcript: 10 ms of a constant per character."""
    samples_per_character = sample_rate_hz * CHARACTER_MS // 1000
    samples = array.array("h")
    for character in transcript:
        samples.extend([(ord(character) * 97 % 4096 - 2048) * 8] * samples_per_character)
    return samples.tobytes()


@dataclass
class TTSConnection:
    """What one client socket sent."""

    query: dict[str, str]
    headers: Headers
    requests: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)


@dataclass
class _Context:
    fields: dict[str, Any]
    inputs: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


class CartesiaServer:
    """``async with CartesiaServer(...) as server``; point the client at ``server.url``."""

    def __init__(
        self,
        *,
        api_key: str = "sk_car_test",
        model_ids: tuple[str, ...] = ("sonic-2", "sonic-3"),
        chunk_ms: int = 20,
        chunk_delay_s: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.model_ids = model_ids
        self.chunk_ms = chunk_ms
        self.chunk_delay_s = chunk_delay_s
        self.connections: list[TTSConnection] = []
        self.chunks_sent: Counter[str] = Counter()
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/tts/websocket"

    async def __aenter__(self) -> CartesiaServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._check_handshake)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        target = urlsplit(request.path)
        query = dict(parse_qsl(target.query))
        if target.path != "/tts/websocket":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        keys = {
            request.headers.get("Authorization", "").removeprefix("Bearer "),
            request.headers.get("X-API-Key"),
            query.get("api_key"),
        }
        if self.api_key not in keys:
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"error":"Invalid API key"}')
        if not (request.headers.get("Cartesia-Version") or query.get("cartesia_version")):
            return connection.respond(HTTPStatus.BAD_REQUEST, '{"error":"Cartesia-Version is required"}')
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        log = TTSConnection(dict(parse_qsl(urlsplit(connection.request.path).query)), connection.request.headers)
        self.connections.append(log)
        contexts: dict[str, _Context] = {}
        try:
            async for raw in connection:
                await self._on_message(connection, log, contexts, json.loads(raw))
        finally:
            for context in contexts.values():
                context.task.cancel()

    async def _on_message(
        self, connection: ServerConnection, log: TTSConnection, contexts: dict[str, _Context], message: dict[str, Any]
    ) -> None:
        context_id = message.get("context_id")
        if message.get("cancel"):
            log.cancels.append(context_id)
            if context_id in contexts:
                contexts.pop(context_id).task.cancel()
            return
        log.requests.append(message)
        problem = self._request_problem(message, contexts.get(context_id))
        if problem:
            await connection.send(json.dumps(_error(context_id, problem)))
            return
        if context_id not in contexts:
            contexts[context_id] = context = _Context(_per_context_fields(message))
            context.task = asyncio.create_task(self._speak(connection, context_id, context, contexts))
        contexts[context_id].inputs.put_nowait(message["transcript"])
        if not message.get("continue", False):
            contexts[context_id].inputs.put_nowait(None)

    def _request_problem(self, message: dict[str, Any], context: _Context | None) -> str | None:
        voice, output = message.get("voice") or {}, message.get("output_format") or {}
        if message.get("model_id") not in self.model_ids:
            return f"Invalid model: {message.get('model_id')!r} is not a valid model ID."
        if voice.get("mode") != "id" or not voice.get("id"):
            return "voice must be {'mode': 'id', 'id': <voice id>}"
        if (
            output.get("container") != "raw"
            or output.get("encoding") != "pcm_s16le"
            or not isinstance(output.get("sample_rate"), int)
        ):
            return "output_format must be raw pcm_s16le with an integer sample_rate"
        if not isinstance(message.get("transcript"), str) or not message.get("context_id"):
            return "transcript and context_id are required"
        if context and _per_context_fields(message) != context.fields:
            return "All fields except transcript and continue must stay the same within a context."
        return None

    async def _speak(
        self, connection: ServerConnection, context_id: str, context: _Context, contexts: dict[str, _Context]
    ) -> None:
        sample_rate_hz = context.fields["output_format"]["sample_rate"]
        chunk_bytes = sample_rate_hz * self.chunk_ms // 1000 * 2
        while (transcript := await context.inputs.get()) is not None:
            audio = synthesize_pcm(transcript, sample_rate_hz)
            for start in range(0, len(audio), chunk_bytes):
                await connection.send(json.dumps(_chunk(context_id, audio[start : start + chunk_bytes])))
                self.chunks_sent[context_id] += 1
                await asyncio.sleep(self.chunk_delay_s)
        contexts.pop(context_id, None)
        await connection.send(json.dumps({"type": "done", "done": True, "status_code": 206, "context_id": context_id}))


def _per_context_fields(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key not in PER_CONTEXT_FIELDS_EXEMPT}


def _chunk(context_id: str, audio: bytes) -> dict[str, Any]:
    data = base64.b64encode(audio).decode()
    return {"type": "chunk", "data": data, "done": False, "status_code": 206, "step_time": 12, "context_id": context_id}


def _error(context_id: str | None, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "context_id": context_id,
        "done": True,
        "status_code": 400,
        "title": "Invalid request",
        "message": message,
        "error_code": "invalid_request",
    }
