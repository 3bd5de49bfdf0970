"""`manage.py analyze_report PATH [--json]`: the report analysis on one file, without storing anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.analysis.errors import AnalysisError
from reports.analysis.service import AnalysisResult, analyze_document


class Command(BaseCommand):
    help = "Analyse a lab report (PDF, PNG, JPEG, HEIC) and print its lab results and summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the report file")
        parser.add_argument("--json", action="store_true", help="print the analysis as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        try:
            result = analyze_document(data, path.name)
        except AnalysisError as error:
            if options["json"]:
                self.stdout.write(json.dumps({"error": {"code": error.code, "message": error.message}}))
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(result.to_dict(), indent=2) if options["json"] else _as_text(result))


def _as_text(result: AnalysisResult) -> str:
    report = result.to_dict()["report"]
    lines = [f"{report['pages']} page(s), {report['text_chars']} characters, OCR: {'yes' if report['ocr'] else 'no'}"]
    for item in result.lab_results:
        value = f"{item.value_text} {item.unit or ''}".strip()
        lines.append(
            f"  p{item.page}  {item.analyte:<40} {value:<22} {item.reference_text or '':<24} {item.flag or ''}"
        )
    lines += [f"warning: {warning}" for warning in result.warnings]
    return "\n".join([*lines, "", result.summary])
