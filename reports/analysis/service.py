"""One call for the whole analysis: validate → extract text → parse lab results → narrate.

Used by the Celery task, the upload view and `manage.py analyze_report`; it stores nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from reports.analysis.errors import AnalysisError
from reports.analysis.extraction import ExtractedDocument, OcrEngine, extract_text
from reports.analysis.labs import LabResultData, parse_lab_results
from reports.analysis.narrative import summarize
from reports.analysis.validation import MAX_BYTES, MAX_PAGES, MAX_PIXELS, ValidatedUpload, validate_upload

logger = logging.getLogger(__name__)

RESULT_FIELDS = (
    "analyte",
    "loinc",
    "value",
    "value_text",
    "unit",
    "reference_low",
    "reference_high",
    "reference_text",
    "flag",
    "page",
    "range_source",
    "fallback_source",
    "printed_name",
    "printed_unit",
)


class Narrator(Protocol):
    def summarize(self, pdf_bytes: bytes | None, results: Sequence[LabResultData]) -> str: ...


@dataclass(frozen=True)
class AnalysisResult:
    upload: ValidatedUpload
    document: ExtractedDocument
    lab_results: list[LabResultData]
    summary: str
    narrator: str
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": {
                "pages": len(self.document.pages),
                "text_chars": self.document.text_chars,
                "ocr": self.document.ocr_used,
                "ocr_available": self.document.ocr_available,
                "kind": self.upload.kind,
                "sha256": self.upload.sha256,
            },
            "lab_results": [_result_dict(result) for result in self.lab_results],
            "summary": self.summary,
            "narrator": self.narrator,
            "warnings": list(self.warnings),
        }


def _result_dict(result: LabResultData) -> dict[str, Any]:
    values = asdict(result)
    return {name: values[name] for name in RESULT_FIELDS}


def analyze_document(
    data: bytes,
    filename: str = "",
    narrator: Narrator | None = None,
    *,
    ocr: OcrEngine | None = None,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    max_pixels: int = MAX_PIXELS,
) -> AnalysisResult:
    """The analysis of one uploaded file; raises `UploadRejected` / `AnalysisError` with a user-facing message."""
    upload = validate_upload(data, filename, max_bytes=max_bytes, max_pages=max_pages, max_pixels=max_pixels)
    document, results = _read(data, upload, ocr, max_pixels)
    summary, narrator_name, narration_warnings = _narrate(narrator, data if upload.kind == "pdf" else None, results)
    return AnalysisResult(upload, document, results, summary, narrator_name, [*document.warnings, *narration_warnings])


def _read(
    data: bytes, upload: ValidatedUpload, ocr: OcrEngine | None, max_pixels: int
) -> tuple[ExtractedDocument, list[LabResultData]]:
    try:
        document = extract_text(data, upload.kind, ocr=ocr, max_pixels=max_pixels)
        return document, parse_lab_results(document)
    except AnalysisError:
        raise
    except Exception as error:  # a hostile file must end in a clear message, never a crashed worker
        logger.exception("reading the report failed (sha256=%s)", upload.sha256)
        raise AnalysisError("unreadable_document", "The report could not be read. Please upload it again.") from error


def _narrate(
    narrator: Narrator | None, pdf_bytes: bytes | None, results: list[LabResultData]
) -> tuple[str, str, list[str]]:
    if narrator is None:
        return summarize(results), "embedded", []
    try:
        return narrator.summarize(pdf_bytes, results), type(narrator).__name__, []
    except Exception:  # the embedded summary always works; the model outage is reported, not fatal
        logger.exception("narrator %s failed; using the embedded summary", type(narrator).__name__)
        return summarize(results), "embedded", ["The detailed explanation service was unavailable."]
