"""The simulated providers keep their published latencies in wall-clock time, like remote services."""

from __future__ import annotations

import time

import pytest

from consultations.providers.base import LLMRequest
from consultations.providers.simulated import SimulatedLLM, SimulatedTTS


async def test_llm_tokens_due_during_a_busy_loop_arrive_together_not_later() -> None:
    llm = SimulatedLLM(first_token_ms=50, tokens_per_s=100, reply="one two three four five six")
    started = time.monotonic()
    arrivals = []
    async for _token in llm.stream_reply(LLMRequest([], "", [])):
        arrivals.append(time.monotonic() - started)
        if len(arrivals) == 1:
            time.sleep(0.08)  # the event loop is blocked while tokens 2-6 fall due
    assert len(arrivals) == 6
    assert arrivals[0] == pytest.approx(0.05, abs=0.03)
    assert arrivals[-1] < 0.05 + 0.08 + 0.03  # not 50 ms + 80 ms + 5 x 10 ms


async def test_llm_paces_tokens_at_its_rate_when_the_loop_is_idle() -> None:
    llm = SimulatedLLM(first_token_ms=20, tokens_per_s=50, reply="a b c d e")
    started = time.monotonic()
    tokens = [token async for token in llm.stream_reply(LLMRequest([], "", []))]
    assert "".join(tokens) == "a b c d e"
    assert time.monotonic() - started == pytest.approx(0.02 + 4 / 50, abs=0.04)


async def test_tts_first_byte_after_its_latency_and_audio_for_every_word() -> None:
    tts = SimulatedTTS(first_byte_ms=40)
    started = time.monotonic()
    chunks = []
    async for chunk in tts.synthesize("three short words"):
        chunks.append((time.monotonic() - started, chunk))
    assert chunks[0][0] == pytest.approx(0.04, abs=0.03)
    assert sum(len(chunk) for _, chunk in chunks) == 3 * 960 * 2


def test_no_simulated_patient_utterance_is_an_emergency() -> None:
    """The load benchmark measures the LLM path; an escalation would skip it."""
    from consultations.guard import IntakeGuard
    from consultations.providers.simulated import TRANSCRIPTS

    escalated = [text for text in TRANSCRIPTS if IntakeGuard({}).assess(text).is_emergency]
    assert escalated == []


async def test_simulated_patients_say_different_things() -> None:
    from consultations.providers.simulated import FRAME_BYTES, SimulatedSTT

    loud, quiet = (b"\x00\x20" * (FRAME_BYTES // 2)), bytes(FRAME_BYTES)
    first_lines = []
    for _ in range(3):
        stream = await SimulatedSTT(final_ms=200).open_stream()
        for frame in [loud] * 10 + [quiet] * 10:
            await stream.send_audio(frame)
        async for event in stream.events():
            if event.kind == "final":
                first_lines.append(event.text)
                break
    assert len(set(first_lines)) == 3 and all(first_lines)
