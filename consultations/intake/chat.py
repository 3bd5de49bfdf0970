"""A terminal conversation with the embedded interview (wrapped by ``manage.py intake_chat``)."""

from __future__ import annotations

import json
from typing import Protocol, TextIO

from .engine import Assessment, evaluate
from .interview import Interview
from .state import IntakeState
from .summary import render_summary_text

_QUIT = {"quit", "exit", ":q"}


class Output(Protocol):
    """Where the conversation is written: a text stream or Django's command OutputWrapper."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...


def run_chat(stdin: TextIO, stdout: Output, as_json: bool = False) -> int:
    """Talk until the interview finishes or input ends; with as_json, the last line is the assessment as JSON."""
    interview, state = Interview(), IntakeState()
    _say(stdout, interview.opening_message())
    assessment: Assessment | None = None
    while not state.done:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in _QUIT:
            break
        if not line.strip():
            continue
        turn = interview.next_turn(state, line.strip())
        state, assessment = turn.state, turn.assessment
        _say(stdout, turn.reply)
    assessment = assessment or evaluate(state)
    stdout.write("\n--- Clinician summary ---\n" + render_summary_text(assessment.summary) + "\n")
    if as_json:
        stdout.write(json.dumps(assessment.to_dict(), ensure_ascii=False) + "\n")
    return 0


def _say(stdout: Output, text: str) -> None:
    stdout.write(f"\nNurse: {text}\n")
    stdout.flush()
