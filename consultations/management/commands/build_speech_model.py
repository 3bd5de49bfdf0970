"""python manage.py build_speech_model — build the embedded recogniser's model before the first consultation."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from consultations.providers.embedded_stt import PocketsphinxSTT, domain_model
from consultations.providers.registry import build


class Command(BaseCommand):
    help = "Build (or find cached) the embedded speech recogniser's language model, if that recogniser is in use."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: Any, **options: Any) -> None:
        stt = build("STT_PROVIDER", settings.VOICE_PROVIDERS)
        if not isinstance(stt, PocketsphinxSTT):
            self.stdout.write(f"Speech recognition uses {type(stt).__name__}: no embedded model to build.")
            return
        started = time.perf_counter()
        files = domain_model(stt.cache_dir)
        self.stdout.write(f"Speech model ready: {files.lm_path} ({time.perf_counter() - started:.1f} s)")
