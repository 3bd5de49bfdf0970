"""VoicePipeline: one consultation's real-time voice session, independent of the transport.

    audio in ─▶ VAD (barge-in, end of speech) ─▶ STT stream ─▶ transcript events
                                                   │ utterance end
    text in ──────────────────────────────────────▶├─▶ guard.assess ─▶ emergency? ─▶ announced at once
                                                   └─▶ LLM stream ─▶ sentence chunker ─▶ guard.review
                                                        ─▶ assistant_text deltas + TTS ─▶ paced PCM frames

One turn is answered at a time. Anything the patient says (or an explicit ``interrupt``) while
the assistant is generating or still playing cancels that turn: the LLM request, the TTS stream
and the unsent audio are dropped and the client is told to flush its playback. Provider failures
and timeouts become an apology and an ``error`` event; the session carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consultations.pipeline.audio import SpeechDetector
from consultations.pipeline.chunker import SentenceChunker
from consultations.pipeline.interfaces import Assessment, Guard, InputMode, PipelineSink, TurnRecord
from consultations.pipeline.metrics import (
    AUDIO_DONE,
    FIRST_AUDIO_SENT,
    FIRST_SENTENCE,
    LLM_FIRST_TOKEN,
    LLM_REQUEST,
    REPLY_DONE,
    TRANSCRIPT_FINAL,
    TTS_FIRST_BYTE,
    TurnTimer,
)
from consultations.pipeline.playout import Playout
from consultations.providers.base import (
    ChatMessage,
    LLMProvider,
    LLMRequest,
    ProviderError,
    STTProvider,
    STTStream,
    TranscriptEvent,
    TTSProvider,
    TTSStream,
)

log = logging.getLogger(__name__)

CANT_HEAR = "Sorry, I can't hear you right now. Please type your message instead."
CANT_SPEAK = "Sorry, I can't speak right now; my replies will appear as text."
TROUBLE = "Sorry, I'm having trouble right now. Please try again in a moment."

SourcesFor = Callable[[str], Awaitable[list[dict]]]
Prefetch = Callable[[str], None]


@dataclass(frozen=True)
class PipelineConfig:
    input_sample_rate_hz: int = 16000
    # Each WebSocket message costs the server (and the browser) about as much as its audio; 80 ms frames
    # halve the messages of 40 ms ones (measured with bench/voice_load.py) and still fit the lead below.
    output_frame_ms: int = 80
    playout_lead_ms: int = 300  # how far audio may run ahead of the browser's playback
    vad_aggressiveness: int = 2
    barge_in_min_speech_ms: int = 120  # voiced audio within 300 ms that counts as the patient talking
    llm_first_token_timeout_s: float = 10.0
    llm_idle_timeout_s: float = 10.0
    tts_first_byte_timeout_s: float = 5.0
    tts_idle_timeout_s: float = 15.0  # longer than the LLM's: TTS may be waiting for the next sentence
    stt_retry_interval_s: float = 3.0
    speech_end_max_age_s: float = 10.0
    max_tokens: int = 400


class _Turn:
    """The turn being answered: its record, clock and the tasks working on it."""

    def __init__(self, record: TurnRecord, timer: TurnTimer) -> None:
        self.record = record
        self.timer = timer
        self.task: asyncio.Task[None] | None = None
        self.tts_open: asyncio.Task[TTSStream] | None = None
        self.stream: TTSStream | None = None
        self.pump: asyncio.Task[None] | None = None
        self.spoken: list[str] = []
        self.audio_started = False
        self.audio_failed = False
        self.completed = False
        self.saved = False

    @property
    def interruptible_by_speech(self) -> bool:
        """An emergency escalation is not cut short by noise or a gasp; a new utterance or an
        explicit interrupt still preempts it (its text and the triage banner are already shown)."""
        return not self.record.emergency


class VoicePipeline:
    """Drive with ``start``, ``greet``, ``feed_audio``, ``submit_text``, ``interrupt`` and ``close``."""

    def __init__(
        self,
        *,
        stt: STTProvider,
        llm: LLMProvider,
        tts: TTSProvider,
        guard: Guard,
        sink: PipelineSink,
        history: Sequence[ChatMessage] = (),
        system_prompt: str = "",
        sources_for: SourcesFor | None = None,
        prefetch: Prefetch | None = None,
        config: PipelineConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stt, self._llm, self._tts, self._guard, self._sink = stt, llm, tts, guard, sink
        self.history: list[ChatMessage] = list(history)
        self.system_prompt = system_prompt
        self._sources_for = sources_for
        self._prefetch = prefetch
        self._pending_prefetch: asyncio.Handle | None = None
        self.config = config or PipelineConfig()
        self._clock = clock
        self.sample_rate_out_hz = tts.sample_rate_hz
        self.next_index = sum(message.role == "user" for message in history) + 1
        self._vad = SpeechDetector(self.config.input_sample_rate_hz, aggressiveness=self.config.vad_aggressiveness)
        self._last_voiced_at: float | None = None
        self._playout = Playout(
            sink.send_audio,
            tts.sample_rate_hz,
            clock=clock,
            frame_ms=self.config.output_frame_ms,
            lead_ms=self.config.playout_lead_ms,
        )
        self._stt_stream: STTStream | None = None
        self._stt_reader: asyncio.Task[None] | None = None
        self._stt_retry_at = 0.0
        self._finals: list[str] = []
        self._active: _Turn | None = None
        self._last_index = 0
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    # ------------------------------------------------------------------ public API

    async def start(self) -> None:
        """Connect the recogniser now, so the first utterance does not wait for it."""
        await self._stt_stream_or_none()

    async def greet(self, text: str) -> None:
        """Speak an opening line as turn 0, before the patient has said anything."""
        self._begin_turn(0, "text", "", self._clock(), reply=text)

    async def feed_audio(self, pcm16: bytes) -> None:
        """PCM16 little-endian mono at ``config.input_sample_rate_hz``, any chunk size."""
        if self._closed:
            return
        self._listen(pcm16)
        if self._vad.voiced_ms >= self.config.barge_in_min_speech_ms:
            await self._barge_in()
        stream = await self._stt_stream_or_none()
        if stream is not None:
            try:
                await stream.send_audio(pcm16)
            except Exception as error:
                await self._stt_failed(stream, error)

    async def submit_text(self, text: str) -> None:
        """A typed patient message: the same turn as a spoken one, minus recognition."""
        text = text.strip()
        if text and not self._closed:
            await self.interrupt()
            self._begin_patient_turn(text, "text", self._clock())

    async def interrupt(self) -> bool:
        """Stop the assistant now and tell the client to flush playback. False if it was silent.

        The client hears about it first: from the reset on, no audio of the turn leaves, so it can flush
        at once while the LLM request, the TTS stream and the turn's tasks are wound down.
        """
        turn, self._active = self._active, None
        if turn is None and not self._playout.is_playing():
            return False
        if turn is not None:
            turn.record.interrupted = True
        self._playout.reset()
        await self._sink.send_event({"type": "interrupted", "turn": self._last_index})
        if turn is not None:
            await self._cancel(turn)
        return True

    @property
    def assistant_speaking(self) -> bool:
        """Generating a reply, or the browser is still playing one."""
        return self._active is not None or self._playout.is_playing()

    async def close(self) -> None:
        """End the session: stop any reply, release the providers, finish saving turns."""
        if self._closed:
            return
        self._closed = True
        self._cancel_prefetch()
        turn, self._active = self._active, None
        if turn is not None:
            await self._cancel(turn)
        await self._close_stt()
        await asyncio.gather(*self._background, return_exceptions=True)

    # ------------------------------------------------------------------ listening

    def _listen(self, pcm16: bytes) -> None:
        now = self._clock()
        for frame in self._vad.frames(pcm16):
            if self._vad.classify(frame):
                self._last_voiced_at = now

    async def _barge_in(self) -> None:
        """Speech is a barge-in only while the patient hears the assistant: before the first audio,
        it is the tail of their own turn (or they go on talking, and that utterance replaces the turn)."""
        turn = self._active
        if turn is None or (turn.audio_started and turn.interruptible_by_speech):
            await self.interrupt()

    async def _stt_stream_or_none(self) -> STTStream | None:
        if self._stt_stream is not None or self._closed or self._clock() < self._stt_retry_at:
            return self._stt_stream
        try:
            stream = await self._stt.open_stream(self.config.input_sample_rate_hz)
        except Exception as error:
            self._stt_retry_at = self._clock() + self.config.stt_retry_interval_s
            await self._report(error, "stt_unavailable", CANT_HEAR)
            return None
        self._stt_stream = stream
        self._stt_reader = asyncio.create_task(self._read_transcripts(stream))
        return stream

    async def _read_transcripts(self, stream: STTStream) -> None:
        try:
            async for event in stream.events():
                await self._on_transcript(event)
        except Exception as error:
            await self._stt_failed(stream, error)
        finally:
            if self._stt_stream is stream:
                self._stt_stream = None

    async def _on_transcript(self, event: TranscriptEvent) -> None:
        if event.kind == "speech_started" and self._vad.voiced_ms > 0:
            await self._barge_in()
        elif event.kind == "interim" and event.text:
            await self._barge_in()
            await self._sink.send_event({"type": "transcript", "text": self._heard(event.text), "final": False})
            self._warm(self._heard(event.text))
        elif event.kind == "final" and event.text:
            self._finals.append(event.text)
            await self._sink.send_event({"type": "transcript", "text": self._heard(), "final": False})
            self._warm(self._heard())
        elif event.kind == "utterance_end":
            text = (event.text or self._heard()).strip()
            self._finals = []
            if text:
                await self._utterance(text)

    def _heard(self, interim: str = "") -> str:
        return " ".join([*self._finals, interim]).strip()

    def _warm(self, partial: str) -> None:
        """Let the sink start what the answer will need (a library search) while the patient talks.

        On the loop's next turn, and only if the utterance has not ended by then: a recogniser often
        sends its last final and the end of the utterance together, and the turn looks up the
        finished sentence itself.
        """
        if self._prefetch is not None:
            self._cancel_prefetch()
            self._pending_prefetch = asyncio.get_running_loop().call_soon(self._run_prefetch, partial)

    def _run_prefetch(self, partial: str) -> None:
        self._pending_prefetch = None
        if self._prefetch is not None:
            try:
                self._prefetch(partial)
            except Exception:
                log.warning("prefetch failed", exc_info=True)

    def _cancel_prefetch(self) -> None:
        if self._pending_prefetch is not None:
            self._pending_prefetch.cancel()
            self._pending_prefetch = None

    async def _utterance(self, text: str) -> None:
        self._cancel_prefetch()
        if self._closed:
            return
        now = self._clock()
        voiced_at = self._last_voiced_at
        speech_end = voiced_at if voiced_at is not None and now - voiced_at <= self.config.speech_end_max_age_s else now
        await self._sink.send_event({"type": "transcript", "text": text, "final": True})
        await self.interrupt()
        self._begin_patient_turn(text, "voice", speech_end, transcript_at=now)

    async def _stt_failed(self, stream: STTStream, error: BaseException) -> None:
        if self._stt_stream is stream:
            self._stt_stream = None
            self._stt_retry_at = self._clock() + self.config.stt_retry_interval_s
            with contextlib.suppress(Exception):
                await stream.close()
        await self._report(error, "stt_failed", CANT_HEAR)

    async def _close_stt(self) -> None:
        if self._stt_reader is not None:
            self._stt_reader.cancel()
            await asyncio.gather(self._stt_reader, return_exceptions=True)
        if self._stt_stream is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stt_stream.close(), self.config.stt_retry_interval_s)
            self._stt_stream = None

    # ------------------------------------------------------------------ answering

    def _begin_patient_turn(
        self, text: str, mode: InputMode, origin: float, transcript_at: float | None = None
    ) -> None:
        self.next_index += 1
        self._begin_turn(self.next_index - 1, mode, text, origin, transcript_at=transcript_at)

    def _begin_turn(
        self,
        index: int,
        mode: InputMode,
        patient_text: str,
        origin: float,
        *,
        transcript_at: float | None = None,
        reply: str | None = None,
    ) -> None:
        timer = TurnTimer(self._clock, origin)
        if transcript_at is not None:
            timer.mark(TRANSCRIPT_FINAL, transcript_at)
        if patient_text:
            self.history.append(ChatMessage("user", patient_text))
        turn = _Turn(TurnRecord(index, patient_text, mode), timer)
        self._last_index = index
        turn.task = asyncio.create_task(self._run_turn(turn, reply))
        self._active = turn

    async def _cancel(self, turn: _Turn) -> None:
        turn.record.interrupted = True
        if turn.task is not None:
            turn.task.cancel()
            await asyncio.gather(turn.task, return_exceptions=True)
        if not turn.saved:  # cancelled before it ever ran
            self._complete(turn)
            await self._release(turn)

    async def _run_turn(self, turn: _Turn, reply: str | None) -> None:
        try:
            if reply is None:
                await self._answer(turn)
            else:
                await self._speak(turn, _once(reply), review=False)
        except asyncio.CancelledError:
            turn.record.interrupted = True
            raise
        except Exception as error:
            log.exception("turn %s failed", turn.record.index)
            turn.record.error_code = turn.record.error_code or "internal_error"
            await self._report(error, "internal_error", TROUBLE)
        finally:
            if self._active is turn:
                self._active = None
            self._complete(turn)  # first: releasing may re-raise our own cancellation
            await self._release(turn)

    async def _answer(self, turn: _Turn) -> None:
        assessment = self._guard.assess(turn.record.patient_text)
        turn.record.assessment = assessment
        await self._show_triage(turn, assessment)
        if assessment.is_emergency:
            turn.record.emergency = True
            await self._speak(turn, _once(self._guard.emergency_message(assessment)), review=False)
            return
        sources = await self._sources_for(turn.record.patient_text) if self._sources_for else []
        request = LLMRequest(list(self.history), self.system_prompt, sources, max_tokens=self.config.max_tokens)
        turn.timer.mark(LLM_REQUEST)
        await self._speak(turn, self._llm.stream_reply(request), review=True)

    async def _show_triage(self, turn: _Turn, assessment: Assessment) -> None:
        await self._sink.send_event(
            {
                "type": "triage",
                "turn": turn.record.index,
                "level": str(assessment.triage_level),
                "red_flags": [_red_flag(flag) for flag in assessment.red_flags],
                "advice": assessment.advice,
                "reasons": list(getattr(assessment, "reasons", [])),
                "emergency": bool(assessment.is_emergency),
            }
        )

    async def _speak(self, turn: _Turn, deltas: AsyncIterator[str], *, review: bool) -> None:
        turn.tts_open = asyncio.create_task(self._tts.open_stream())  # connects while the LLM thinks
        chunker = SentenceChunker()
        try:
            timed = _timed(deltas, self.config.llm_first_token_timeout_s, self.config.llm_idle_timeout_s, "llm_timeout")
            async with contextlib.aclosing(timed) as stream:
                async for delta in stream:
                    if turn.timer.has(LLM_REQUEST):
                        turn.timer.mark(LLM_FIRST_TOKEN)
                    for chunk in chunker.push(delta):
                        await self._say(turn, chunk, review=review)
            await self._say(turn, chunker.flush(), review=review)
        except Exception as error:
            await self._reply_failed(turn, error)
        turn.timer.mark(REPLY_DONE)
        turn.record.assistant_text = " ".join(turn.spoken)
        final = {"type": "assistant_text", "turn": turn.record.index, "text": turn.record.assistant_text, "final": True}
        await self._sink.send_event(final)
        await self._finish_audio(turn)
        turn.completed = True
        await self._sink.send_event({"type": "metrics", "turn": turn.record.index, **turn.timer.timings()})

    async def _reply_failed(self, turn: _Turn, error: Exception) -> None:
        """Apologise in words and speech; the patient can simply try again."""
        failure = error if isinstance(error, ProviderError) else ProviderError(str(error), code="llm_failed")
        log.warning("turn %s: reply failed", turn.record.index, exc_info=not isinstance(error, ProviderError))
        turn.record.error_code = failure.code
        await self._report(failure, failure.code, failure.user_message)
        await self._say(turn, failure.user_message, review=False)

    async def _say(self, turn: _Turn, chunk: str, *, review: bool) -> None:
        """Show and speak one chunk, after review (no dosing, no certain diagnosis is ever spoken)."""
        text = (self._guard.review(chunk) if review and chunk.strip() else chunk).strip()
        if not text:
            return
        turn.timer.mark(FIRST_SENTENCE)
        delta = f" {text}" if turn.spoken else text
        turn.spoken.append(text)
        await self._sink.send_event(
            {"type": "assistant_text", "turn": turn.record.index, "text": delta, "final": False}
        )
        await self._synthesise(turn, text)

    # ------------------------------------------------------------------ speech output

    async def _synthesise(self, turn: _Turn, text: str) -> None:
        if turn.audio_failed or turn.tts_open is None:
            return
        try:
            if turn.stream is None:
                # not asyncio.wait_for: on 3.11 it swallows a barge-in that lands as the stream opens
                async with asyncio.timeout(self.config.tts_first_byte_timeout_s):
                    turn.stream = await turn.tts_open
                turn.pump = asyncio.create_task(self._pump(turn, turn.stream))
            await turn.stream.push_text(text)
        except Exception as error:
            await self._audio_failed(turn, error)

    async def _pump(self, turn: _Turn, stream: TTSStream) -> None:
        timeouts = (self.config.tts_first_byte_timeout_s, self.config.tts_idle_timeout_s)
        try:
            async with contextlib.aclosing(_timed(stream.audio(), *timeouts, "tts_timeout")) as chunks:
                async for chunk in chunks:
                    await self._play(turn, chunk)
        except Exception as error:
            await self._audio_failed(turn, error)

    async def _play(self, turn: _Turn, chunk: bytes) -> None:
        if turn.record.interrupted:  # the client was told to flush; the turn is being wound down
            return
        turn.timer.mark(TTS_FIRST_BYTE)
        if not turn.audio_started:
            turn.audio_started = True
            start = {"type": "audio_start", "turn": turn.record.index, "sample_rate": self.sample_rate_out_hz}
            await self._sink.send_event(start)
        if await self._playout.play(chunk) and not turn.timer.has(FIRST_AUDIO_SENT):
            turn.timer.mark(FIRST_AUDIO_SENT)
            self._vad.reset()  # from now on, voice is the patient talking over us

    async def _finish_audio(self, turn: _Turn) -> None:
        if turn.stream is not None and not turn.audio_failed:
            try:
                await turn.stream.finish()
            except Exception as error:
                await self._audio_failed(turn, error)
        if turn.pump is not None:
            if turn.audio_failed:
                turn.pump.cancel()
            await asyncio.gather(turn.pump, return_exceptions=True)
        turn.timer.mark(AUDIO_DONE)
        if turn.audio_started:
            await self._sink.send_event({"type": "audio_end", "turn": turn.record.index})

    async def _audio_failed(self, turn: _Turn, error: BaseException) -> None:
        if turn.audio_failed:
            return
        turn.audio_failed = True
        turn.record.error_code = turn.record.error_code or _code(error, "tts_failed")
        await self._report(error, "tts_failed", CANT_SPEAK)

    async def _release(self, turn: _Turn) -> None:
        """Stop whatever still works on the turn (after a barge-in, a failure or close)."""
        if turn.pump is not None and not turn.pump.done():
            turn.pump.cancel()
            await asyncio.gather(turn.pump, return_exceptions=True)
        unused = None
        if turn.stream is None and turn.tts_open is not None:
            turn.tts_open.cancel()
            opened = (await asyncio.gather(turn.tts_open, return_exceptions=True))[0]
            unused = None if isinstance(opened, BaseException) else opened
        stream = unused or (None if turn.completed else turn.stream)
        if stream is not None:
            with contextlib.suppress(Exception):
                await stream.cancel()

    # ------------------------------------------------------------------ bookkeeping

    def _complete(self, turn: _Turn) -> None:
        turn.saved = True
        record = turn.record
        record.assistant_text = " ".join(turn.spoken)
        record.timings = turn.timer.timings()
        if record.assistant_text:
            self.history.append(ChatMessage("assistant", record.assistant_text))
        task = asyncio.create_task(self._save(record))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _save(self, record: TurnRecord) -> None:
        try:
            await self._sink.on_turn_complete(record)
        except Exception:
            log.exception("saving turn %s failed", record.index)

    async def _report(self, error: BaseException, code: str, message: str) -> None:
        if isinstance(error, ProviderError):
            code, message = error.code, error.user_message
        log.warning("voice pipeline %s: %s", code, error)
        await self._sink.send_event({"type": "error", "code": code, "message": message})


async def _timed(items: AsyncIterator[Any], first_s: float, idle_s: float, code: str) -> AsyncGenerator[Any, None]:
    """Re-yield ``items``; raise ProviderError(code) when the first item, or any later one, is late."""
    iterator = aiter(items)
    timeout = first_s
    try:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    item = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError as error:
                raise ProviderError(f"no response within {timeout} s", code=code) from error
            timeout = idle_s
            yield item
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            await closer()


async def _once(text: str) -> AsyncIterator[str]:
    yield text


def _red_flag(flag: Any) -> dict[str, str]:
    if isinstance(flag, dict):
        return {key: str(flag.get(key, "")) for key in ("code", "label", "evidence")}
    return {"code": flag.code, "label": flag.label, "evidence": flag.evidence}


def _code(error: BaseException, default: str) -> str:
    return error.code if isinstance(error, ProviderError) else default
