"""python manage.py load_knowledge [PATH] — load (or confirm) the MedlinePlus corpus version."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from knowledge.services import ALREADY_LOADED, MISSING, ensure_loaded


class Command(BaseCommand):
    help = (
        "Load the MedlinePlus health-topics JSON into the knowledge base. Idempotent: the same file "
        "(by sha256) is a no-op; a different file replaces the active version in one transaction. "
        "Without PATH, uses settings.KNOWLEDGE_CORPUS_PATH and only warns if it is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="JSON file (default: settings.KNOWLEDGE_CORPUS_PATH)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args: object, path: str | None = None, **options: object) -> None:
        if path and not Path(path).is_file():
            raise CommandError(f"No such corpus file: {path}")
        result = ensure_loaded(path or settings.KNOWLEDGE_CORPUS_PATH, using=str(options["database"]))
        if result.status == MISSING:
            self.stderr.write(self.style.WARNING(f"Warning: {result.describe()}"))
        elif result.status == ALREADY_LOADED:
            self.stdout.write(result.describe())
        else:
            self.stdout.write(self.style.SUCCESS(result.describe()))
