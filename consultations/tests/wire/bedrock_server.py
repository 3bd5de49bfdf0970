"""A local Bedrock Runtime that answers ``ConverseStream`` in real AWS event-stream encoding.

``POST /model/{modelId}/converse-stream`` (Bedrock Runtime API reference). The SigV4
``Authorization`` header is verified with botocore's own signer against the configured
credentials, so a wrong key is refused as AWS would (403 ``UnrecognizedClientException`` /
``InvalidSignatureException``). The body is ``application/vnd.amazon.eventstream``: frames
encoded here byte by byte (AWS "Event stream encoding": prelude = total length + headers
length, prelude CRC32, headers, JSON payload, message CRC32; string headers ``:event-type``,
``:content-type``, ``:message-type``). boto3 cannot be stubbed for event streams, so this
is how the client is tested end to end.
"""

from __future__ import annotations

import json
import re
import struct
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from consultations.tests.wire.http_server import LocalHTTPServer, WireHandler

PATH = re.compile(r"^/model/(?P<model_id>[^/?]+)/converse-stream$")
_STRING_HEADER = 7


def encode_event_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One ``application/vnd.amazon.eventstream`` message with string-valued headers."""
    header_bytes = b"".join(_encode_header(name, value) for name, value in headers.items())
    total_length = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack(">II", total_length, len(header_bytes))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _encode_header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode(), value.encode()
    return (
        struct.pack(">B", len(name_bytes))
        + name_bytes
        + struct.pack(">BH", _STRING_HEADER, len(value_bytes))
        + value_bytes
    )


def event_frame(event_type: str, body: dict[str, Any]) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_event_frame(headers, json.dumps(body).encode())


def exception_frame(exception_type: str, message: str) -> bytes:
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return encode_event_frame(headers, json.dumps({"message": message}).encode())


@dataclass
class ConverseRequest:
    model_id: str
    body: dict[str, Any]
    headers: dict[str, str]


class BedrockServer(LocalHTTPServer):
    """Answers every ``converse-stream`` with ``reply_deltas``, or with the failure it is told to."""

    def __init__(
        self,
        reply_deltas: tuple[str, ...] = ("I'm sorry ", "to hear ", "about your headache. ", "How long has it lasted?"),
        *,
        access_key: str = "testing",
        secret_key: str = "testing",
        throttle: bool = False,
        stream_exception: str | None = None,
        delta_delay_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.reply_deltas = reply_deltas
        self.credentials = Credentials(access_key, secret_key)
        self.throttle = throttle
        self.stream_exception = stream_exception
        self.delta_delay_s = delta_delay_s
        self.requests: list[ConverseRequest] = []
        self.deltas_sent = 0

    def reply_frames(self) -> list[bytes]:
        """The frames of one reply, in the order Bedrock sends them."""
        frames = [event_frame("messageStart", {"role": "assistant"})]
        for text in self.reply_deltas:
            frames.append(event_frame("contentBlockDelta", {"delta": {"text": text}, "contentBlockIndex": 0}))
            if self.stream_exception:
                return [*frames, exception_frame(self.stream_exception, "The model stopped unexpectedly.")]
        usage = {"inputTokens": 42, "outputTokens": len(self.reply_deltas), "totalTokens": 42 + len(self.reply_deltas)}
        return [
            *frames,
            event_frame("contentBlockStop", {"contentBlockIndex": 0}),
            event_frame("messageStop", {"stopReason": "end_turn"}),
            event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 120}}),
        ]


class _BedrockHandler(WireHandler):
    def do_POST(self) -> None:
        match = PATH.match(self.path)
        body = self.read_body()
        if not match:
            self._aws_error(404, "UnknownOperationException", "Unknown operation")
            return
        refusal = _signature_refusal(self, body, self.fake.credentials)
        if refusal:
            self._aws_error(403, *refusal)
            return
        self.fake.requests.append(ConverseRequest(unquote(match["model_id"]), json.loads(body), dict(self.headers)))
        if self.fake.throttle:
            self._aws_error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
            return
        self._stream(self.fake.reply_frames())

    def _stream(self, frames: list[bytes]) -> None:
        self.start_chunked("application/vnd.amazon.eventstream")
        for frame in frames:
            if not self.send_chunk(frame):
                return
            if b"contentBlockDelta" in frame:
                self.fake.deltas_sent += 1
                time.sleep(self.fake.delta_delay_s)
        self.end_chunks()

    def _aws_error(self, status: int, error_type: str, message: str) -> None:
        """restJson1 error: the type in ``x-amzn-ErrorType``, the text in the body's ``message``."""
        self.send_json(status, {"message": message}, {"x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/"})


def _signature_refusal(handler: WireHandler, body: bytes, credentials: Credentials) -> tuple[str, str] | None:
    """Recompute the SigV4 signature the client should have sent; return (error type, message) if not."""
    authorization = handler.headers.get("Authorization", "")
    fields = dict(re.findall(r"(Credential|SignedHeaders|Signature)=([^,\s]+)", authorization))
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or len(fields) != 3:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    access_key, _date, region, service, _terminal = fields["Credential"].split("/")
    if access_key != credentials.access_key or service != "bedrock":
        return "UnrecognizedClientException", "The security token included in the request is invalid."
    signed = {name: handler.headers[name] for name in fields["SignedHeaders"].split(";")}
    request = AWSRequest(
        method="POST", url=f"http://{handler.headers['Host']}{handler.path}", data=body, headers=signed
    )
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    signer = SigV4Auth(credentials, "bedrock", region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if expected != fields["Signature"]:
        return (
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


BedrockServer.handler_class = _BedrockHandler
