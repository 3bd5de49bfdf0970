"""LLM provider for any OpenAI-compatible chat completions endpoint (vLLM, llama.cpp, Ollama...).

Wire protocol (OpenAI API reference, "Create chat completion" with ``stream: true``):
``POST {base_url}/chat/completions`` with ``Authorization: Bearer <key>`` and a JSON body
``{"model", "messages", "stream": true, "max_tokens", "temperature"}``; the answer is
``text/event-stream``: ``data: {chat.completion.chunk}`` events whose
``choices[0].delta.content`` carries the text, closed by ``data: [DONE]``.

Spoken over plain asyncio streams (no HTTP library is installed and none is needed): one
HTTP/1.1 request per reply with ``Connection: close``, so that stopping iteration (barge-in)
simply closes the socket and the server stops generating.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from consultations.providers.base import LLMRequest, ProviderError
from consultations.providers.bedrock import REPLY_TEMPERATURE, USER_MESSAGE, system_prompt_with_sources

_STATUS_CODES = {401: "llm_access_denied", 403: "llm_access_denied", 429: "llm_throttled", 400: "llm_bad_request"}


class OpenAICompatLLM:
    """LLMProvider streaming ``/chat/completions`` over server-sent events."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
    ) -> None:
        self._url = urlsplit(base_url.rstrip("/") + "/chat/completions")
        self._api_key = api_key
        self._model = model
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s

    def request_body(self, request: LLMRequest) -> dict[str, Any]:
        system = system_prompt_with_sources(request)
        history = [{"role": m.role, "content": m.text} for m in request.history if m.text.strip()]
        return {
            "model": self._model,
            "messages": ([{"role": "system", "content": system}] if system else []) + history,
            "stream": True,
            "max_tokens": request.max_tokens,
            "temperature": REPLY_TEMPERATURE,
        }

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        reader, writer = await self._open()
        try:
            writer.write(self._http_request(json.dumps(self.request_body(request)).encode()))
            body = await self._response_body(reader)
            async for data in _sse_data(body):
                if data.strip() == "[DONE]":
                    return
                text = _delta_text(data)
                if text:
                    yield text
        except TimeoutError as exc:
            raise _error(f"{self._url.netloc} timed out", "llm_timeout") from exc
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise _error(f"{self._url.netloc} dropped the stream: {exc!r}", "llm_unavailable") from exc
        finally:
            writer.close()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        secure = self._url.scheme == "https"
        host = self._url.hostname or ""
        port = self._url.port or (443 if secure else 80)
        try:
            async with asyncio.timeout(self._connect_timeout_s):  # unlike wait_for, never swallows a cancel
                return await asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None)
        except (OSError, TimeoutError) as exc:
            raise _error(f"{self._url.netloc} unreachable: {exc!r}", "llm_unavailable") from exc

    def _http_request(self, body: bytes) -> bytes:
        path = self._url.path + (f"?{self._url.query}" if self._url.query else "")
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {self._url.netloc}\r\n"
            f"Authorization: Bearer {self._api_key}\r\n"
            "Content-Type: application/json\r\n"
            "Accept: text/event-stream\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode("latin-1") + body

    async def _response_body(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        """Read the status line and headers; return the body's byte chunks or raise on HTTP errors."""
        status_line = await self._read(reader.readline())
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise _error(f"{self._url.netloc} answered {status_line[:80]!r}", "llm_error")
        status = int(parts[1])
        headers = await self._read_headers(reader)
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        body = _chunked_body(reader, self._read) if chunked else _raw_body(reader, self._read)
        if status != 200:
            detail = b"".join([chunk async for chunk in body])[:300].decode("utf-8", "replace")
            code = _STATUS_CODES.get(status, "llm_unavailable" if status >= 500 else "llm_error")
            raise _error(f"{self._url.netloc} HTTP {status}: {detail}", code)
        return body

    async def _read_headers(self, reader: asyncio.StreamReader) -> dict[str, str]:
        headers: dict[str, str] = {}
        while (line := await self._read(reader.readline())) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    async def _read(self, awaitable: Any) -> Any:
        """Each read must complete within ``read_timeout_s`` (the whole reply may take longer)."""
        async with asyncio.timeout(self._read_timeout_s):
            return await awaitable


async def _chunked_body(reader: asyncio.StreamReader, read: Any) -> AsyncIterator[bytes]:
    """HTTP/1.1 chunked transfer coding (RFC 9112 §7.1)."""
    while True:
        size = int((await read(reader.readline())).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        yield await read(reader.readexactly(size))
        await read(reader.readexactly(2))


async def _raw_body(reader: asyncio.StreamReader, read: Any) -> AsyncIterator[bytes]:
    while chunk := await read(reader.read(65536)):
        yield chunk


async def _sse_data(body: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event (HTML Living Standard, "Server-sent events")."""
    buffer = b""
    async for chunk in body:
        buffer = (buffer + chunk).replace(b"\r\n", b"\n")
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            data = [line[5:].removeprefix(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
            if data:
                yield b"\n".join(data).decode("utf-8")


def _delta_text(data: str) -> str:
    """``choices[0].delta.content`` of one chunk; an in-stream ``error`` object fails the reply."""
    with suppress(ValueError):
        chunk = json.loads(data)
        if isinstance(chunk, dict) and chunk.get("error"):
            raise _error(f"in-stream error: {chunk['error']}", "llm_error")
        with suppress(KeyError, IndexError, TypeError, AttributeError):
            return chunk["choices"][0]["delta"].get("content") or ""
    return ""


def _error(message: str, code: str) -> ProviderError:
    return ProviderError(message, code=code, user_message=USER_MESSAGE)
