"""Errors the analysis reports to the user: a stable code for the program, a plain message for the person."""

from __future__ import annotations


class AnalysisError(Exception):
    """The document could not be analysed; `message` is safe and useful to show to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UploadRejected(AnalysisError):
    """The upload is refused before anything is stored (wrong type, too large, encrypted, corrupt …)."""
