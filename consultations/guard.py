"""The intake engine as the voice pipeline's guard-rail, with the interview state it accumulates.

Plain Python: the pipeline calls ``assess`` on every final patient utterance (before any LLM) and
``review`` on every sentence of every reply (before TTS). The consumer persists what it learns.
"""

from __future__ import annotations

from typing import Any

from consultations import intake


class IntakeGuard:
    """Keeps one consultation's IntakeState and folds each utterance into it."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state = intake.IntakeState.from_dict(state) if state else intake.IntakeState()
        self.latest: intake.Assessment | None = None

    def assess(self, text: str, state: Any = None) -> intake.Assessment:
        assessment = intake.assess(text, self.state)
        self.state = assessment.state
        self.latest = assessment
        return assessment

    def review(self, text: str) -> str:
        return intake.review(text)

    def emergency_message(self, assessment: Any) -> str:
        return intake.emergency_message(assessment)

    def summary(self, state: intake.IntakeState | None = None) -> tuple[dict[str, Any], str]:
        """The clinician summary (structured, SOAP text) of everything said so far."""
        assessment = intake.evaluate(state or self.state)
        return assessment.summary, intake.render_summary_text(assessment.summary)
