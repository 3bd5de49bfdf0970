"""Cartesia streaming text-to-speech over one WebSocket (``wss://api.cartesia.ai/tts/websocket``).

Wire protocol, from Cartesia's API reference ("TTS WebSocket", "Contexts", "Buffering",
"API conventions"):

- Handshake headers ``Authorization: Bearer <key>`` and ``Cartesia-Version: <date>``.
- One socket carries many *contexts*; we use one ``context_id`` per assistant turn. Each
  generation request repeats ``model_id``, ``voice`` ``{"mode": "id", "id": ...}``,
  ``output_format`` ``{"container": "raw", "encoding": "pcm_s16le", "sample_rate": N}``,
  ``language`` and ``max_buffer_delay_ms`` (all fields but ``transcript`` and ``continue``
  must stay the same within a context), with ``continue: true`` while more text may follow.
  A context ends with an empty ``transcript`` and ``continue: false``. Transcripts are
  concatenated verbatim, so each sentence carries its trailing space.
- ``max_buffer_delay_ms: 0``: we already send whole sentences, so Cartesia should speak
  each one at once instead of waiting for more text (custom buffering).
- Responses: ``chunk`` (base64 ``data`` in the requested format), ``done``, ``error``,
  ``flush_done``, ``timestamps`` — each with its ``context_id``.
- Barge-in: ``{"context_id": ..., "cancel": true}``; chunks of that context still in flight
  are dropped here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.protocol import State

from consultations.providers.base import ProviderError

# A stock voice from Cartesia's realtime TTS quickstart; production sets CARTESIA_VOICE_ID.
DEFAULT_VOICE_ID = "f786b574-daa5-4673-aa0c-cbe3e8534c02"
# Latest API version in Cartesia's docs when this client was written (GET / → "version").
CARTESIA_VERSION = "2026-03-01"
USER_MESSAGE = "Sorry, I can't speak right now. Please read my answer on screen."

_DONE = object()


class CartesiaTTS:
    """TTSProvider for Cartesia; the WebSocket opens at the first turn and is reused after."""

    def __init__(
        self,
        api_key: str,
        url: str = "wss://api.cartesia.ai/tts/websocket",
        model_id: str = "sonic-2",
        voice_id: str = DEFAULT_VOICE_ID,
        sample_rate_hz: int = 24000,
        version: str = CARTESIA_VERSION,
        language: str = "en",
    ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self._connection = CartesiaConnection(url, {"Authorization": f"Bearer {api_key}", "Cartesia-Version": version})
        self._fields = {
            "model_id": model_id,
            "voice": {"mode": "id", "id": voice_id or DEFAULT_VOICE_ID},
            "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": sample_rate_hz},
            "language": language,
            "max_buffer_delay_ms": 0,
        }

    async def open_stream(self) -> CartesiaStream:
        await self._connection.ensure_open()
        return CartesiaStream(self._connection, self._fields, uuid.uuid4().hex)

    async def aclose(self) -> None:
        """Close the shared WebSocket (at the end of the consultation)."""
        await self._connection.close()


class CartesiaConnection:
    """The shared socket: sends requests and routes each response to its context's queue."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self._url = url
        self._headers = headers
        self._ws: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self._contexts: dict[str, asyncio.Queue[Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def ensure_open(self) -> None:
        async with self._lock:
            if self._ws is None or self._ws.state is not State.OPEN:
                self._ws = await self._connect()
                self._reader = asyncio.create_task(self._read_loop(self._ws))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    def register(self, context_id: str) -> asyncio.Queue[Any]:
        return self._contexts.setdefault(context_id, asyncio.Queue())

    def unregister(self, context_id: str) -> bool:
        """Forget a context (its late chunks get dropped); True if it was still active."""
        return self._contexts.pop(context_id, None) is not None

    async def send(self, message: dict[str, Any]) -> None:
        if self._ws is None:
            raise _error("Cartesia socket is not open", "tts_connection_lost")
        try:
            await self._ws.send(json.dumps(message))
        except ConnectionClosed as exc:
            raise _error(f"Cartesia socket closed: {exc}", "tts_connection_lost") from exc

    async def _connect(self) -> ClientConnection:
        try:
            return await connect(self._url, additional_headers=self._headers, compression=None, open_timeout=5)
        except InvalidStatus as exc:
            status = exc.response.status_code
            code = "tts_auth" if status in (401, 403) else "tts_unavailable"
            raise _error(f"Cartesia refused the socket: HTTP {status}", code) from exc
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise _error(f"Cartesia unreachable: {exc!r}", "tts_unavailable") from exc

    async def _read_loop(self, ws: ClientConnection) -> None:
        with suppress(ConnectionClosed):
            async for raw in ws:
                self._dispatch(_parse_json(raw))
        lost = _error(f"Cartesia socket closed: {ws.close_code} {ws.close_reason}", "tts_connection_lost")
        for context_id in list(self._contexts):
            self._contexts.pop(context_id).put_nowait(lost)

    def _dispatch(self, message: dict[str, Any]) -> None:
        context_id = str(message.get("context_id") or "")
        kind = message.get("type")
        if kind == "error" and not context_id:
            self._fail_all(message)
            return
        queue = self._contexts.get(context_id)
        if queue is None:
            return  # a cancelled or finished context: its late messages are dropped
        if kind == "chunk" and message.get("data"):
            queue.put_nowait(_decode_audio(message["data"]))
        elif kind == "error":
            self._contexts.pop(context_id)
            queue.put_nowait(_error_from_message(message))
        elif kind == "done" or message.get("done"):
            self._contexts.pop(context_id)
            queue.put_nowait(_DONE)

    def _fail_all(self, message: dict[str, Any]) -> None:
        for context_id in list(self._contexts):
            self._contexts.pop(context_id).put_nowait(_error_from_message(message))


class CartesiaStream:
    """One assistant turn (TTSStream): one Cartesia context."""

    def __init__(self, connection: CartesiaConnection, fields: dict[str, Any], context_id: str) -> None:
        self.context_id = context_id
        self._connection = connection
        self._fields = fields
        self._queue = connection.register(context_id)
        self._sent_text = False
        self._ended = False

    async def push_text(self, text: str) -> None:
        if self._ended or not text.strip():
            return
        transcript = text if text[-1].isspace() else text + " "
        await self._send_input(transcript, more=True)
        self._sent_text = True

    async def finish(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._sent_text:
            await self._send_input("", more=False)
        elif self._connection.unregister(self.context_id):
            self._queue.put_nowait(_DONE)

    async def audio(self) -> AsyncIterator[bytes]:
        while (item := await self._queue.get()) is not _DONE:
            if isinstance(item, ProviderError):
                raise item
            yield item

    async def cancel(self) -> None:
        self._ended = True
        still_speaking = self._connection.unregister(self.context_id)
        _drain(self._queue)
        self._queue.put_nowait(_DONE)
        if still_speaking and self._sent_text:
            with suppress(ProviderError):
                await self._connection.send({"context_id": self.context_id, "cancel": True})

    async def _send_input(self, transcript: str, *, more: bool) -> None:
        message = {**self._fields, "transcript": transcript, "context_id": self.context_id, "continue": more}
        await self._connection.send(message)


def _drain(queue: asyncio.Queue[Any]) -> None:
    while not queue.empty():
        queue.get_nowait()


def _parse_json(raw: str | bytes) -> dict[str, Any]:
    with suppress(ValueError):
        parsed = json.loads(raw)
        if isinstance(parsed, dict):
            return parsed
    return {}


def _decode_audio(data: str) -> bytes | ProviderError:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return _error("Cartesia sent a chunk that is not base64", "tts_error")


def _error_from_message(message: dict[str, Any]) -> ProviderError:
    """Cartesia errors carry ``error`` (older versions) or ``title``/``message``/``error_code``."""
    detail = message.get("message") or message.get("error") or message.get("title") or "unknown error"
    status = message.get("status_code")
    code = "tts_auth" if status in (401, 403) else "tts_error"
    return _error(f"Cartesia error {status or message.get('error_code', '')}: {detail}", code)


def _error(message: str, code: str) -> ProviderError:
    return ProviderError(message, code=code, user_message=USER_MESSAGE)
