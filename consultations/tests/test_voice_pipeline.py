"""The voice pipeline with fake providers: order of events, emergencies, barge-in, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from consultations.guard import IntakeGuard
from consultations.pipeline.chunker import SentenceChunker
from consultations.pipeline.interfaces import TurnRecord
from consultations.pipeline.session import VoicePipeline
from consultations.providers.base import LLMRequest, ProviderError, TranscriptEvent
from consultations.providers.streams import SentenceTTSStream


class Sink:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.audio: list[bytes] = []
        self.turns: list[TurnRecord] = []

    async def send_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    async def send_audio(self, pcm16: bytes) -> None:
        self.audio.append(pcm16)

    async def on_turn_complete(self, record: TurnRecord) -> None:
        self.turns.append(record)

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


class ScriptedSTT:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[TranscriptEvent | None] = asyncio.Queue()

    async def open_stream(self, sample_rate_hz: int = 16000) -> ScriptedSTT:
        return self

    async def send_audio(self, pcm16: bytes) -> None:
        return None

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self.queue.put_nowait(None)


class ScriptedLLM:
    def __init__(self, reply: str = "First sentence here. Second sentence follows.", delay_s: float = 0.0) -> None:
        self.reply, self.delay_s = reply, delay_s
        self.requests: list[LLMRequest] = []
        self.cancelled = False

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        try:
            for word in self.reply.split(" "):
                await asyncio.sleep(self.delay_s)
                yield word + " "
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled = True
            raise


class FailingLLM:
    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        raise ProviderError("boom", code="llm_unavailable", user_message="The assistant is unavailable just now.")
        yield ""  # pragma: no cover


class ToneTTS:
    sample_rate_hz = 16000

    def __init__(self, chunk_delay_s: float = 0.0) -> None:
        self.chunk_delay_s = chunk_delay_s
        self.spoken: list[str] = []

    async def open_stream(self) -> SentenceTTSStream:
        return SentenceTTSStream(self.synthesize)

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        for _ in range(5):
            await asyncio.sleep(self.chunk_delay_s)
            yield b"\x01\x00" * 1600  # 100 ms


def make(llm: Any = None, tts: Any = None) -> tuple[VoicePipeline, Sink, ScriptedSTT]:
    sink, stt = Sink(), ScriptedSTT()
    pipeline = VoicePipeline(stt=stt, llm=llm or ScriptedLLM(), tts=tts or ToneTTS(), guard=IntakeGuard(), sink=sink)
    return pipeline, sink, stt


async def wait_for(sink: Sink, kind: str, count: int = 1, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while sink.types().count(kind) < count:
            await asyncio.sleep(0.005)


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        (["Hello there. ", "How are you?"], ["Hello there.", "How are you?"]),
        (["Take 2.5 ml. Then rest."], ["Take 2.5 ml.", "Then rest."]),
        (["See Dr. Smith today. Thanks."], ["See Dr. Smith today.", "Thanks."]),
        (["No full stop at the end"], ["No full stop at the end"]),
    ],
)
def test_sentence_chunker_splits_on_real_sentence_ends(deltas: list[str], expected: list[str]) -> None:
    chunker = SentenceChunker()
    sentences = [s for delta in deltas for s in chunker.push(delta)]
    if rest := chunker.flush():
        sentences.append(rest)
    assert sentences == expected


def test_a_long_first_clause_is_cut_early_for_fast_first_audio() -> None:
    chunker = SentenceChunker(first_clause_min_chars=40)
    out = chunker.push("I understand that this must be worrying for you, and I would like to ask a few")
    assert out == ["I understand that this must be worrying for you,"]


async def test_text_turn_streams_text_then_audio_then_metrics() -> None:
    pipeline, sink, _ = make()
    await pipeline.start()
    await pipeline.submit_text("I have a mild sore throat")
    await wait_for(sink, "metrics")
    types = sink.types()
    assert types[0] == "triage"
    assert (
        types.index("assistant_text") < types.index("audio_start") < types.index("audio_end") < types.index("metrics")
    )
    assert sum(len(frame) for frame in sink.audio) == 2 * 5 * 3200
    metrics = sink.events[-1]
    assert {"voice_to_voice_ms", "llm_first_token_ms", "tts_first_byte_ms", "first_sentence_ms"} <= set(metrics)
    assert sink.turns[0].assistant_text == "First sentence here. Second sentence follows."
    await pipeline.close()


async def test_voice_turn_uses_the_transcript_and_reports_stt_time() -> None:
    pipeline, sink, stt = make()
    await pipeline.start()
    stt.queue.put_nowait(TranscriptEvent("interim", "my ear"))
    stt.queue.put_nowait(TranscriptEvent("final", "my ear hurts"))
    stt.queue.put_nowait(TranscriptEvent("utterance_end", ""))
    await wait_for(sink, "metrics")
    assert {"type": "transcript", "text": "my ear hurts", "final": True} in sink.events
    assert sink.turns[0].patient_text == "my ear hurts" and "stt_ms" in sink.turns[0].timings
    await pipeline.close()


async def test_an_emergency_is_announced_without_waiting_for_the_llm() -> None:
    slow = ScriptedLLM(delay_s=5.0)
    pipeline, sink, _ = make(llm=slow)
    await pipeline.start()
    await pipeline.submit_text("I have crushing chest pain and I can't breathe")
    await wait_for(sink, "metrics", timeout_s=2.0)
    triage = next(e for e in sink.events if e["type"] == "triage")
    assert triage["level"] == "emergency_ambulance" and triage["red_flags"]
    assert not slow.requests
    assert "999" in sink.turns[0].assistant_text and sink.turns[0].emergency
    await pipeline.close()


async def test_barge_in_stops_generation_and_audio_and_tells_the_browser() -> None:
    llm = ScriptedLLM(reply=" ".join(["This is a long sentence."] * 40), delay_s=0.01)
    tts = ToneTTS(chunk_delay_s=0.02)
    pipeline, sink, _ = make(llm=llm, tts=tts)
    await pipeline.start()
    await pipeline.submit_text("I have a rash on my arm")
    await wait_for(sink, "audio_start")
    await pipeline.interrupt()
    frames_at_interrupt = len(sink.audio)
    await asyncio.sleep(0.2)
    assert sink.types().count("interrupted") == 1 and llm.cancelled
    assert len(sink.audio) == frames_at_interrupt
    assert sink.turns[-1].interrupted and len(tts.spoken) < 40
    await pipeline.close()


async def test_speech_over_the_assistant_is_a_barge_in() -> None:
    llm = ScriptedLLM(reply=" ".join(["Keep listening please."] * 40), delay_s=0.01)
    pipeline, sink, _ = make(llm=llm, tts=ToneTTS(chunk_delay_s=0.02))
    await pipeline.start()
    await pipeline.submit_text("I have a rash on my arm")
    await wait_for(sink, "audio_start")
    speech = _voiced_pcm(0.4)
    for start in range(0, len(speech), 640):
        await pipeline.feed_audio(speech[start : start + 640])
    await wait_for(sink, "interrupted")
    await pipeline.close()


async def test_llm_failure_gives_a_spoken_apology_and_an_error_event() -> None:
    pipeline, sink, _ = make(llm=FailingLLM())
    await pipeline.start()
    await pipeline.submit_text("I have a cough")
    await wait_for(sink, "metrics")
    error = next(e for e in sink.events if e["type"] == "error")
    assert error["code"] == "llm_unavailable"
    assert sink.turns[0].assistant_text == "The assistant is unavailable just now." and sink.audio
    await pipeline.submit_text("still there?")
    await wait_for(sink, "metrics", count=2)
    await pipeline.close()


async def test_dosing_is_never_spoken() -> None:
    tts = ToneTTS()
    pipeline, sink, _ = make(llm=ScriptedLLM(reply="Take 400 mg of ibuprofen every 6 hours. Rest well."), tts=tts)
    await pipeline.start()
    await pipeline.submit_text("I have a headache")
    await wait_for(sink, "metrics")
    assert not any("400 mg" in sentence for sentence in tts.spoken)
    assert "400 mg" not in sink.turns[0].assistant_text
    await pipeline.close()


async def test_resumed_history_continues_turn_numbers() -> None:
    from consultations.providers.base import ChatMessage

    sink, stt, llm = Sink(), ScriptedSTT(), ScriptedLLM()
    history = [ChatMessage("user", "hi"), ChatMessage("assistant", "hello"), ChatMessage("user", "cough")]
    pipeline = VoicePipeline(stt=stt, llm=llm, tts=ToneTTS(), guard=IntakeGuard(), sink=sink, history=history)
    await pipeline.start()
    await pipeline.submit_text("and a fever")
    await wait_for(sink, "metrics")
    assert sink.turns[0].index == 3 and len(llm.requests[0].history) == 4
    await pipeline.close()


def _voiced_pcm(seconds: float) -> bytes:
    import numpy as np

    t = np.arange(int(16000 * seconds)) / 16000
    wave = 6000 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
    wave += 2000 * np.sin(2 * np.pi * 450 * t) + 1000 * np.sin(2 * np.pi * 900 * t)
    return wave.astype("<i2").tobytes()
