"""A local OpenAI-compatible ``POST /v1/chat/completions`` that streams server-sent events.

Checks ``Authorization: Bearer <key>`` (401 with an OpenAI-style ``error`` object otherwise)
and that the body asks for ``stream: true``; answers ``text/event-stream`` with one
``chat.completion.chunk`` per delta (``choices[0].delta.content``), a last chunk with
``finish_reason: "stop"``, then ``data: [DONE]``, using chunked transfer coding.
"""

from __future__ import annotations

import json
import time
from typing import Any

from consultations.tests.wire.http_server import LocalHTTPServer, WireHandler


class OpenAIServer(LocalHTTPServer):
    def __init__(
        self,
        reply_deltas: tuple[str, ...] = ("Drink ", "some water ", "and rest."),
        *,
        api_key: str = "sk-test",
        status: int = 200,
        split_events: bool = False,
        delta_delay_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.reply_deltas = reply_deltas
        self.api_key = api_key
        self.status = status
        self.split_events = split_events
        self.delta_delay_s = delta_delay_s
        self.requests: list[dict[str, Any]] = []
        self.deltas_sent = 0

    @property
    def base_url(self) -> str:
        return super().base_url + "/v1"

    def events(self) -> list[bytes]:
        chunks = [_chunk({"role": "assistant", "content": ""}, None)]
        chunks += [_chunk({"content": text}, None) for text in self.reply_deltas]
        chunks.append(_chunk({}, "stop"))
        return [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks] + [b"data: [DONE]\n\n"]


def _chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "local",
        "choices": [choice],
    }


class _OpenAIHandler(WireHandler):
    def do_POST(self) -> None:
        body = json.loads(self.read_body() or b"{}")
        if self.path != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
        elif self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        elif body.get("stream") is not True or not body.get("messages"):
            self.send_json(
                400, {"error": {"message": "stream and messages are required", "type": "invalid_request_error"}}
            )
        else:
            self.fake.requests.append(body)
            self._answer()

    def _answer(self) -> None:
        if self.fake.status != 200:
            self.send_json(self.fake.status, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}})
            return
        self.start_chunked("text/event-stream")
        for event in self.fake.events():
            if not all(self.send_chunk(part) for part in _parts(event, self.fake.split_events)):
                return
            if b'"content": "' in event and b'"content": ""' not in event:
                self.fake.deltas_sent += 1
                time.sleep(self.fake.delta_delay_s)
        self.end_chunks()


def _parts(event: bytes, split: bool) -> list[bytes]:
    """Split an event across two writes (mid-JSON and between CR/LF) to test client buffering."""
    return [event[: len(event) // 2], event[len(event) // 2 :]] if split else [event]


OpenAIServer.handler_class = _OpenAIHandler
