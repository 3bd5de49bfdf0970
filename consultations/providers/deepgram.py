"""Deepgram streaming speech-to-text (``wss://api.deepgram.com/v1/listen``).

Wire protocol, from Deepgram's "Live Audio" API reference and feature guides:

- Handshake: query ``model``, ``encoding=linear16``, ``sample_rate``, ``channels``,
  ``interim_results``, ``endpointing`` (ms of silence that sets ``speech_final``),
  ``utterance_end_ms`` (needs interim results), ``vad_events`` (``SpeechStarted``),
  ``smart_format``; header ``Authorization: Token <key>``. A refused handshake is an HTTP
  4xx (401 for a bad key).
- Client → server: binary frames of raw audio; text ``{"type": "KeepAlive"}`` every 3-5 s
  when no audio flows (otherwise the socket closes after 10 s with ``NET-0001``);
  text ``{"type": "CloseStream"}`` to flush, receive the last results and a ``Metadata``
  message, then a normal close.
- Server → client: ``Results`` (``channel.alternatives[0].transcript``, ``is_final``,
  ``speech_final``, ``start``, ``duration``), ``UtteranceEnd`` (``last_word_end``),
  ``SpeechStarted`` (``timestamp``), ``Metadata``.
- Errors close the socket with a code: 1008 for undecodable audio (``DATA-0000``), 1011 for
  timeouts or server trouble (``NET-0000``/``NET-0001``); 1011 is worth one reconnect.

Audio not yet covered by a final result is kept, so a reconnect re-sends it and nothing the
patient said is lost; result timestamps restart at zero on the new socket, hence the offset.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from consultations.providers.base import ProviderError, TranscriptEvent

KEEP_ALIVE = json.dumps({"type": "KeepAlive"})
CLOSE_STREAM = json.dumps({"type": "CloseStream"})
RECONNECTABLE_CLOSE_CODE = 1011
USER_MESSAGE = "Sorry, I can't hear you right now. Please try again, or type your message."

_END = object()


def _error(message: str, code: str) -> ProviderError:
    return ProviderError(message, code=code, user_message=USER_MESSAGE)


def _parse_json(message: str) -> dict:
    with suppress(ValueError):
        parsed = json.loads(message)
        if isinstance(parsed, dict):
            return parsed
    return {}


class ReplayBuffer:
    """Audio sent but not yet settled by a final result, kept to be re-sent after a reconnect.

    Positions are absolute byte offsets from the start of the patient's audio.
    """

    def __init__(self, bytes_per_s: int, max_s: float = 30.0) -> None:
        self.bytes_per_s = bytes_per_s
        self.max_bytes = int(bytes_per_s * max_s)
        self.data = bytearray()
        self.start_byte = 0

    @property
    def start_s(self) -> float:
        return self.start_byte / self.bytes_per_s

    def append(self, pcm16: bytes) -> None:
        self.data += pcm16
        self._drop(len(self.data) - self.max_bytes)

    def settle_until(self, end_s: float) -> None:
        """A final result covers the audio up to ``end_s`` (absolute): forget it."""
        end_byte = int(end_s * self.bytes_per_s) // 2 * 2
        self._drop(end_byte - self.start_byte)

    def _drop(self, count: int) -> None:
        count = max(0, min(count, len(self.data)))
        del self.data[:count]
        self.start_byte += count


class DeepgramSTT:
    """STTProvider for Deepgram live streaming; one WebSocket per ``open_stream``."""

    def __init__(
        self,
        api_key: str,
        url: str = "wss://api.deepgram.com/v1/listen",
        model: str = "nova-3-medical",
        endpointing_ms: int = 300,
        utterance_end_ms: int = 1000,
        keepalive_s: float = 5.0,
    ) -> None:
        self._api_key = api_key
        self._url = url
        self._model = model
        self._endpointing_ms = endpointing_ms
        self._utterance_end_ms = utterance_end_ms
        self._keepalive_s = keepalive_s

    def listen_url(self, sample_rate_hz: int) -> str:
        query = {
            "model": self._model,
            "encoding": "linear16",
            "sample_rate": sample_rate_hz,
            "channels": 1,
            "interim_results": "true",
            "endpointing": self._endpointing_ms,
            "utterance_end_ms": self._utterance_end_ms,
            "vad_events": "true",
            "smart_format": "true",
        }
        return f"{self._url}?{urlencode(query)}"

    async def open_stream(self, sample_rate_hz: int = 16000) -> DeepgramStream:
        url, headers = self.listen_url(sample_rate_hz), {"Authorization": f"Token {self._api_key}"}
        ws = await connect_to_deepgram(url, headers)
        return DeepgramStream(ws, url, headers, bytes_per_s=sample_rate_hz * 2, keepalive_s=self._keepalive_s)


async def connect_to_deepgram(url: str, headers: dict[str, str]) -> ClientConnection:
    try:
        return await connect(url, additional_headers=headers, compression=None, open_timeout=5)
    except InvalidStatus as exc:
        status = exc.response.status_code
        code = "stt_auth" if status in (401, 403) else "stt_unavailable"
        raise _error(f"Deepgram refused the stream: HTTP {status}", code) from exc
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise _error(f"Deepgram unreachable: {exc!r}", "stt_unavailable") from exc


class DeepgramStream:
    """One patient's audio stream to Deepgram (STTStream)."""

    def __init__(
        self, ws: ClientConnection, url: str, headers: dict[str, str], *, bytes_per_s: int, keepalive_s: float
    ) -> None:
        self._ws = ws
        self._url = url
        self._headers = headers
        self._keepalive_s = keepalive_s
        self._replay = ReplayBuffer(bytes_per_s)
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._offset_s = 0.0  # absolute time of the current socket's first audio byte
        self._finals: list[str] = []  # final segments of the utterance in progress
        self._last_sent = time.monotonic()
        self._reconnecting = False
        self._reconnect_allowed = True
        self._closing = False
        self._failure: ProviderError | None = None
        self._reader = asyncio.create_task(self._read_loop())
        self._keeper = asyncio.create_task(self._keep_alive())

    # ------------------------------------------------------------------ STTStream

    async def send_audio(self, pcm16: bytes) -> None:
        if self._failure:
            raise self._failure
        if self._closing or not pcm16:
            return
        self._replay.append(pcm16)
        if not self._reconnecting:
            await self._send(pcm16)

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        while (item := await self._events.get()) is not _END:
            if isinstance(item, ProviderError):
                raise item
            yield item

    async def close(self, timeout_s: float = 5.0) -> None:
        if self._closing:
            return
        self._closing = True
        self._keeper.cancel()
        await self._send(CLOSE_STREAM)
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), timeout_s)
        self._reader.cancel()
        await self._ws.close()

    # ------------------------------------------------------------------ socket

    async def _send(self, message: bytes | str) -> None:
        """Send on the current socket; a closed socket is the reader's business (reconnect or fail)."""
        self._last_sent = time.monotonic()
        with suppress(ConnectionClosed):
            await self._ws.send(message)

    async def _keep_alive(self) -> None:
        """Send KeepAlive whenever nothing was sent for ``keepalive_s`` (Deepgram: every 3-5 s)."""
        while True:
            wait_s = self._last_sent + self._keepalive_s - time.monotonic()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            else:
                await self._send(KEEP_ALIVE)

    async def _read_loop(self) -> None:
        try:
            while True:
                ws = self._ws
                with suppress(ConnectionClosed):
                    async for message in ws:
                        if isinstance(message, str):
                            self._handle(_parse_json(message))
                if self._finished(ws.close_code):
                    return
                await self._recover(ws.close_code, ws.close_reason)
        except ProviderError as exc:
            self._failure = exc
            self._events.put_nowait(exc)
        finally:
            self._keeper.cancel()
            self._events.put_nowait(_END)

    def _finished(self, close_code: int | None) -> bool:
        """A normal close ends the stream; so does any close while closing, unless audio is unsettled."""
        if close_code == 1000:
            return True
        return self._closing and (close_code != RECONNECTABLE_CLOSE_CODE or not self._replay.data)

    async def _recover(self, close_code: int | None, reason: str | None) -> None:
        """Reconnect once after a 1011 close and re-send the unsettled audio; anything else fails."""
        if close_code != RECONNECTABLE_CLOSE_CODE or not self._reconnect_allowed:
            raise _error(f"Deepgram closed the stream: {close_code} {reason}", "stt_connection_lost")
        self._reconnect_allowed = False
        self._reconnecting = True
        try:
            self._ws = await connect_to_deepgram(self._url, self._headers)
            self._offset_s = self._replay.start_s
            await self._replay_unsettled_audio()
            if self._closing:
                await self._send(CLOSE_STREAM)
        finally:
            self._reconnecting = False

    async def _replay_unsettled_audio(self, chunk_bytes: int = 8192) -> None:
        """Re-send the replay buffer, including audio appended while we were sending it."""
        sent = 0
        while sent < len(self._replay.data):
            chunk = bytes(self._replay.data[sent : sent + chunk_bytes])
            await self._send(chunk)
            sent += len(chunk)

    # ------------------------------------------------------------------ messages

    def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "Results":
            self._handle_results(message)
        elif kind == "UtteranceEnd" and self._finals:
            self._end_utterance()
        elif kind == "SpeechStarted":
            self._events.put_nowait(TranscriptEvent("speech_started"))

    def _handle_results(self, message: dict) -> None:
        alternative = (message.get("channel", {}).get("alternatives") or [{}])[0]
        text = str(alternative.get("transcript", "")).strip()
        confidence = alternative.get("confidence")
        if not message.get("is_final"):
            if text:
                self._events.put_nowait(TranscriptEvent("interim", text, confidence))
            return
        self._replay.settle_until(self._offset_s + message.get("start", 0.0) + message.get("duration", 0.0))
        self._reconnect_allowed = True  # this socket works: a later 1011 deserves a reconnect too
        if text:
            self._finals.append(text)
            self._events.put_nowait(TranscriptEvent("final", text, confidence))
        if message.get("speech_final") and self._finals:
            self._end_utterance()

    def _end_utterance(self) -> None:
        self._events.put_nowait(TranscriptEvent("utterance_end", " ".join(self._finals)))
        self._finals = []
