"""The outbox: every consultation's saves on a web process leave in one task message per flush."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from consultations import outbox, tasks


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[outbox.Batch]:
    sent: list[outbox.Batch] = []
    monkeypatch.setattr(outbox, "publish", sent.append)
    return sent


def turn(index: int) -> dict[str, Any]:
    return {"kind": "turn", "sides": [{"index": index, "speaker": "patient", "text": f"turn {index}"}]}


async def test_saves_of_many_consultations_leave_in_one_message(published: list[outbox.Batch]) -> None:
    box = outbox.Outbox(linger_s=0.02)
    await asyncio.gather(*(box.send(consultation, [turn(1)]) for consultation in range(1, 31)))
    assert len(published) == 1 and [cid for cid, _ in published[0]] == list(range(1, 31))


async def test_send_returns_only_once_the_events_are_handed_over(published: list[outbox.Batch]) -> None:
    box = outbox.Outbox(linger_s=0.02)
    await box.send(7, [turn(1)])
    assert published == [[(7, [turn(1)])]]


async def test_one_consultations_events_keep_their_order(published: list[outbox.Batch]) -> None:
    box = outbox.Outbox(linger_s=0.02)
    await asyncio.gather(box.send(7, [turn(1)]), box.send(7, [turn(2)]))
    assert [events[0]["sides"][0]["index"] for _, events in published[0]] == [1, 2]


@pytest.mark.django_db
def test_a_broker_failure_saves_in_the_web_process(monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[outbox.Batch] = []

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.save_voice_events, "delay", broker_down)
    monkeypatch.setattr(outbox.services, "save_voice_events", saved.append)
    conf = tasks.save_voice_events.app.conf
    eager, conf.task_always_eager = conf.task_always_eager, False
    try:
        outbox.publish([(7, [turn(1)])])
    finally:
        conf.task_always_eager = eager
    assert saved == [[(7, [turn(1)])]]
