"""What the voice pipeline needs from its surroundings, and what it hands back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

InputMode = Literal["voice", "text"]


class Assessment(Protocol):
    """The safety engine's verdict on the conversation so far (``consultations.intake.Assessment``)."""

    @property
    def is_emergency(self) -> bool: ...

    @property
    def triage_level(self) -> str: ...

    @property
    def red_flags(self) -> Sequence[Any]:
        """Items with .code, .label and .evidence (or dicts with those keys)."""

    @property
    def advice(self) -> str: ...


class Guard(Protocol):
    """The guard-rail around every reply (``consultations.guard.IntakeGuard``).

    ``assess`` runs on every patient utterance before any LLM sees it and folds it into the
    consultation's intake state, which the guard keeps. ``review`` runs on every sentence of
    every reply before it is shown or spoken.
    """

    def assess(self, text: str) -> Assessment: ...

    def review(self, text: str) -> str: ...

    def emergency_message(self, assessment: Assessment) -> str: ...


@dataclass
class TurnRecord:
    """One exchange, for persistence: the patient's words, the assistant's reply, stage timings.

    ``index`` is 0 for the greeting, then 1, 2, ... per patient utterance. ``assistant_text`` is
    what was shown and sent to speech (after review), cut short if the patient interrupted.
    ``timings`` are milliseconds after the end of the patient's input (see ``metrics.TurnTimer``).
    """

    index: int
    patient_text: str
    input_mode: InputMode
    assistant_text: str = ""
    interrupted: bool = False
    emergency: bool = False
    assessment: Assessment | None = None
    error_code: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class PipelineSink(Protocol):
    """Implemented by the transport (the Channels consumer).

    ``send_event`` and ``send_audio`` are awaited on the audio path, so they must only hand the
    frame to the socket. ``on_turn_complete`` runs as a background task, never inline;
    ``VoicePipeline.close`` waits for the outstanding ones so no turn is lost.
    """

    async def send_event(self, event: dict[str, Any]) -> None: ...

    async def send_audio(self, pcm16: bytes) -> None: ...

    async def on_turn_complete(self, record: TurnRecord) -> None: ...
