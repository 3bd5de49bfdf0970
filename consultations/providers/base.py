"""One small async interface per provider kind (STT, LLM, TTS).

The voice pipeline only ever talks to these protocols; which concrete class
sits behind each one is chosen from settings (see ``consultations.providers.registry``),
so the embedded engines, the production clients and the benchmark's simulated
providers are interchangeable. Nothing here imports Django or Channels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable


class ProviderError(Exception):
    """A provider failed (timeout, HTTP/WS error, closed socket).

    ``user_message`` is safe to show or speak to the patient.
    """

    def __init__(self, message: str, *, code: str = "provider_error", user_message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.user_message = user_message or "Sorry, I'm having trouble right now. Please try again in a moment."


# --------------------------------------------------------------------------- STT

TranscriptKind = Literal["interim", "final", "speech_started", "utterance_end"]


@dataclass(frozen=True)
class TranscriptEvent:
    """What a streaming recogniser reports.

    ``interim``: partial text of the current utterance (may change).
    ``final``: settled text of a segment; several finals may make one utterance.
    ``speech_started``: the recogniser/VAD heard the patient start talking (used for barge-in).
    ``utterance_end``: the patient finished their turn (endpointing); ``text`` carries the
    whole utterance when the provider knows it, else "".
    """

    kind: TranscriptKind
    text: str = ""
    confidence: float | None = None


@runtime_checkable
class STTStream(Protocol):
    async def send_audio(self, pcm16: bytes) -> None:
        """Feed PCM16 little-endian mono audio at the stream's sample rate."""

    def events(self) -> AsyncIterator[TranscriptEvent]:
        """Transcript events, in order, until the stream is closed."""

    async def close(self) -> None:
        """Flush pending audio (finals still arrive on ``events``), then release resources."""


@runtime_checkable
class STTProvider(Protocol):
    async def open_stream(self, sample_rate_hz: int = 16000) -> STTStream: ...


# --------------------------------------------------------------------------- LLM

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    text: str


@dataclass
class LLMRequest:
    """Everything an LLM needs for one assistant reply.

    ``history`` ends with the patient's latest utterance. ``sources`` are numbered
    knowledge-base passages the reply may cite ([1], [2], ...).
    """

    history: Sequence[ChatMessage]
    system_prompt: str = ""
    sources: Sequence[dict] = field(default_factory=list)
    max_tokens: int = 400


@runtime_checkable
class LLMProvider(Protocol):
    def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        """Yield text deltas of the reply as they are generated."""


# --------------------------------------------------------------------------- TTS


@runtime_checkable
class TTSStream(Protocol):
    """One assistant turn's speech: sentences go in, PCM16 chunks come out, in order."""

    async def push_text(self, text: str) -> None:
        """Queue one complete sentence (or more) for synthesis."""

    async def finish(self) -> None:
        """No more text for this turn; ``audio()`` ends after the last chunk."""

    def audio(self) -> AsyncIterator[bytes]:
        """PCM16 little-endian mono chunks at ``sample_rate_hz`` as they are synthesised."""

    async def cancel(self) -> None:
        """Barge-in: stop synthesis now and drop anything not yet yielded."""


@runtime_checkable
class TTSProvider(Protocol):
    sample_rate_hz: int

    async def open_stream(self) -> TTSStream: ...
