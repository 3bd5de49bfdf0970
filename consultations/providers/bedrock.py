"""Amazon Bedrock LLM provider: Converse API, streamed.

Wire protocol (Bedrock Runtime API reference, ``ConverseStream``): ``POST
/model/{modelId}/converse-stream`` with ``messages``, ``system`` and ``inferenceConfig``; the
response body is ``application/vnd.amazon.eventstream``, a sequence of binary frames whose
``:event-type`` header is ``messageStart``, ``contentBlockStart``, ``contentBlockDelta``
(``delta.text``), ``contentBlockStop``, ``messageStop`` or ``metadata``, or an exception
(``throttlingException``, ``modelStreamErrorException`` ...). boto3 decodes the frames; its
stream is blocking, so it is read in a worker thread and each delta is handed to the event
loop through an ``asyncio.Queue``. The loop is never blocked, and when the consumer stops
iterating (barge-in) the worker closes the HTTP stream at the next event.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from consultations.providers.base import ChatMessage, LLMRequest, ProviderError
from healthhelper.integrations.bedrock import make_bedrock_runtime_client

# Low temperature: the assistant gathers symptoms and repeats guidance; creativity is a risk.
REPLY_TEMPERATURE = 0.2

_END = object()

# Bedrock error codes (API reference, "Errors" of ConverseStream) -> our provider error codes.
_ERROR_CODES = {
    "ThrottlingException": "llm_throttled",
    "ServiceQuotaExceededException": "llm_throttled",
    "AccessDeniedException": "llm_access_denied",
    "UnrecognizedClientException": "llm_access_denied",
    "InvalidSignatureException": "llm_access_denied",
    "ExpiredTokenException": "llm_access_denied",
    "ModelTimeoutException": "llm_timeout",
    "ModelNotReadyException": "llm_unavailable",
    "ServiceUnavailableException": "llm_unavailable",
    "InternalServerException": "llm_unavailable",
    "ModelStreamErrorException": "llm_error",
    "ModelErrorException": "llm_error",
    "ValidationException": "llm_bad_request",
    "ResourceNotFoundException": "llm_bad_request",
}

USER_MESSAGE = "Sorry, I can't think of an answer right now. Please try again in a moment."


def system_prompt_with_sources(request: LLMRequest) -> str:
    """The system prompt, then the numbered knowledge-base passages the reply may cite as [n]."""
    if not request.sources:
        return request.system_prompt
    lines = [_source_line(number, source) for number, source in enumerate(request.sources, start=1)]
    return "\n\n".join(part for part in (request.system_prompt, "Sources:\n" + "\n".join(lines)) if part)


def _source_line(number: int, source: dict) -> str:
    title = str(source.get("title") or "Untitled").strip()
    line = f"[{number}] {title} — {str(source.get('text') or '').strip()}"
    url = str(source.get("url") or "").strip()
    return f"{line} ({url})" if url else line


def converse_messages(history: Sequence[ChatMessage]) -> list[dict]:
    """Converse ``messages``: must start with a user turn and alternate roles, with no empty text.

    Consecutive turns of one role are joined; assistant turns before the first patient turn
    (the greeting) are dropped because Converse rejects a conversation that opens with one.
    """
    messages: list[dict] = []
    for message in history:
        text = message.text.strip()
        if not text or (not messages and message.role != "user"):
            continue
        if messages and messages[-1]["role"] == message.role:
            messages[-1]["content"][0]["text"] += "\n" + text
        else:
            messages.append({"role": message.role, "content": [{"text": text}]})
    return messages


def provider_error_from(exc: Exception) -> ProviderError:
    """Map a botocore failure to a ProviderError whose code says what went wrong."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        name = str(error.get("Code", "")).split(":")[0]
        # In-stream exceptions arrive camel-cased (``throttlingException``), HTTP errors Pascal-cased.
        code = _ERROR_CODES.get(name[:1].upper() + name[1:], "llm_error")
        return ProviderError(f"Bedrock {name}: {error.get('Message', exc)}", code=code, user_message=USER_MESSAGE)
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ProviderError(f"Bedrock timed out: {exc}", code="llm_timeout", user_message=USER_MESSAGE)
    if isinstance(exc, EndpointConnectionError):
        return ProviderError(f"Bedrock unreachable: {exc}", code="llm_unavailable", user_message=USER_MESSAGE)
    return ProviderError(f"Bedrock failed: {exc!r}", code="llm_error", user_message=USER_MESSAGE)


class BedrockLLM:
    """LLMProvider over Bedrock ``converse_stream``; one worker thread per reply."""

    def __init__(self, model_id: str, region: str, endpoint_url: str | None = None, client: Any = None) -> None:
        self.model_id = model_id
        self._client = client or make_bedrock_runtime_client(region, endpoint_url, max_attempts=2)

    def converse_arguments(self, request: LLMRequest) -> dict[str, Any]:
        """Keyword arguments for ``converse_stream`` built from one request."""
        arguments: dict[str, Any] = {
            "modelId": self.model_id,
            "messages": converse_messages(request.history),
            "inferenceConfig": {"maxTokens": request.max_tokens, "temperature": REPLY_TEMPERATURE},
        }
        system = system_prompt_with_sources(request)
        if system:
            arguments["system"] = [{"text": system}]
        return arguments

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop closed while the model was still talking
                stop.set()

        worker = threading.Thread(
            target=self._read_stream, args=(self.converse_arguments(request), emit, stop), daemon=True
        )
        worker.start()
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, ProviderError):
                    raise item
                yield item
        finally:
            stop.set()

    def _read_stream(self, arguments: dict[str, Any], emit: Callable[[Any], None], stop: threading.Event) -> None:
        """Worker thread: call Bedrock, emit each text delta, then ``_END`` or a ProviderError."""
        try:
            stream = self._client.converse_stream(**arguments)["stream"]
            try:
                for event in stream:
                    if stop.is_set():
                        break
                    text = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
                    if text:
                        emit(text)
            finally:
                stream.close()
        except Exception as exc:  # a worker thread must report every failure, never die silently
            emit(provider_error_from(exc))
        else:
            emit(_END)
