"""VoicePipeline with fake providers: event order, emergencies, barge-in, failures, pacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from consultations.pipeline.interfaces import TurnRecord
from consultations.pipeline.session import PipelineConfig, VoicePipeline
from consultations.providers.base import ChatMessage, LLMRequest, ProviderError, TranscriptEvent
from consultations.providers.streams import SentenceTTSStream

RATE_HZ = 16000
FAST = PipelineConfig(playout_lead_ms=60_000)  # no pacing waits unless a test wants them


@dataclass
class FakeAssessment:
    is_emergency: bool
    triage_level: str
    advice: str = "Rest and drink fluids."
    red_flags: list[dict[str, str]] = field(default_factory=list)


class FakeGuard:
    """Emergency on "crushing chest pain"; review drops any sentence that gives a dose."""

    def assess(self, text: str) -> FakeAssessment:
        if "crushing chest pain" in text:
            flag = {"code": "acs", "label": "Possible heart attack", "evidence": "crushing chest pain"}
            return FakeAssessment(True, "emergency_ambulance", "Call 999.", [flag])
        return FakeAssessment(False, "self_care")

    def review(self, text: str) -> str:
        return "" if " mg" in text else text

    def emergency_message(self, assessment: Any) -> str:
        return "This could be a heart attack. Call 999 now."


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

    def first(self, kind: str) -> dict[str, Any]:
        return next(event for event in self.events if event["type"] == kind)


class ScriptedSTT:
    def __init__(self, fail_open: bool = False) -> None:
        self.fail_open = fail_open
        self.queue: asyncio.Queue[TranscriptEvent | None] = asyncio.Queue()
        self.received = 0

    async def open_stream(self, sample_rate_hz: int = RATE_HZ) -> ScriptedSTT:
        if self.fail_open:
            raise ProviderError("refused", code="stt_unavailable")
        return self

    async def send_audio(self, pcm16: bytes) -> None:
        self.received += len(pcm16)

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self.queue.put_nowait(None)

    def say(self, text: str) -> None:
        self.queue.put_nowait(TranscriptEvent("final", text))
        self.queue.put_nowait(TranscriptEvent("utterance_end", ""))


class ScriptedLLM:
    def __init__(self, reply: str = "First sentence here. Second one follows.", delay_s: float = 0.0) -> None:
        self.reply, self.delay_s = reply, delay_s
        self.requests: list[LLMRequest] = []
        self.closed = False

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        try:
            for word in self.reply.split(" "):
                await asyncio.sleep(self.delay_s)
                yield word + " "
        finally:
            self.closed = True


class FailingLLM:
    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        raise ProviderError("boom", code="llm_unavailable", user_message="The assistant is unavailable just now.")
        yield ""  # pragma: no cover - makes this an async generator


class ToneTTS:
    """100 ms of PCM per chunk, three chunks per sentence."""

    sample_rate_hz = RATE_HZ

    def __init__(self, chunk_delay_s: float = 0.0, fail: bool = False) -> None:
        self.chunk_delay_s, self.fail = chunk_delay_s, fail
        self.spoken: list[str] = []
        self.cancelled = 0

    async def open_stream(self) -> SentenceTTSStream:
        stream = SentenceTTSStream(self.synthesize)
        original = stream.cancel

        async def cancel() -> None:
            self.cancelled += 1
            await original()

        stream.cancel = cancel  # type: ignore[method-assign]
        return stream

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        if self.fail:
            raise ProviderError("socket closed", code="tts_unavailable")
        self.spoken.append(text)
        for _ in range(3):
            await asyncio.sleep(self.chunk_delay_s)
            yield b"\x10\x00" * (RATE_HZ // 10)


def make(
    llm: Any = None,
    tts: Any = None,
    stt: Any = None,
    config: PipelineConfig = FAST,
    history: list[ChatMessage] | None = None,
) -> tuple[VoicePipeline, Sink]:
    sink = Sink()
    pipeline = VoicePipeline(
        stt=stt or ScriptedSTT(),
        llm=llm or ScriptedLLM(),
        tts=tts or ToneTTS(),
        guard=FakeGuard(),
        sink=sink,
        history=history or [],
        config=config,
    )
    return pipeline, sink


async def wait_for(sink: Sink, kind: str, count: int = 1, timeout_s: float = 3.0) -> None:
    async with asyncio.timeout(timeout_s):
        while sink.types().count(kind) < count:
            await asyncio.sleep(0.002)


def voiced_pcm(seconds: float) -> bytes:
    """A vowel-like buzz that webrtcvad takes for speech."""
    t = np.arange(int(RATE_HZ * seconds)) / RATE_HZ
    wave = 6000 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
    wave += 2000 * np.sin(2 * np.pi * 450 * t) + 1000 * np.sin(2 * np.pi * 900 * t)
    return wave.astype("<i2").tobytes()


async def speak_over(pipeline: VoicePipeline, seconds: float) -> None:
    speech = voiced_pcm(seconds)
    for start in range(0, len(speech), 640):
        await pipeline.feed_audio(speech[start : start + 640])


async def test_a_typed_turn_streams_text_then_audio_then_metrics() -> None:
    pipeline, sink = make()
    await pipeline.start()
    await pipeline.submit_text("I have a sore throat")
    await wait_for(sink, "metrics")
    types = sink.types()
    assert types[0] == "triage"
    assert (
        types.index("assistant_text") < types.index("audio_start") < types.index("audio_end") < types.index("metrics")
    )
    deltas = [e["text"] for e in sink.events if e["type"] == "assistant_text" and not e["final"]]
    assert deltas == ["First sentence here.", " Second one follows."]
    assert sink.first("audio_start")["sample_rate"] == RATE_HZ
    assert sum(map(len, sink.audio)) == 2 * 3 * RATE_HZ // 10 * 2
    assert max(map(len, sink.audio)) <= RATE_HZ * 2 * FAST.output_frame_ms // 1000
    metrics = sink.events[-1]
    assert metrics["turn"] == 1
    assert metrics["llm_first_token_ms"] <= metrics["first_sentence_ms"] <= metrics["voice_to_voice_ms"]
    await pipeline.close()
    assert sink.turns[0].assistant_text == "First sentence here. Second one follows."
    assert sink.turns[0].timings["voice_to_voice_ms"] == metrics["voice_to_voice_ms"]


async def test_a_spoken_turn_reports_transcripts_and_recognition_time() -> None:
    stt = ScriptedSTT()
    pipeline, sink = make(stt=stt)
    await pipeline.start()
    stt.queue.put_nowait(TranscriptEvent("speech_started"))
    stt.queue.put_nowait(TranscriptEvent("interim", "my ear"))
    stt.say("my ear hurts")
    await wait_for(sink, "metrics")
    transcripts = [(e["text"], e["final"]) for e in sink.events if e["type"] == "transcript"]
    assert transcripts[0] == ("my ear", False) and transcripts[-1] == ("my ear hurts", True)
    await pipeline.close()
    assert sink.turns[0].input_mode == "voice" and "stt_ms" in sink.turns[0].timings


async def test_an_emergency_is_announced_at_once_and_the_llm_is_not_asked() -> None:
    slow = ScriptedLLM(delay_s=5.0)
    pipeline, sink = make(llm=slow)
    await pipeline.start()
    await pipeline.submit_text("I have crushing chest pain")
    await wait_for(sink, "metrics", timeout_s=2.0)
    triage = sink.first("triage")
    assert triage["emergency"] and triage["red_flags"][0]["code"] == "acs"
    assert not slow.requests and sink.audio
    await pipeline.close()
    assert sink.turns[0].emergency and "999" in sink.turns[0].assistant_text


async def test_an_emergency_announcement_is_not_cut_short_by_noise() -> None:
    pipeline, sink = make(tts=ToneTTS(chunk_delay_s=0.05))
    await pipeline.submit_text("I have crushing chest pain")
    await wait_for(sink, "audio_start")
    await speak_over(pipeline, 0.4)
    await wait_for(sink, "metrics")
    assert "interrupted" not in sink.types()
    await pipeline.close()


async def test_barge_in_cancels_the_llm_and_tts_and_drops_unsent_audio() -> None:
    llm = ScriptedLLM(reply=" ".join(["This is a long sentence."] * 40), delay_s=0.005)
    tts = ToneTTS(chunk_delay_s=0.02)
    pipeline, sink = make(llm=llm, tts=tts, config=PipelineConfig(playout_lead_ms=200))
    await pipeline.submit_text("I have a rash on my arm")
    await wait_for(sink, "audio_start")
    await speak_over(pipeline, 0.3)
    frames_when_interrupted = len(sink.audio)
    await asyncio.sleep(0.15)
    assert sink.types().count("interrupted") == 1 and sink.first("interrupted")["turn"] == 1
    assert llm.closed and tts.cancelled == 1
    assert len(sink.audio) == frames_when_interrupted
    await pipeline.close()
    assert sink.turns[0].interrupted and len(tts.spoken) < 40


async def test_speech_before_the_reply_is_heard_does_not_cancel_it() -> None:
    stt = ScriptedSTT()
    pipeline, sink = make(stt=stt, llm=ScriptedLLM(delay_s=0.02))
    await pipeline.start()
    await speak_over(pipeline, 0.3)
    stt.say("my ear hurts")
    await wait_for(sink, "triage")
    await speak_over(pipeline, 0.2)  # the tail of the patient's own turn, while the LLM thinks
    await wait_for(sink, "metrics")
    assert "interrupted" not in sink.types()
    await pipeline.close()


async def test_speech_while_the_last_words_are_still_playing_also_interrupts() -> None:
    pipeline, sink = make(config=PipelineConfig(playout_lead_ms=2_000))
    await pipeline.submit_text("hello")
    await wait_for(sink, "metrics")
    assert pipeline.assistant_speaking
    assert await pipeline.interrupt()
    assert sink.events[-1] == {"type": "interrupted", "turn": 1}
    assert not await pipeline.interrupt()
    await pipeline.close()


async def test_a_new_utterance_during_a_reply_replaces_it() -> None:
    stt = ScriptedSTT()
    llm = ScriptedLLM(reply=" ".join(["Still talking."] * 50), delay_s=0.01)
    pipeline, sink = make(stt=stt, llm=llm)
    await pipeline.start()
    stt.say("first thing")
    await wait_for(sink, "assistant_text")
    stt.say("second thing")
    await wait_for(sink, "triage", count=2)
    assert "interrupted" in sink.types()
    await pipeline.close()
    assert [t.patient_text for t in sink.turns] == ["first thing", "second thing"]
    assert sink.turns[0].interrupted and [t.index for t in sink.turns] == [1, 2]


async def test_dosing_is_never_shown_or_spoken() -> None:
    tts = ToneTTS()
    pipeline, sink = make(llm=ScriptedLLM(reply="Take 400 mg of ibuprofen. Rest well."), tts=tts)
    await pipeline.submit_text("I have a headache")
    await wait_for(sink, "metrics")
    shown = " ".join(e["text"] for e in sink.events if e["type"] == "assistant_text")
    assert "400" not in shown and tts.spoken == ["Rest well."]
    await pipeline.close()


async def test_an_llm_failure_is_apologised_for_and_the_session_goes_on() -> None:
    pipeline, sink = make(llm=FailingLLM())
    await pipeline.submit_text("I have a cough")
    await wait_for(sink, "metrics")
    assert sink.first("error") == {
        "type": "error",
        "code": "llm_unavailable",
        "message": "The assistant is unavailable just now.",
    }
    assert sink.audio
    await pipeline.submit_text("still there?")
    await wait_for(sink, "metrics", count=2)
    await pipeline.close()
    assert sink.turns[0].assistant_text == "The assistant is unavailable just now."


async def test_a_silent_llm_times_out_into_an_apology() -> None:
    config = PipelineConfig(playout_lead_ms=60_000, llm_first_token_timeout_s=0.05)
    llm = ScriptedLLM(delay_s=1.0)
    pipeline, sink = make(llm=llm, config=config)
    await pipeline.submit_text("hello")
    await wait_for(sink, "metrics")
    assert sink.first("error")["code"] == "llm_timeout" and llm.closed
    await pipeline.close()
    assert sink.turns[0].error_code == "llm_timeout" and sink.turns[0].assistant_text


async def test_a_tts_failure_still_delivers_the_reply_as_text() -> None:
    pipeline, sink = make(tts=ToneTTS(fail=True))
    await pipeline.submit_text("I have a cough")
    await wait_for(sink, "metrics")
    assert sink.first("error")["code"] == "tts_unavailable"
    assert sink.events[-2]["text"] == "First sentence here. Second one follows." and not sink.audio
    await pipeline.close()


async def test_when_recognition_is_down_typing_still_works() -> None:
    stt = ScriptedSTT(fail_open=True)
    pipeline, sink = make(stt=stt)
    await pipeline.start()
    assert sink.first("error")["code"] == "stt_unavailable"
    await pipeline.feed_audio(b"\x00\x00" * 320)
    await pipeline.submit_text("I have a cough")
    await wait_for(sink, "metrics")
    assert sink.types().count("error") == 1  # no retry storm while the provider is down
    await pipeline.close()


async def test_audio_is_paced_to_playback_speed() -> None:
    tts = ToneTTS()
    pipeline, sink = make(
        llm=ScriptedLLM(reply="One. Two. Three."), tts=tts, config=PipelineConfig(playout_lead_ms=100)
    )
    started = time.monotonic()
    await pipeline.submit_text("hello")
    await wait_for(sink, "audio_end")
    assert time.monotonic() - started >= 0.9 - 0.1 - 0.05  # 900 ms of audio, 100 ms allowed ahead
    await pipeline.close()


async def test_a_resumed_consultation_numbers_turns_on_from_its_history() -> None:
    llm = ScriptedLLM()
    history = [ChatMessage("assistant", "Hello"), ChatMessage("user", "cough"), ChatMessage("assistant", "Since when?")]
    pipeline, sink = make(llm=llm, history=history)
    await pipeline.submit_text("two days")
    await wait_for(sink, "metrics")
    assert sink.events[-1]["turn"] == 2 and [m.text for m in llm.requests[0].history][-2:] == [
        "Since when?",
        "two days",
    ]
    await pipeline.close()


async def test_the_greeting_is_turn_zero() -> None:
    pipeline, sink = make()
    await pipeline.greet("Hello, what brings you here today?")
    await wait_for(sink, "metrics")
    await pipeline.close()
    assert sink.turns[0].index == 0 and sink.turns[0].assistant_text == "Hello, what brings you here today?"
    assert pipeline.history == [ChatMessage("assistant", "Hello, what brings you here today?")]


async def test_close_waits_for_the_turn_to_be_saved() -> None:
    pipeline, sink = make(llm=ScriptedLLM(delay_s=0.05))
    await pipeline.submit_text("hello")
    await pipeline.close()
    assert len(sink.turns) == 1 and sink.turns[0].interrupted


def prefetching_pipeline() -> tuple[VoicePipeline, ScriptedSTT, Sink, list[str]]:
    stt, sink, warmed = ScriptedSTT(), Sink(), []
    pipeline = VoicePipeline(
        stt=stt, llm=ScriptedLLM(), tts=ToneTTS(), guard=FakeGuard(), sink=sink, config=FAST, prefetch=warmed.append
    )
    return pipeline, stt, sink, warmed


async def test_words_heard_so_far_are_offered_for_prefetching() -> None:
    pipeline, stt, sink, warmed = prefetching_pipeline()
    await pipeline.start()
    for count, event in enumerate(
        [TranscriptEvent("interim", "my throat"), TranscriptEvent("final", "my throat is sore")], 1
    ):
        stt.queue.put_nowait(event)
        await wait_for(sink, "transcript", count=count)
        await asyncio.sleep(0)
    stt.queue.put_nowait(TranscriptEvent("interim", "since monday"))
    await wait_for(sink, "transcript", count=3)
    await asyncio.sleep(0)
    await pipeline.close()
    assert warmed == ["my throat", "my throat is sore", "my throat is sore since monday"]


async def test_only_the_latest_words_are_prefetched_when_transcripts_arrive_together() -> None:
    pipeline, stt, sink, warmed = prefetching_pipeline()
    await pipeline.start()
    stt.queue.put_nowait(TranscriptEvent("interim", "my throat"))
    stt.queue.put_nowait(TranscriptEvent("interim", "my throat is sore"))
    await wait_for(sink, "transcript", count=2)
    await asyncio.sleep(0)
    await pipeline.close()
    assert warmed == ["my throat is sore"]


async def test_closing_drops_a_prefetch_that_has_not_run_yet() -> None:
    pipeline, _, _, warmed = prefetching_pipeline()
    await pipeline.start()
    pipeline._warm("my throat")
    await pipeline.close()
    await asyncio.sleep(0)
    assert warmed == []


async def test_a_final_that_comes_with_the_end_of_the_utterance_is_not_prefetched() -> None:
    pipeline, stt, sink, warmed = prefetching_pipeline()
    await pipeline.start()
    stt.say("my throat is sore")
    await wait_for(sink, "metrics")
    await pipeline.close()
    assert warmed == []


async def test_a_reset_stops_audio_that_is_waiting_for_its_turn_to_play() -> None:
    from consultations.pipeline.playout import Playout

    sent: list[bytes] = []

    async def send(frame: bytes) -> None:
        sent.append(frame)

    playout = Playout(send, RATE_HZ, clock=time.monotonic, frame_ms=40, lead_ms=40)
    player = asyncio.create_task(playout.play(b"\x10\x00" * RATE_HZ))  # one second: paced, 40 ms ahead
    await asyncio.sleep(0.1)
    playout.reset()
    frames_at_reset = len(sent)
    assert await player < RATE_HZ // (RATE_HZ * 40 // 1000) and len(sent) == frames_at_reset
    assert not playout.is_playing()


class SlowToStopTTS(ToneTTS):
    """Winding a stream down takes a while, as closing a provider's socket can."""

    async def open_stream(self) -> SentenceTTSStream:
        stream = await super().open_stream()
        cancel = stream.cancel

        async def slow_cancel() -> None:
            await asyncio.sleep(0.3)
            await cancel()

        stream.cancel = slow_cancel  # type: ignore[method-assign]
        return stream


async def test_the_client_is_told_to_flush_before_the_turn_is_wound_down() -> None:
    pipeline, sink = make(tts=SlowToStopTTS(chunk_delay_s=0.01), config=PipelineConfig(playout_lead_ms=100))
    await pipeline.submit_text("hello")
    await wait_for(sink, "audio_start")
    stopping = asyncio.create_task(pipeline.interrupt())
    await wait_for(sink, "interrupted", timeout_s=0.2)
    audio_at_interrupt = len(sink.audio)
    assert not stopping.done()
    await stopping
    assert len(sink.audio) == audio_at_interrupt and sink.turns[0].interrupted
    await pipeline.close()
