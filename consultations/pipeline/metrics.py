"""Per-turn stage timestamps, as milliseconds after the end of the patient's input."""

from __future__ import annotations

from collections.abc import Callable

TRANSCRIPT_FINAL = "stt_ms"
LLM_REQUEST = "llm_request_ms"
LLM_FIRST_TOKEN = "llm_first_token_ms"
FIRST_SENTENCE = "first_sentence_ms"
TTS_FIRST_BYTE = "tts_first_byte_ms"
FIRST_AUDIO_SENT = "voice_to_voice_ms"
REPLY_DONE = "reply_done_ms"
AUDIO_DONE = "audio_done_ms"
SERVER_OVERHEAD = "server_overhead_ms"


class TurnTimer:
    """When each stage of a turn first happened, counted from the end of the patient's input.

    For a spoken turn the origin is the last voiced audio frame (the patient stopped talking),
    so endpointing delay counts against us, as the patient experiences it; for a typed turn it
    is when the text arrived. ``voice_to_voice_ms`` is the first assistant audio frame sent.
    """

    def __init__(self, clock: Callable[[], float], origin: float) -> None:
        self._clock = clock
        self.origin = origin
        self._marks: dict[str, float] = {}

    def mark(self, stage: str, at: float | None = None) -> None:
        """Record a stage's first occurrence; later marks of the same stage are ignored."""
        if stage not in self._marks:
            self._marks[stage] = round(((self._clock() if at is None else at) - self.origin) * 1000, 1)

    def has(self, stage: str) -> bool:
        return stage in self._marks

    def timings(self) -> dict[str, float]:
        """The stage offsets, plus ``server_overhead_ms`` once audio has gone out."""
        timings = dict(self._marks)
        if FIRST_AUDIO_SENT in timings:
            timings[SERVER_OVERHEAD] = round(timings[FIRST_AUDIO_SENT] - self._provider_ms(), 1)
        return timings

    def _provider_ms(self) -> float:
        """Time on the critical path spent waiting on STT, the LLM's first sentence and TTS's first byte."""
        marks = self._marks
        stt = marks.get(TRANSCRIPT_FINAL, 0.0)
        llm = marks[FIRST_SENTENCE] - marks[LLM_REQUEST] if LLM_REQUEST in marks and FIRST_SENTENCE in marks else 0.0
        tts = (
            marks[TTS_FIRST_BYTE] - marks[FIRST_SENTENCE]
            if TTS_FIRST_BYTE in marks and FIRST_SENTENCE in marks
            else 0.0
        )
        return stt + llm + tts
