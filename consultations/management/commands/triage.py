"""python manage.py triage [--json] "TEXT" — assess one patient sentence or a whole clinical vignette."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations.intake import assess, render_assessment_text


class Command(BaseCommand):
    help = "Triage free text (a patient's words or a clinical vignette) with the embedded intake engine."
    # Pure computation: no database, so no system or migration checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="*", help="The text to assess; read from stdin when omitted.")
        parser.add_argument("--json", action="store_true", help="Print the assessment as JSON.")

    def handle(self, *args: Any, text: list[str], json: bool, **options: Any) -> None:
        words = " ".join(text).strip() or sys.stdin.read().strip()
        if not words:
            raise CommandError("Give the text to assess as an argument or on stdin.")
        assessment = assess(words)
        self.stdout.write(_json_dumps(assessment.to_dict()) if json else render_assessment_text(assessment))


def _json_dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)
