"""The clinical intake and safety engine: plain Python, no Django, HTTP or Channels.

Two uses: the embedded conversational engine when no LLM is configured (``Interview``), and the guard-rail
around any LLM — ``assess()`` every patient utterance before the LLM sees it (an emergency escalates at once,
``emergency_message()``), ``review()`` every reply after it is generated, ``system_prompt()`` to brief it.
"""

from .advice import emergency_message
from .engine import Assessment, RedFlag, Symptom, assess, evaluate
from .guard import review
from .interview import Interview, InterviewTurn
from .prompt import PROMPT_VERSION, system_prompt
from .state import IntakeState
from .summary import render_assessment_text, render_summary_text

__all__ = [
    "PROMPT_VERSION",
    "Assessment",
    "IntakeState",
    "Interview",
    "InterviewTurn",
    "RedFlag",
    "Symptom",
    "assess",
    "emergency_message",
    "evaluate",
    "render_assessment_text",
    "render_summary_text",
    "review",
    "system_prompt",
]
