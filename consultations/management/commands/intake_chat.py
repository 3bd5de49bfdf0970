"""python manage.py intake_chat [--json] — the embedded nurse-style interview on the terminal."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from consultations.intake.chat import run_chat


class Command(BaseCommand):
    help = "Talk to the embedded intake interview on stdin/stdout; --json prints the final assessment as JSON."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the final assessment and summary as JSON.")

    def handle(self, *args: Any, json: bool, **options: Any) -> None:
        run_chat(sys.stdin, self.stdout, as_json=json)
