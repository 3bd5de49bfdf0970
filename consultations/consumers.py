"""WebSocket adapter of the voice pipeline: /ws/consultations/<id>/ (the owner only).

The consumer parses frames, checks access through the access module, hands audio and text to the
pipeline, and saves what the pipeline reports — off the audio path, in order, on one writer task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections
from django.http import Http404
from django.urls import reverse

from accounts import access
from consultations import intake, services
from consultations.guard import IntakeGuard
from consultations.models import Consultation, Turn
from consultations.outbox import OUTBOX, close_thread_connections
from consultations.pipeline.session import VoicePipeline
from consultations.providers.base import ChatMessage
from consultations.providers.embedded_llm import IntakeLLM
from consultations.providers.registry import load_providers
from knowledge import services as knowledge

logger = logging.getLogger(__name__)

MAX_AUDIO_FRAME_BYTES = 64 * 1024
MAX_TEXT_FRAME_BYTES = 16 * 1024
MAX_TYPED_CHARS = 2000
SAMPLE_RATE_IN_HZ = 16000
CLOSE_NOT_FOUND = 4404
SOURCES_TIMEOUT_S = 0.25
# Searches have their own threads, not the one that serialises consumers' other database work:
# a search is on a turn's critical path.
LIBRARY_THREAD_COUNT = 4
_LIBRARY_THREADS = ThreadPoolExecutor(max_workers=LIBRARY_THREAD_COUNT, thread_name_prefix="library-search")
LINKS_TIMEOUT_S = 5.0
SEARCHES_KEPT = 8
SYMPTOMS_LOOKED_UP = 3
PASSAGES_PER_TURN = 3
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
        self.follow_ups: set[asyncio.Task[None]] = set()
        self.searches: dict[str, asyncio.Future[list[Any]]] = {}
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
            await self._drain_writes()
            writer.cancel()

    async def _drain_writes(self) -> None:
        """Wait, within a bound, for every pending save: assessments still fetching links, then the queue."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WRITE_DRAIN_TIMEOUT_S):
                await asyncio.gather(*self.follow_ups, return_exceptions=True)
                await self.writes.join()

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
        await self._drain_writes()
        await self._finish()
        summary_url = reverse("consultations:summary", args=[self.consultation.pk])
        await self.send_event({"type": "ended", "summary_url": summary_url})
        await self.close()

    # ------------------------------------------------------------------ the pipeline's sink

    async def send_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event))
        if event.get("type") == "triage":
            task = asyncio.create_task(self._follow_up_assessment(event))
            self.follow_ups.add(task)
            task.add_done_callback(self.follow_ups.discard)

    async def _follow_up_assessment(self, event: dict[str, Any]) -> None:
        """Read-more links for what the patient has described, then the assessment goes to be saved."""
        described = self._described()
        links: list[dict[str, str]] = []
        if described:
            try:
                async with asyncio.timeout(LINKS_TIMEOUT_S):
                    links = knowledge.links_to(await self._library_passages(described[:SYMPTOMS_LOOKED_UP]))
            except TimeoutError:
                logger.warning("read-more links were slow; assessment saved without them")
        self.writes.put_nowait(("assessment", {**event, "read_more": links}))
        if links:
            await self.send_event({"type": "read_more", "turn": event.get("turn"), "links": links})

    def _described(self) -> list[str]:
        """What the patient has described so far (present symptoms, as the intake engine names them)."""
        return described_symptoms(self.guard.latest)

    async def _library_passages(self, queries: list[str]) -> list[Any]:
        """The best passage of each query's search first, then the second best ...; one per topic."""
        searches = [self._library_search(query) for query in queries]
        if all(search.done() for search in searches):  # the usual case: no trip round the event loop
            found = [search.result() for search in searches]
        else:
            found = await asyncio.gather(*(asyncio.shield(search) for search in searches))
        return interleave(found, PASSAGES_PER_TURN)

    def _library_search(self, query: str) -> asyncio.Future[list[Any]]:
        """One health-library search per distinct query in a consultation.

        A turn's LLM sources and its read-more links share the searches (one per symptom, so each is
        short, quick and shared by many consultations in the process cache), and the follow-up answers
        that add no new symptom ("about three days", "no allergies") search nothing at all.
        """
        if query not in self.searches:
            if len(self.searches) >= SEARCHES_KEPT:
                self.searches.pop(next(iter(self.searches)))
            recent = knowledge.recent_search(query, k=PASSAGES_PER_TURN)
            if recent is None:
                self.searches[query] = asyncio.ensure_future(_search_library(query))
            else:  # answered from the process cache: no thread, no database
                self.searches[query] = asyncio.get_running_loop().create_future()
                self.searches[query].set_result(recent)
                _check_library_version_if_due()
        return self.searches[query]

    def _prefetch_sources(self, partial: str) -> None:
        """While the patient is still talking, start the library search their words so far point to
        (LiveKit's preemptive generation, for retrieval): the end of the utterance usually finds it done.

        Only when the words so far name a symptom and ask nothing: those symptoms are what the finished
        utterance will most likely look up; a half-sentence is not worth searching.
        """
        described = described_symptoms(intake.assess(partial, self.guard.state))  # pure: the state is untouched
        queries = library_queries(described, partial)
        if queries == described[:SYMPTOMS_LOOKED_UP]:
            for query in queries:
                self._library_search(query)

    async def _sources_for_prompt(self, text: str) -> list[dict]:
        """Numbered MedlinePlus passages the LLM may cite: best-effort, never a failure, never a wait.

        Retrieval sits on the critical path of the turn, so a slow search is not waited for.
        """
        try:
            async with asyncio.timeout(SOURCES_TIMEOUT_S):
                queries = library_queries(self._described(), text)
                return knowledge.prompt_sources(await self._library_passages(queries))
        except TimeoutError:
            logger.warning("knowledge retrieval was slow; answering without sources")
            return []

    async def send_audio(self, pcm16: bytes) -> None:
        await self.send(bytes_data=pcm16)

    async def on_turn_complete(self, record: Any) -> None:
        self.writes.put_nowait(("turn", record))

    async def error(self, code: str, message: str) -> None:
        await self.send_event({"type": "error", "code": code, "message": message})

    # ------------------------------------------------------------------ persistence (off the audio path)

    async def _write_loop(self) -> None:
        """Hands saves over in order; whatever queued up meanwhile goes in one event list."""
        while True:
            batch = [await self.writes.get()]
            while not self.writes.empty():
                batch.append(self.writes.get_nowait())
            try:
                await OUTBOX.send(self.consultation.pk, self._events_to_save(batch))
            except Exception:
                logger.exception("could not hand over consultation %s's saves", self.consultation.pk)
            finally:
                for _ in batch:
                    self.writes.task_done()

    def _events_to_save(self, batch: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        """Turns first: a patient who reconnects must find every turn saved."""
        turns = [{"kind": "turn", "sides": [asdict(s) for s in _turn_sides(p)]} for k, p in batch if k == "turn"]
        return turns + [self._assessment_to_save(payload) for kind, payload in batch if kind == "assessment"]

    def _assessment_to_save(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "assessment",
            **{key: payload.get(key) for key in ("level", "turn", "red_flags", "reasons", "advice", "read_more")},
            "intake_state": self._interview_state().to_dict(),
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
            sources_for=self._sources_for_prompt if grounded else None,
            prefetch=self._prefetch_sources if grounded else None,
        )
        await pipeline.start()
        return pipeline

    def _interview_state(self) -> Any:
        """The richest record of what the patient said: the embedded interview's, else the guard's."""
        return getattr(getattr(self, "llm", None), "state", None) or self.guard.state


QUESTION_OPENERS = frozenset(
    "what whats how why when where which who can could should shall is are am does do did will would may might".split()
)


def described_symptoms(assessment: Any) -> list[str]:
    """The present symptoms of an intake assessment, in the order the patient gave them ("Cough", ...)."""
    return [symptom.label for symptom in assessment.symptoms if symptom.present] if assessment else []


def library_queries(described: list[str], text: str) -> list[str]:
    """What to look up in the health library for the LLM: each symptom described so far on its own,
    or, when the patient asks something (or has described nothing yet), their words with the symptoms."""
    words = text.lower().split()
    asks = text.rstrip().endswith("?") or bool(words and words[0].strip(",.") in QUESTION_OPENERS)
    if described and not asks:
        return described[:SYMPTOMS_LOOKED_UP]
    return [" ".join([*described, text]).strip()]


def interleave(results: list[list[Any]], k: int) -> list[Any]:
    """Round-robin over ranked passage lists (best of each first), one passage per page, at most ``k``."""
    merged: list[Any] = []
    seen: set[str] = set()
    for rank in range(max(map(len, results), default=0)):
        for passages in results:
            if rank < len(passages) and (page := passages[rank].url or passages[rank].title) not in seen:
                seen.add(page)
                merged.append(passages[rank])
    return merged[:k]


_version_check: asyncio.Future[None] | None = None
_version_check_retry_at = 0.0
VERSION_CHECK_RETRY_S = 5.0


def _check_library_version_if_due() -> None:
    """Stale-while-revalidate: the cached answer was served; the library version is looked up off the
    turn's path (one lookup per process at a time), so a newly loaded library is seen within a second.
    A lookup that failed (the database is down) is not tried again for a few seconds."""
    global _version_check
    loop = asyncio.get_running_loop()
    check = _version_check
    # a check left unfinished on another (a finished test's) loop will never finish
    running = check is not None and not check.done() and check.get_loop() is loop
    if knowledge.version_check_due() and not running and loop.time() >= _version_check_retry_at:
        _version_check = asyncio.ensure_future(_check_version_aside())


async def _check_version_aside() -> None:
    global _version_check_retry_at
    try:
        await sync_to_async(_check_version, thread_sensitive=False, executor=_LIBRARY_THREADS)()
    except Exception:
        _version_check_retry_at = asyncio.get_running_loop().time() + VERSION_CHECK_RETRY_S
        logger.warning("health library version check failed", exc_info=True)


async def _search_library(query: str) -> list[Any]:
    """Best-effort: a missing or failing library never breaks a consultation."""
    try:
        return await _search_in_thread(query)
    except Exception:
        logger.warning("health library search failed", exc_info=True)
        return []


def _search_in_thread(query: str) -> Awaitable[list[Any]]:
    return sync_to_async(_search, thread_sensitive=False, executor=_LIBRARY_THREADS)(query)


def _check_version() -> None:
    close_old_connections()
    knowledge.check_version()


def _search(query: str) -> list[Any]:
    close_old_connections()  # as Channels' database_sync_to_async does around each call
    return knowledge.search(query, k=PASSAGES_PER_TURN)


def close_library_connections() -> None:
    """Close the library-search threads' database connections (before a test database is dropped)."""
    close_thread_connections(_LIBRARY_THREADS, LIBRARY_THREAD_COUNT)


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
