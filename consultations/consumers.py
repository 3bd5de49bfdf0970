"""WebSocket adapter of the voice pipeline: /ws/consultations/<id>/ (the owner only).

The consumer parses frames, checks access through the access module, hands audio and text to the
pipeline, and saves what the pipeline reports — off the audio path, in order, on one writer task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections, connections
from django.http import Http404
from django.urls import reverse

from accounts import access
from consultations import intake, services, tasks
from consultations.guard import IntakeGuard
from consultations.models import Consultation, Turn
from consultations.pipeline.session import VoicePipeline
from consultations.providers.base import ChatMessage
from consultations.providers.embedded_llm import IntakeLLM
from consultations.providers.registry import load_providers

logger = logging.getLogger(__name__)

# Saving turns has its own threads: Channels runs every consumer's other database work (signing the
# socket in, loading the consultation) on one shared thread, and under load new connections would
# wait there behind other patients' turns until Daphne gave up on their handshake.
WRITER_THREAD_COUNT = 2
_WRITER_THREADS = ThreadPoolExecutor(max_workers=WRITER_THREAD_COUNT, thread_name_prefix="consultation-writes")


def close_writer_connections(timeout_s: float = 5.0) -> None:
    """Close the writer threads' database connections (test teardown drops the database after this).

    A barrier makes every writer thread take one of the calls, so each closes its own connection.
    """
    barrier = threading.Barrier(WRITER_THREAD_COUNT, timeout=timeout_s)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        connections.close_all()

    for future in [_WRITER_THREADS.submit(close) for _ in range(WRITER_THREAD_COUNT)]:
        future.result(timeout=timeout_s * 2)


MAX_AUDIO_FRAME_BYTES = 64 * 1024
MAX_TEXT_FRAME_BYTES = 16 * 1024
MAX_TYPED_CHARS = 2000
SAMPLE_RATE_IN_HZ = 16000
CLOSE_NOT_FOUND = 4404
SOURCES_TIMEOUT_S = 0.25
WRITE_DRAIN_TIMEOUT_S = 10.0


class ConsultationConsumer(AsyncWebsocketConsumer):
    consultation: Consultation
    pipeline: Any = None

    async def connect(self) -> None:
        self.consultation_id = self.scope["url_route"]["kwargs"]["consultation_id"]
        consultation = await self._load_consultation()
        if consultation is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.consultation = consultation
        self.writes: asyncio.Queue[Any] = asyncio.Queue()
        self.writer = asyncio.create_task(self._write_loop())
        history, resumed = await self._history()
        self.guard = IntakeGuard(consultation.intake_state)
        await self.accept()
        try:
            self.pipeline = await self._start_pipeline(history)
        except Exception as exc:  # a provider that cannot start must not leave a dead socket
            logger.exception("voice pipeline failed to start for consultation %s", consultation.pk)
            await self.send_event({"type": "error", "code": "provider_unavailable", "message": _start_failure(exc)})
            return
        await self.send_event(
            {
                "type": "ready",
                "consultation": consultation.pk,
                "sample_rate_in": SAMPLE_RATE_IN_HZ,
                "sample_rate_out": self.pipeline.sample_rate_out_hz,
                "resumed": resumed,
            }
        )
        if not resumed and isinstance(self.llm, IntakeLLM):
            await self.pipeline.greet(self.llm.opening_message())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """One socket, one loop: frames are dispatched in order as they arrive.

        Channels' generic loop subscribes every consumer to the channel layer and creates a task per
        incoming message; nothing is ever sent to a consultation through the layer, and at 50 audio
        frames a second per patient those tasks (and a Redis read per socket) were pure overhead.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Audio frames skip Channels' per-message ``close_old_connections`` thread hop.

        At 50 frames a second per patient that hop was the server's largest cost; every database call
        here goes through ``database_sync_to_async``, which closes stale connections itself.
        """
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        if self.pipeline is not None:
            await self.pipeline.close()
        writer = getattr(self, "writer", None)
        if writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.writes.join(), WRITE_DRAIN_TIMEOUT_S)
            writer.cancel()

    # ------------------------------------------------------------------ incoming frames

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._receive_audio(bytes_data)
        elif text_data is not None:
            await self._receive_message(text_data)

    async def _receive_audio(self, frame: bytes) -> None:
        if len(frame) > MAX_AUDIO_FRAME_BYTES:
            await self.error("frame_too_large", f"Audio frames must be at most {MAX_AUDIO_FRAME_BYTES} bytes.")
        elif len(frame) % 2:
            await self.error("bad_audio", "Audio must be 16-bit PCM: an even number of bytes.")
        elif self.pipeline is None:
            await self.error("not_ready", "The assistant is not available right now.")
        else:
            await self.pipeline.feed_audio(frame)

    async def _receive_message(self, raw: str) -> None:
        if len(raw) > MAX_TEXT_FRAME_BYTES:
            await self.error("frame_too_large", f"Text frames must be at most {MAX_TEXT_FRAME_BYTES} bytes.")
            return
        try:
            message = json.loads(raw)
        except (json.JSONDecodeError, ValueError):
            await self.error("bad_json", "Messages must be JSON objects.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.error("bad_message", 'Messages must be JSON objects with a "type".')
            return
        handler = {
            "text": self._on_text,
            "interrupt": self._on_interrupt,
            "end": self._on_end,
            "ping": self._on_ping,
        }.get(message["type"])
        if handler is None:
            await self.error("unknown_type", f"Unknown message type {message['type'][:40]!r}.")
            return
        await handler(message)

    async def _on_text(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            await self.error("bad_text", 'A text message needs a non-empty "text" string.')
        elif len(text) > MAX_TYPED_CHARS:
            await self.error("text_too_long", f"Please keep messages under {MAX_TYPED_CHARS} characters.")
        elif self.pipeline is None:
            await self.error("not_ready", "The assistant is not available right now.")
        else:
            await self.pipeline.submit_text(text.strip())

    async def _on_interrupt(self, message: dict[str, Any]) -> None:
        if self.pipeline is not None:
            await self.pipeline.interrupt()

    async def _on_ping(self, message: dict[str, Any]) -> None:
        await self.send_event({"type": "pong"})

    async def _on_end(self, message: dict[str, Any]) -> None:
        if self.pipeline is not None:
            await self.pipeline.close()
            self.pipeline = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.writes.join(), WRITE_DRAIN_TIMEOUT_S)
        await self._finish()
        summary_url = reverse("consultations:summary", args=[self.consultation.pk])
        await self.send_event({"type": "ended", "summary_url": summary_url})
        await self.close()

    # ------------------------------------------------------------------ the pipeline's sink

    async def send_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event))
        if event.get("type") == "triage":
            self.writes.put_nowait(("assessment", event))

    def _links_for(self, query: str) -> list[dict[str, str]]:
        """Read-more links, looked up again only when what the patient described has changed."""
        cached = getattr(self, "_read_more_cache", None)
        if cached is None or cached[0] != query:
            cached = self._read_more_cache = (query, _read_more_links(query))
        return cached[1]

    def _read_more_query(self) -> str:
        """What the patient has described so far, for MedlinePlus "Read more" links."""
        latest = self.guard.latest
        present = [symptom.label for symptom in latest.symptoms if symptom.present] if latest else []
        return " ".join(present[:4])

    async def send_audio(self, pcm16: bytes) -> None:
        await self.send(bytes_data=pcm16)

    async def on_turn_complete(self, record: Any) -> None:
        self.writes.put_nowait(("turn", record))

    async def error(self, code: str, message: str) -> None:
        await self.send_event({"type": "error", "code": code, "message": message})

    # ------------------------------------------------------------------ persistence (off the audio path)

    async def _write_loop(self) -> None:
        """Saves in order; whatever queued up meanwhile goes in one hop to the database thread.

        Every hop costs a thread switch and a connection health check; under load, turns and
        assessments arrive in bursts, and one hop per burst keeps that work off the event loop.
        """
        while True:
            batch = [await self.writes.get()]
            while not self.writes.empty():
                batch.append(self.writes.get_nowait())
            try:
                await self._write_batch(batch)
            finally:
                for _ in batch:
                    self.writes.task_done()

    async def _write_batch(self, batch: list[tuple[str, Any]]) -> None:
        await sync_to_async(self._save, thread_sensitive=False, executor=_WRITER_THREADS)(batch)

    def _save(self, batch: list[tuple[str, Any]]) -> None:
        """Hand the batch to the save task (a worker process when a broker is configured).

        Turns go first, on their own: an assessment may first look up read-more links, and a patient
        who reconnects meanwhile must find every turn already saved.
        """
        close_old_connections()  # as Channels' database_sync_to_async does around each call
        try:
            turns = [{"kind": "turn", "sides": [asdict(s) for s in _turn_sides(p)]} for k, p in batch if k == "turn"]
            assessments = [self._assessment_to_save(payload) for kind, payload in batch if kind == "assessment"]
            for events in (turns, assessments):
                if events:
                    self._queue_saves(events)
        finally:
            close_old_connections()

    def _queue_saves(self, events: list[dict[str, Any]]) -> None:
        if tasks.save_session_events.app.conf.task_always_eager:  # embedded: no broker, no message; save here
            services.save_session_events(self.consultation.pk, events)
            return
        try:
            tasks.save_session_events.delay(self.consultation.pk, events)
        except Exception:  # the broker is down: save here rather than lose what the patient said
            logger.exception("could not queue consultation %s's saves; saving them here", self.consultation.pk)
            services.save_session_events(self.consultation.pk, events)

    def _assessment_to_save(self, payload: dict[str, Any]) -> dict[str, Any]:
        links = self._links_for(self._read_more_query())
        if links:
            async_to_sync(self.send_event)({"type": "read_more", "turn": payload.get("turn"), "links": links})
        return {
            "kind": "assessment",
            **{key: payload.get(key) for key in ("level", "turn", "red_flags", "reasons", "advice")},
            "intake_state": self._interview_state().to_dict(),
            "read_more": links,
        }

    @database_sync_to_async
    def _finish(self) -> None:
        state = self._interview_state()
        summary, summary_text = self.guard.summary(state)
        services.save_summary(self.consultation, summary, summary_text, state.to_dict())
        services.end_consultation(self.consultation)

    # ------------------------------------------------------------------ set-up

    @database_sync_to_async
    def _load_consultation(self) -> Consultation | None:
        try:
            consultation = access.get_own_record_or_404(
                self.scope["user"], Consultation.objects.all(), pk=self.consultation_id
            )
        except Http404:
            return None
        return consultation if consultation.status == Consultation.Status.ACTIVE else None

    @database_sync_to_async
    def _history(self) -> tuple[list[ChatMessage], bool]:
        turns = list(self.consultation.turns.order_by("index", "id"))
        history = [
            ChatMessage(role="user" if t.speaker == Turn.Speaker.PATIENT else "assistant", text=t.text)
            for t in turns
            if t.text
        ]
        return history, bool(turns)

    async def _start_pipeline(self, history: list[ChatMessage]) -> VoicePipeline:
        stt, llm, tts = await asyncio.to_thread(load_providers, settings.VOICE_PROVIDERS)
        self.llm = llm
        grounded = not isinstance(llm, IntakeLLM)
        pipeline = VoicePipeline(
            stt=stt,
            llm=llm,
            tts=tts,
            guard=self.guard,
            sink=self,
            history=history,
            system_prompt=intake.system_prompt() if grounded else "",
            sources_for=_sources_for_prompt if grounded else None,
        )
        await pipeline.start()
        return pipeline

    def _interview_state(self) -> Any:
        """The richest record of what the patient said: the embedded interview's, else the guard's."""
        return getattr(getattr(self, "llm", None), "state", None) or self.guard.state


async def _sources_for_prompt(text: str) -> list[dict]:
    """Numbered MedlinePlus passages the LLM may cite: best-effort, never a failure, never a wait.

    Retrieval sits on the critical path of the turn, so it runs in the thread pool (not the single
    thread that serialises consumers' other database work) and is dropped if it is slow.
    """
    try:
        async with asyncio.timeout(SOURCES_TIMEOUT_S):  # wait_for (3.11) would swallow a barge-in here
            return await _retrieve_sources(text)
    except Exception:
        logger.warning("knowledge retrieval failed or was slow; answering without sources", exc_info=True)
        return []


@sync_to_async(thread_sensitive=False)
def _retrieve_sources(text: str) -> list[dict]:
    from django.db import close_old_connections

    from knowledge.services import sources_for_prompt

    close_old_connections()
    return sources_for_prompt(text, k=3)


def _read_more_links(query: str) -> list[dict[str, str]]:
    """MedlinePlus topics for the advice (best-effort: a missing library never breaks a consultation)."""
    if not query.strip():
        return []
    from knowledge.services import read_more_links

    try:
        return read_more_links(query, k=3)
    except Exception:
        logger.warning("read-more links unavailable", exc_info=True)
        return []


def _start_failure(exc: Exception) -> str:
    return getattr(exc, "user_message", "") or "The voice assistant could not start. You can try again shortly."


def _turn_sides(record: Any) -> list[services.TurnSide]:
    mode = Turn.InputMode.TEXT if getattr(record, "input_mode", "voice") == "text" else Turn.InputMode.VOICE
    sides = []
    if getattr(record, "patient_text", ""):
        sides.append(services.TurnSide(record.index, Turn.Speaker.PATIENT, record.patient_text, mode))
    if getattr(record, "assistant_text", ""):
        timings = dict(getattr(record, "timings", {}) or {})
        interrupted = bool(getattr(record, "interrupted", False))
        sides.append(
            services.TurnSide(record.index, Turn.Speaker.ASSISTANT, record.assistant_text, mode, interrupted, timings)
        )
    return sides
