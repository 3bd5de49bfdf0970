"""``python manage.py estimate_heart_rate PATH [--json]``: heart rate from a CSV colour trace.

PATH is a CSV with header ``t,r,g,b`` (seconds; mean 0-255 skin colour per frame; timing may be
irregular). Runs the embedded rPPG engine; needs no database.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from vitals.rppg import HeartRateResult, SampleError, estimate_heart_rate
from vitals.rppg.io import read_trace_csv


class Command(BaseCommand):
    help = "Estimate heart rate (with a quality verdict) from a CSV trace with header t,r,g,b."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="CSV file with header t,r,g,b")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        result = estimate_heart_rate(_read(options["path"]))
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict()))
        else:
            self.stdout.write(_describe(result))


def _read(path: str) -> np.ndarray:
    try:
        return read_trace_csv(path)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from error
    except SampleError as error:
        raise CommandError(f"{path}: {error}") from error


def _describe(result: HeartRateResult) -> str:
    rate = "no heart rate" if result.heart_rate_bpm is None else f"{result.heart_rate_bpm:.1f} /min"
    verdict = "acceptable" if result.acceptable else f"NOT acceptable ({result.reason})"
    snr = "n/a" if result.snr_db is None else f"{result.snr_db:.1f} dB"
    return f"{rate} - {verdict}; SNR {snr}; {result.duration_s:.1f} s; method {result.method}"
