"""A ``TTSStream`` built from a per-sentence synthesis function, shared by the embedded and simulated TTS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from consultations.providers.base import ProviderError

Synthesize = Callable[[str], AsyncIterator[bytes]]


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a child task and wait for it, without swallowing a cancellation of our own."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


class SentenceTTSStream:
    """Synthesises queued sentences in order on a background task, ahead of playback.

    Working ahead matters: while the pipeline paces the first sentence's audio out to the
    browser, the next sentence is already being rendered, so there is no gap between them.
    """

    def __init__(self, synthesize: Synthesize) -> None:
        self._synthesize = synthesize
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        self._chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        self._producer = asyncio.create_task(self._produce())

    async def push_text(self, text: str) -> None:
        if text.strip():
            self._texts.put_nowait(text)

    async def finish(self) -> None:
        self._texts.put_nowait(None)

    async def audio(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk

    async def cancel(self) -> None:
        await cancel_and_wait(self._producer)
        while not self._chunks.empty():
            self._chunks.get_nowait()
        self._chunks.put_nowait(None)

    async def _produce(self) -> None:
        try:
            while (text := await self._texts.get()) is not None:
                async for chunk in self._synthesize(text):
                    self._chunks.put_nowait(chunk)
        except ProviderError as error:
            self._chunks.put_nowait(error)
        except Exception as error:  # any backend failure reaches the reader as a ProviderError
            self._chunks.put_nowait(ProviderError(f"speech synthesis failed: {error}", code="tts_failed"))
        self._chunks.put_nowait(None)
