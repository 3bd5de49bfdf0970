"""Simulated STT / LLM / TTS with published latencies, for the load benchmark (no real engines).

Defaults: STT final 300 ms after the end of speech (Deepgram's streaming figure), LLM first token
600 ms then 60 tokens/s (Claude-class models on Bedrock), TTS first byte 90 ms (Cartesia Sonic).
The STT decides speech from frame energy, so clients must send real PCM: silence and louder speech.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import struct
from collections.abc import AsyncIterator, Mapping
from typing import Any

import numpy as np

from consultations.providers.base import LLMRequest, TranscriptEvent
from consultations.providers.streams import SentenceTTSStream

SPEECH_RMS = 500.0
FRAME_BYTES = 640  # 20 ms at 16 kHz
END_OF_SPEECH_FRAMES = 10  # 200 ms of quiet ends an utterance (the endpointer)
REPLY = (
    "Thank you for telling me. How long have you had this, and is it getting better or worse? "
    "Please also tell me if you have a fever, any pain elsewhere, or trouble breathing."
)
# What simulated patients "said": everyday, non-urgent intake answers of different shapes, so the
# per-turn work that depends on the words (triage, knowledge retrieval) costs what real speech costs.
TRANSCRIPTS = (
    "i have had a headache and a sore throat for two days",
    "my lower back has been aching since i lifted a heavy box on saturday",
    "i keep getting heartburn after meals especially at night",
    "my nose is blocked and i have been sneezing all week",
    "there is an itchy red rash on both of my forearms",
    "i have had diarrhea since yesterday but i am drinking plenty of water",
    "my right knee is swollen and it hurts when i climb the stairs",
    "i feel tired all the time even though i sleep eight hours",
    "i have a dry cough that gets worse when i lie down",
    "my ears feel blocked and i cannot hear very well on the left side",
    "i twisted my ankle playing football and it is bruised",
    "it burns when i pee and i need to go more often",
    "i have had a mild fever and aching muscles since tuesday",
    "my eyes are itchy and watery every morning",
    "i get headaches at the end of the working day",
    "about three days now and it is slowly getting better",
    "no i have not taken anything for it yet",
    "i am thirty four and i do not take any regular medicines",
    "i am allergic to penicillin",
    "it is about a four out of ten",
    "i have some stomach cramps and feel a bit sick after eating",
    "my gums bleed when i brush my teeth",
    "i have a painful lump under my arm that appeared last week",
    "my shoulder has been stiff since i started working at a desk",
)
_PATIENTS = itertools.count()
TOKEN = re.compile(r"\S+\s*")
WORD_SAMPLES = 960  # 60 ms at 16 kHz
CHUNK_INTERVAL_S = 0.005  # 100 ms of audio every 5 ms: 20x real time
WORD_TONE = struct.pack(f"<{WORD_SAMPLES}h", *(int(3000 * math.sin(i / 8)) for i in range(WORD_SAMPLES)))


def _rms(frame: bytes) -> float:
    samples = np.frombuffer(frame[: len(frame) // 2 * 2], dtype="<i2").astype(np.float32)
    return math.sqrt(float(samples @ samples) / samples.size) if samples.size else 0.0


class SimulatedSTTStream:
    def __init__(self, final_ms: float, first_transcript: int = 0) -> None:
        self.final_ms = final_ms
        self._first_transcript = first_transcript
        self._events: asyncio.Queue[TranscriptEvent | None] = asyncio.Queue()
        self._buffer = b""
        self._speaking = False
        self._quiet_frames = 0
        self._utterances = 0
        self.bytes_received = 0

    async def send_audio(self, pcm16: bytes) -> None:
        self.bytes_received += len(pcm16)
        self._buffer += pcm16
        while len(self._buffer) >= FRAME_BYTES:
            frame, self._buffer = self._buffer[:FRAME_BYTES], self._buffer[FRAME_BYTES:]
            self._frame(_rms(frame) >= SPEECH_RMS)

    def _frame(self, voiced: bool) -> None:
        if voiced:
            if not self._speaking:
                self._speaking = True
                self._events.put_nowait(TranscriptEvent("speech_started"))
            self._quiet_frames = 0
        elif self._speaking:
            self._quiet_frames += 1
            if self._quiet_frames >= END_OF_SPEECH_FRAMES:
                self._speaking = False
                self._utterances += 1
                asyncio.get_running_loop().call_later(self.final_ms / 1000 - 0.2, self._finalise, self._utterances)

    def _finalise(self, number: int) -> None:
        text = TRANSCRIPTS[(self._first_transcript + number - 1) % len(TRANSCRIPTS)]
        self._events.put_nowait(TranscriptEvent("final", text))
        self._events.put_nowait(TranscriptEvent("utterance_end", text))

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    async def close(self) -> None:
        self._events.put_nowait(None)


class SimulatedSTT:
    def __init__(self, final_ms: float = 300.0) -> None:
        self.final_ms = final_ms

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SimulatedSTT:
        return cls(float(config.get("SIMULATED_STT_FINAL_MS", 300.0)))

    async def open_stream(self, sample_rate_hz: int = 16000) -> SimulatedSTTStream:
        # each patient (one provider per consultation) starts at a different place in the list
        return SimulatedSTTStream(self.final_ms, first_transcript=next(_PATIENTS) * 7)


class SimulatedLLM:
    def __init__(self, first_token_ms: float = 600.0, tokens_per_s: float = 60.0, reply: str = REPLY) -> None:
        self.first_token_ms, self.tokens_per_s, self.reply = first_token_ms, tokens_per_s, reply

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SimulatedLLM:
        return cls(
            float(config.get("SIMULATED_LLM_FIRST_TOKEN_MS", 600.0)),
            float(config.get("SIMULATED_LLM_TOKENS_PER_S", 60.0)),
        )

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        """Each token is due at a fixed time after the request, as from a remote service: a late
        event loop (ours) delivers due tokens together instead of pushing every later one back."""
        requested_at = asyncio.get_running_loop().time()
        for index, token in enumerate(TOKEN.findall(self.reply)):
            await _until(requested_at + (self.first_token_ms / 1000) + index / self.tokens_per_s)
            yield token


class SimulatedTTS:
    """First byte after ``first_byte_ms``, then audio at 20x real time; 60 ms of tone per word."""

    sample_rate_hz = 16000

    def __init__(self, first_byte_ms: float = 90.0) -> None:
        self.first_byte_ms = first_byte_ms

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SimulatedTTS:
        return cls(float(config.get("SIMULATED_TTS_FIRST_BYTE_MS", 90.0)))

    async def open_stream(self) -> SentenceTTSStream:
        return SentenceTTSStream(self.synthesize)

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        requested_at = asyncio.get_running_loop().time()
        tone = WORD_TONE * max(1, len(text.split()))
        chunk = self.sample_rate_hz // 10 * 2  # 100 ms
        for number, start in enumerate(range(0, len(tone), chunk)):
            await _until(requested_at + self.first_byte_ms / 1000 + number * CHUNK_INTERVAL_S)
            yield tone[start : start + chunk]


async def _until(deadline: float) -> None:
    """Sleep until ``deadline`` on the loop's clock (no wait if it has passed)."""
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


def audio_ms_for(text: str) -> float:
    """The audio length SimulatedTTS produces for ``text`` (lets a benchmark count lost frames)."""
    return 60.0 * max(1, len(text.split()))
