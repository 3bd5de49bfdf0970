"""The consultation WebSocket: a typed conversation end to end, resume, and 1,000 malformed frames."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from conftest import Cast
from consultations.models import Consultation, TriageAssessment, Turn
from consultations.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_S = 10


@pytest.fixture(autouse=True)
def fast_providers(settings: Any) -> None:
    """The real intake engine as the LLM; simulated STT/TTS with no added latency."""
    settings.VOICE_PROVIDERS = {
        **settings.VOICE_PROVIDERS,
        "STT_PROVIDER": "simulated",
        "LLM_PROVIDER": "embedded",
        "TTS_PROVIDER": "simulated",
        "SIMULATED_STT_FINAL_MS": 250.0,
        "SIMULATED_TTS_FIRST_BYTE_MS": 0.0,
    }


Open = Callable[..., Awaitable[WebsocketCommunicator]]


@pytest.fixture
async def open_socket() -> AsyncIterator[Open]:
    opened: list[WebsocketCommunicator] = []

    async def open_(user: Any, consultation_id: int) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/consultations/{consultation_id}/")
        communicator.scope["user"] = user
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        assert connected
        return communicator

    yield open_
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT_S)


@pytest.fixture
async def consultation(cast: Cast) -> Consultation:
    return await database_sync_to_async(Consultation.objects.create)(patient=cast.patient)


async def events_until(communicator: WebsocketCommunicator, kind: str, **match: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT_S)
        if output.get("bytes"):
            seen.append({"type": "_audio", "bytes": len(output["bytes"])})
            continue
        if output["type"] == "websocket.close":
            seen.append({"type": "_close"})
            return seen
        event = json.loads(output["text"])
        seen.append(event)
        if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
            return seen


async def say(communicator: WebsocketCommunicator, text: str, turn: int = 1) -> list[dict[str, Any]]:
    """Send typed text and collect events up to that turn's metrics (skipping the greeting's)."""
    await communicator.send_json_to({"type": "text", "text": text})
    return await events_until(communicator, "metrics", turn=turn)


async def test_typed_consultation_saves_turns_triage_and_summary(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    socket = await open_socket(cast.patient, consultation.pk)
    ready = await events_until(socket, "ready")
    assert ready[-1]["resumed"] is False and ready[-1]["sample_rate_in"] == 16000
    await events_until(socket, "audio_end", turn=0)
    events = await say(socket, "I've had a sore throat and a blocked nose for 3 days, no fever")
    assert any(e["type"] == "_audio" for e in events) and any(e["type"] == "triage" for e in events)
    await socket.send_json_to({"type": "end"})
    ended = await events_until(socket, "ended")
    assert ended[-1]["summary_url"] == f"/consultations/{consultation.pk}/summary/"
    saved = await database_sync_to_async(
        lambda: list(Turn.objects.filter(consultation=consultation).values_list("speaker", "index"))
    )()
    assert ("patient", 1) in saved and ("assistant", 1) in saved and ("assistant", 0) in saved
    refreshed = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    assert refreshed.status == "ended" and "sore throat" in refreshed.summary_text.lower()


async def test_emergency_sentence_is_escalated_and_saved(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    events = await say(socket, "my face is drooping on one side and my speech is slurred")
    triage = next(e for e in events if e["type"] == "triage")
    assert triage["level"] == "emergency_ambulance"
    reply = next(e for e in events if e["type"] == "assistant_text" and e["final"] and e["turn"] == 1)
    assert "999" in reply["text"]
    await socket.send_json_to({"type": "end"})
    await events_until(socket, "ended")
    assessment = await database_sync_to_async(TriageAssessment.objects.filter(consultation=consultation).first)()
    assert assessment is not None and assessment.is_emergency


async def test_reconnecting_resumes_without_losing_turns(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    first = await open_socket(cast.patient, consultation.pk)
    await events_until(first, "ready")
    await say(first, "I have a cough")
    await first.disconnect()
    second = await open_socket(cast.patient, consultation.pk)
    ready = await events_until(second, "ready")
    assert ready[-1]["resumed"] is True
    events = await say(second, "for two weeks", turn=2)
    assert next(e for e in events if e["type"] == "metrics")["turn"] == 2
    await second.disconnect()  # saving is off the critical path; disconnect waits for it
    count = await database_sync_to_async(Turn.objects.filter(consultation=consultation, speaker="patient").count)()
    assert count == 2


async def test_an_ended_consultation_cannot_be_reopened(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    await database_sync_to_async(Consultation.objects.filter(pk=consultation.pk).update)(status="ended")
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/consultations/{consultation.pk}/")
    communicator.scope["user"] = cast.patient
    connected, _ = await communicator.connect(timeout=TIMEOUT_S)
    assert not connected


def _malformed_frames(count: int, seed: int = 1234) -> list[tuple[str, Any]]:
    rng = random.Random(seed)
    makers: list[Callable[[], tuple[str, Any]]] = [
        lambda: ("bytes", rng.randbytes(rng.choice([1, 3, 641, 999]))),  # odd-length PCM
        lambda: ("bytes", b"\x00" * (64 * 1024 + 2)),  # oversize audio
        lambda: ("text", rng.randbytes(rng.randint(1, 200)).decode("latin-1")),  # garbage
        lambda: ("text", "{" * rng.randint(1, 50)),  # broken JSON
        lambda: ("text", json.dumps(rng.choice([[], 1, "x", None, True]))),  # not an object
        lambda: ("text", json.dumps({"type": rng.choice(["", "hack", "TEXT", 5, None, "audio"])})),
        lambda: ("text", json.dumps({"type": "text", "text": rng.choice([None, "", "   ", 3, ["a"], {"b": 1}])})),
        lambda: ("text", json.dumps({"type": "text", "text": "a" * 2001})),
        lambda: ("text", "x" * (17 * 1024)),  # oversize text frame
    ]
    return [rng.choice(makers)() for _ in range(count)]


async def test_a_thousand_malformed_frames_get_errors_and_lose_nothing(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await say(socket, "I have a rash on my leg")
    frames = _malformed_frames(1000)
    for kind, payload in frames:
        if kind == "bytes":
            await socket.send_to(bytes_data=payload)
        else:
            await socket.send_to(text_data=payload)
    errors = 0
    while errors < len(frames):
        event = (await events_until(socket, "error"))[-1]
        assert event["code"] and event["message"]
        errors += 1
    events = await say(socket, "it started yesterday", turn=2)
    assert any(e["type"] == "metrics" for e in events)
    await socket.disconnect()
    patient_turns = await database_sync_to_async(
        lambda: list(Turn.objects.filter(consultation=consultation, speaker="patient").values_list("text", flat=True))
    )()
    assert patient_turns == ["I have a rash on my leg", "it started yesterday"]


async def test_ping_gets_pong(open_socket: Open, cast: Cast, consultation: Consultation) -> None:
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await socket.send_json_to({"type": "ping"})
    assert (await events_until(socket, "pong"))[-1] == {"type": "pong"}


async def test_advice_comes_with_medlineplus_read_more_links(
    open_socket: Open, cast: Cast, consultation: Consultation, settings: Any
) -> None:
    from pathlib import Path

    from knowledge.services import load_corpus

    corpus = Path(settings.KNOWLEDGE_CORPUS_PATH)
    if not corpus.exists():
        from conftest import require_service

        require_service("the MedlinePlus corpus in ../shared/data", False)
    await database_sync_to_async(load_corpus)(corpus)
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await socket.send_json_to({"type": "text", "text": "I have had a cough and a sore throat for three days"})
    links = (await events_until(socket, "read_more"))[-1]["links"]
    assert links and all(link["url"].startswith("https://medlineplus.gov/") for link in links)
    await socket.disconnect()
    saved = await database_sync_to_async(lambda: TriageAssessment.objects.filter(consultation=consultation).first())()
    assert saved is not None and saved.read_more == links


@pytest.fixture
def broker_configured() -> Iterator[None]:
    """Celery as in production (not eager), restored afterwards for the rest of the suite."""
    from healthhelper.celery import app

    previous = app.conf.task_always_eager
    app.conf.update(task_always_eager=False)
    yield
    app.conf.update(task_always_eager=previous)


async def test_turns_are_saved_in_the_web_process_when_the_task_queue_is_down(
    open_socket: Open, cast: Cast, consultation: Consultation, monkeypatch: pytest.MonkeyPatch, broker_configured: None
) -> None:
    from kombu.exceptions import OperationalError

    from consultations import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.save_voice_events, "delay", broker_down)
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await say(socket, "I've had a dry cough for a week")
    await socket.send_json_to({"type": "end"})
    await events_until(socket, "ended")
    saved = await database_sync_to_async(
        lambda: set(Turn.objects.filter(consultation=consultation).values_list("speaker", "index"))
    )()
    assert {("patient", 1), ("assistant", 1)} <= saved


async def test_typing_during_the_greeting_interrupts_it_at_once(
    open_socket: Open, cast: Cast, consultation: Consultation
) -> None:
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await socket.send_json_to({"type": "text", "text": "I have a cough"})
    events = await events_until(socket, "interrupted")
    assert events[-1]["turn"] == 0
    assert not any(e["type"] == "audio_end" and e.get("turn") == 0 for e in events)


class RecordingLLM:
    """A grounded LLM that answers at once and remembers the sources it was given."""

    requests: list[Any] = []

    @classmethod
    def from_config(cls, config: Any) -> RecordingLLM:
        return cls()

    async def stream_reply(self, request: Any) -> AsyncIterator[str]:
        RecordingLLM.requests.append(request)
        yield "Thank you."


@pytest.fixture
def library_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Health-library searches, answered with one fixed MedlinePlus passage."""
    from knowledge import services
    from knowledge.retrieval import Passage

    searched: list[str] = []

    def search(query: str, k: int = 3) -> list[Passage]:
        searched.append(query)
        return [Passage("Sore throats are often viral.", "Sore Throat", "https://medlineplus.gov/sorethroat.html", 1.0)]

    monkeypatch.setattr(services, "search", search)
    monkeypatch.setattr(services, "recent_search", lambda query, k=3: None)
    return searched


async def test_a_follow_up_answer_with_nothing_new_searches_the_library_no_more(
    open_socket: Open, cast: Cast, consultation: Consultation, library_searches: list[str], settings: Any
) -> None:
    settings.VOICE_PROVIDERS = {**settings.VOICE_PROVIDERS, "LLM_PROVIDER": f"{__name__}.RecordingLLM"}
    RecordingLLM.requests = []
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    first = await say(socket, "I have a cough and a sore throat")
    second = await say(socket, "for about three days now", turn=2)
    await socket.disconnect()
    assert sorted(query.lower() for query in library_searches) == ["cough", "sore throat"]
    assert [request.sources[0]["title"] for request in RecordingLLM.requests] == ["Sore Throat", "Sore Throat"]
    assert all(any(e["type"] == "read_more" for e in events) for events in (first, second))


async def test_a_question_is_looked_up_in_the_patients_own_words(
    open_socket: Open, cast: Cast, consultation: Consultation, library_searches: list[str], settings: Any
) -> None:
    settings.VOICE_PROVIDERS = {**settings.VOICE_PROVIDERS, "LLM_PROVIDER": f"{__name__}.RecordingLLM"}
    socket = await open_socket(cast.patient, consultation.pk)
    await events_until(socket, "ready")
    await say(socket, "I have a sore throat")
    await say(socket, "can I take ibuprofen for it", turn=2)
    await socket.disconnect()
    assert any("ibuprofen" in query for query in library_searches)


async def test_a_symptom_heard_mid_sentence_is_looked_up_before_the_sentence_ends(
    library_searches: list[str],
) -> None:
    from consultations.consumers import ConsultationConsumer
    from consultations.guard import IntakeGuard

    consumer = ConsultationConsumer()
    consumer.guard, consumer.searches = IntakeGuard(), {}
    consumer._prefetch_sources("I've had a sore throat since")
    await asyncio.gather(*consumer.searches.values())
    assert len(library_searches) == 1
    consumer.guard.assess("I've had a sore throat since Monday")
    sources = await consumer._sources_for_prompt("I've had a sore throat since Monday")
    assert sources[0]["title"] == "Sore Throat" and len(library_searches) == 1


async def test_a_cached_search_is_answered_at_once_while_the_library_version_is_checked_once_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consultations import consumers
    from consultations.guard import IntakeGuard
    from knowledge import services
    from knowledge.retrieval import Passage

    cached = [Passage("Sore throats are often viral.", "Sore Throat", "https://medlineplus.gov/sorethroat.html", 1.0)]
    checks: list[str] = []
    monkeypatch.setattr(services, "recent_search", lambda query, k=3: cached)
    monkeypatch.setattr(services, "version_check_due", lambda: not checks)
    monkeypatch.setattr(services, "check_version", lambda: checks.append(threading.current_thread().name))
    consumer = consumers.ConsultationConsumer()
    consumer.guard, consumer.searches = IntakeGuard(), {}
    answers = [consumer._library_search(query) for query in ("Sore throat", "Cough")]
    assert all(answer.done() for answer in answers) and answers[0].result() == cached
    assert consumers._version_check is not None
    await consumers._version_check
    assert len(checks) == 1 and checks[0].startswith("library-search")


async def test_a_failed_library_version_check_is_not_retried_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from consultations import consumers
    from knowledge import services

    attempts: list[int] = []

    def database_down() -> None:
        attempts.append(1)
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(consumers, "_version_check_retry_at", 0.0)
    monkeypatch.setattr(services, "version_check_due", lambda: True)
    monkeypatch.setattr(services, "check_version", database_down)
    consumers._check_library_version_if_due()
    assert consumers._version_check is not None
    await consumers._version_check
    consumers._check_library_version_if_due()
    assert consumers._version_check.done() and attempts == [1]


async def test_sources_already_cached_are_ready_without_a_trip_round_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consultations import consumers
    from consultations.guard import IntakeGuard
    from knowledge import services
    from knowledge.retrieval import Passage

    cached = [Passage("Sore throats are often viral.", "Sore Throat", "https://medlineplus.gov/sorethroat.html", 1.0)]
    monkeypatch.setattr(services, "recent_search", lambda query, k=3: cached)
    monkeypatch.setattr(services, "version_check_due", lambda: False)
    consumer = consumers.ConsultationConsumer()
    consumer.guard, consumer.searches = IntakeGuard(), {}
    consumer.guard.assess("I have a sore throat and a cough")
    pending = consumer._sources_for_prompt("I have a sore throat and a cough")
    with pytest.raises(StopIteration) as finished:  # finished on its first step: it never waited
        pending.send(None)
    assert [source["title"] for source in finished.value.value] == ["Sore Throat"]


async def test_half_a_sentence_that_names_no_symptom_is_not_looked_up(library_searches: list[str]) -> None:
    from consultations.consumers import ConsultationConsumer
    from consultations.guard import IntakeGuard

    consumer = ConsultationConsumer()
    consumer.guard, consumer.searches = IntakeGuard(), {}
    consumer._prefetch_sources("well I was at work and")
    assert consumer.searches == {} and library_searches == []
