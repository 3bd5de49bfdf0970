"""The clinical intake engine as an LLMProvider: a deterministic, offline symptom interview."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from consultations import intake
from consultations.providers.base import LLMRequest

WORD = re.compile(r"\S+\s*")


class IntakeLLM:
    """One instance per consultation: it keeps the interview state between turns.

    After a reconnect the state is rebuilt by replaying the patient's earlier utterances; the
    interview is deterministic, so the replay asks (and skips) exactly the questions it did before.
    """

    def __init__(self) -> None:
        self.interview = intake.Interview()
        self.state: intake.IntakeState | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IntakeLLM:
        return cls()

    def opening_message(self) -> str:
        return self.interview.opening_message()

    async def stream_reply(self, request: LLMRequest) -> AsyncIterator[str]:
        patient_turns = [message.text for message in request.history if message.role == "user"]
        if not patient_turns:
            return
        if self.state is None:
            self.state = self._replay(patient_turns[:-1])
        turn = self.interview.next_turn(self.state, patient_turns[-1])
        self.state = turn.state
        for word in WORD.findall(turn.reply):
            yield word
            await asyncio.sleep(0)

    def _replay(self, earlier: list[str]) -> intake.IntakeState:
        state = intake.IntakeState()
        for text in earlier:
            state = self.interview.next_turn(state, text).state
        return state
