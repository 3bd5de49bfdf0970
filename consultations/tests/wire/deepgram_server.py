"""A local Deepgram live-streaming server (``/v1/listen``) driven by the audio's energy.

Handshake checks, as Deepgram does them: the path, ``Authorization: Token <key>`` (HTTP 401
otherwise) and the query (``model``, ``encoding=linear16``, ``sample_rate``, ``channels``;
HTTP 400 when missing or wrong). Then, per 20 ms frame of binary PCM16 audio: a frame louder
than ``energy_threshold`` is speech. Speech onset sends ``SpeechStarted``; every 200 ms of
speech an interim ``Results``; ``endpointing`` ms of silence a final ``Results``
(``is_final``, ``speech_final``) carrying the next configured transcript; ``utterance_end_ms``
of silence after the last word an ``UtteranceEnd``. Text frames: ``KeepAlive`` is recorded,
``CloseStream`` flushes (final result, ``Metadata``) and closes normally. The first
``close_1011_connections`` sockets are closed with 1011 (``NET-0001``) after
``close_1011_after_ms`` of audio, to test reconnection. Result timestamps restart at zero on
each socket, like Deepgram's.
"""

from __future__ import annotations

import array
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import cycle
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

FRAME_MS = 20
INTERIM_EVERY_FRAMES = 10


def speech_pcm(duration_ms: int, sample_rate_hz: int = 16000, amplitude: int = 8000) -> bytes:
    """A 220 Hz tone: loud enough to count as speech here."""
    samples = array.array(
        "h",
        (
            int(amplitude * math.sin(2 * math.pi * 220 * n / sample_rate_hz))
            for n in range(sample_rate_hz * duration_ms // 1000)
        ),
    )
    return samples.tobytes()


def silence_pcm(duration_ms: int, sample_rate_hz: int = 16000) -> bytes:
    return bytes(2 * (sample_rate_hz * duration_ms // 1000))


@dataclass
class ListenSession:
    """What one client connection sent: its query, headers, audio and text messages."""

    query: dict[str, str]
    headers: Headers
    audio: bytearray = field(default_factory=bytearray)
    text_messages: list[dict[str, Any]] = field(default_factory=list)
    binary_messages: int = 0

    def messages_of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.text_messages if message.get("type") == kind]


class DeepgramServer:
    """``async with DeepgramServer(...) as server``; point the client at ``server.url``."""

    def __init__(
        self,
        transcripts: tuple[str, ...] = ("I have had a headache for three days.",),
        *,
        api_key: str = "dg-test-key",
        speech_final: bool = True,
        energy_threshold: int = 500,
        close_1011_after_ms: int | None = None,
        close_1011_connections: int = 1,
    ) -> None:
        self.api_key = api_key
        self.speech_final = speech_final
        self.energy_threshold = energy_threshold
        self.close_1011_after_ms = close_1011_after_ms
        self.close_1011_connections = close_1011_connections
        self.sessions: list[ListenSession] = []
        self._transcripts = cycle(transcripts)
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1/listen"

    async def __aenter__(self) -> DeepgramServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._check_handshake, compression=None, max_queue=None
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        target = urlsplit(request.path)
        if target.path != "/v1/listen":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return connection.respond(
                HTTPStatus.UNAUTHORIZED, '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}'
            )
        problem = _query_problem(dict(parse_qsl(target.query)))
        if problem:
            return connection.respond(HTTPStatus.BAD_REQUEST, f'{{"err_code":"Bad Request","err_msg":"{problem}"}}')
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        query = dict(parse_qsl(urlsplit(connection.request.path).query))
        session = ListenSession(query, connection.request.headers)
        self.sessions.append(session)
        recogniser = Recogniser(query, self._transcripts, self.energy_threshold, self.speech_final)
        drop_after_ms = self.close_1011_after_ms if len(self.sessions) <= self.close_1011_connections else None
        async for message in connection:
            if isinstance(message, bytes):
                session.binary_messages += 1
                session.audio += message
                await _send_all(connection, recogniser.feed(message))
                if drop_after_ms is not None and recogniser.elapsed_ms >= drop_after_ms:
                    await connection.close(1011, "NET-0001: no audio received in time")
                    return
                continue
            control = json.loads(message)
            session.text_messages.append(control)
            if control.get("type") == "CloseStream":
                await _send_all(connection, [*recogniser.flush(), _metadata(recogniser)])
                await connection.close(1000)
                return


def _query_problem(query: dict[str, str]) -> str | None:
    if not query.get("model"):
        return "model is required"
    if query.get("encoding") != "linear16":
        return "this server only decodes encoding=linear16"
    if not query.get("sample_rate", "").isdigit():
        return "sample_rate is required with encoding"
    if query.get("channels", "1") != "1":
        return "this server only decodes mono audio"
    if query.get("utterance_end_ms") and query.get("interim_results") != "true":
        return "utterance_end_ms requires interim_results=true"
    return None


async def _send_all(connection: ServerConnection, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        await connection.send(json.dumps(message))


class Recogniser:
    """Turns 20 ms frames of audio into Deepgram messages, by energy alone."""

    def __init__(
        self, query: dict[str, str], transcripts: Iterator[str], energy_threshold: int, speech_final: bool
    ) -> None:
        self.sample_rate_hz = int(query["sample_rate"])
        self.endpointing_ms = int(query.get("endpointing") or 10)
        self.utterance_end_ms = int(query.get("utterance_end_ms") or 0)
        self.vad_events = query.get("vad_events") == "true"
        self.interim_results = query.get("interim_results") == "true"
        self.model = query["model"]
        self.energy_threshold = energy_threshold
        self.speech_final = speech_final
        self._transcripts = transcripts
        self._frame_bytes = self.sample_rate_hz * FRAME_MS // 1000 * 2
        self._pending = bytearray()
        self.elapsed_ms = 0
        self._settled_ms = 0  # end of the last final result's window
        self._speech_frames = 0
        self._last_voice_ms: int | None = None
        self._awaiting_utterance_end = False
        self._transcript = ""

    def feed(self, pcm16: bytes) -> list[dict[str, Any]]:
        self._pending += pcm16
        messages: list[dict[str, Any]] = []
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            messages += self._frame(_rms(frame) > self.energy_threshold)
        return messages

    def flush(self) -> list[dict[str, Any]]:
        """CloseStream: whatever speech is in progress becomes final."""
        return [self._final(speech_final=False)] if self._speech_frames else []

    def _frame(self, voiced: bool) -> list[dict[str, Any]]:
        self.elapsed_ms += FRAME_MS
        if voiced:
            return self._voiced_frame()
        silent_ms = self.elapsed_ms - (self._last_voice_ms or 0)
        if self._speech_frames and silent_ms >= self.endpointing_ms:
            return [self._final(speech_final=self.speech_final)]
        if self._awaiting_utterance_end and self.utterance_end_ms and silent_ms >= self.utterance_end_ms:
            self._awaiting_utterance_end = False
            return [{"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": self._last_voice_ms / 1000}]
        return []

    def _voiced_frame(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if not self._speech_frames:
            self._transcript = next(self._transcripts)
            if self.vad_events:
                messages.append(
                    {"type": "SpeechStarted", "channel": [0, 1], "timestamp": (self.elapsed_ms - FRAME_MS) / 1000}
                )
        self._speech_frames += 1
        self._last_voice_ms = self.elapsed_ms
        self._awaiting_utterance_end = True
        if self.interim_results and self._speech_frames % INTERIM_EVERY_FRAMES == 0:
            words = self._transcript.split()
            heard = words[: min(len(words), self._speech_frames // INTERIM_EVERY_FRAMES)]
            messages.append(self._results(" ".join(heard), is_final=False, speech_final=False))
        return messages

    def _final(self, *, speech_final: bool) -> dict[str, Any]:
        message = self._results(self._transcript, is_final=True, speech_final=speech_final)
        self._settled_ms = self.elapsed_ms
        self._speech_frames = 0
        return message

    def _results(self, transcript: str, *, is_final: bool, speech_final: bool) -> dict[str, Any]:
        start_s = self._settled_ms / 1000
        duration_s = (self.elapsed_ms - self._settled_ms) / 1000
        alternative = {"transcript": transcript, "confidence": 0.98, "words": _words(transcript, start_s, duration_s)}
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": duration_s,
            "start": start_s,
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [alternative]},
            "metadata": {
                "request_id": str(uuid.uuid4()),
                "model_info": {"name": self.model, "version": "test", "arch": "test"},
            },
            "from_finalize": False,
        }


def _words(transcript: str, start_s: float, duration_s: float) -> list[dict[str, Any]]:
    words = transcript.split()
    step_s = duration_s / max(len(words), 1)
    return [
        {
            "word": word.strip(".,?!").lower(),
            "start": start_s + i * step_s,
            "end": start_s + (i + 1) * step_s,
            "confidence": 0.98,
            "punctuated_word": word,
        }
        for i, word in enumerate(words)
    ]


def _metadata(recogniser: Recogniser) -> dict[str, Any]:
    return {
        "type": "Metadata",
        "request_id": str(uuid.uuid4()),
        "duration": recogniser.elapsed_ms / 1000,
        "channels": 1,
    }


def _rms(frame: bytes) -> float:
    samples = array.array("h", frame)
    return math.sqrt(sum(sample * sample for sample in samples) / max(len(samples), 1))
