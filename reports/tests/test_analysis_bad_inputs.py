"""Hostile and malformed uploads: each ends in a clear refusal or a clean analysis, never a crash or a hang."""

from __future__ import annotations

import random
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from reports.analysis.errors import AnalysisError
from reports.analysis.labs import parse_lines
from reports.analysis.service import analyze_document
from reports.tests.fixtures.engines import NoOcr
from reports.tests.fixtures.hostile_files import HostileFile, hostile_files

PER_FILE_LIMIT_S = 20


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Turns a hang into a test failure (SIGALRM) rather than a stuck test run."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"analysis took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outcome(file: HostileFile) -> str:
    name, data = file
    with _deadline(PER_FILE_LIMIT_S):
        try:
            analyze_document(data, name, ocr=NoOcr())
        except AnalysisError as error:
            assert error.code and len(error.message) > 20, f"{name}: unclear error {error.code!r}"
            return error.code
    return "analysed"


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    return {name: _outcome((name, data)) for name, data in hostile_files()}


def test_corpus_has_at_least_200_hostile_files(outcomes: dict[str, str]) -> None:
    assert len(outcomes) >= 200


def test_every_hostile_file_is_refused_clearly_or_analysed_cleanly(outcomes: dict[str, str]) -> None:
    assert set(Counter(outcomes.values())) <= {
        "analysed",
        "empty",
        "too_large",
        "unsupported_type",
        "corrupt_pdf",
        "encrypted_pdf",
        "empty_pdf",
        "too_many_pages",
        "corrupt_image",
        "image_too_large",
        "image_too_small",
        "heic_unsupported",
        "unreadable_document",
    }


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.pdf", "empty"),
        ("encrypted.pdf", "encrypted_pdf"),
        ("encrypted-aes.pdf", "encrypted_pdf"),
        ("sixty-pages.pdf", "too_many_pages"),
        ("bomb-100000x100000.png", "image_too_large"),
        ("bomb-65000x65000.jpg", "image_too_large"),
        ("bomb-10000x8000.png", "image_too_large"),
        ("tiny-1x1.png", "image_too_small"),
        ("report.docx.pdf", "unsupported_type"),
        ("animation.gif.pdf", "unsupported_type"),
        ("jpeg-then-pdf.jpg", "corrupt_image"),
        ("report.png", "analysed"),
        ("flate-bomb.pdf", "analysed"),
    ],
)
def test_known_hostile_files_get_the_expected_outcome(outcomes: dict[str, str], name: str, code: str) -> None:
    assert outcomes[name] == code


_FRAGMENTS = (
    "Haemoglobin Hb Glucose TSH ( ) [ ] : - – < > = OR <= ≥ 14.0 7,500 2,50,000 13,5 1.000,5 0 01 -3 1.2.3 1O.9 H L "
    "HH * *H High Low Normal Negative Not Detected mg/dL g/dl x10^9/L /hpf % mL/min/1.73m2 per 1.73 square Male "
    "Female Desirable years Reference range Interpretation Note URINE 5- .. ∞ µIU/mL lakhs/cumm Non Reactive Trace "
    "++ A B AB Sex: M F , . ,5 5, -,"
).split()


def test_random_lab_like_text_never_breaks_the_parser() -> None:
    rng = random.Random(20240512)
    for _ in range(120):
        lines = []
        for _ in range(rng.randint(1, 40)):
            separators = [rng.choice(["", " ", "   ", "\t"]) for _ in range(14)]
            words = [rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, 14))]
            lines.append(" ".join(word + separator for word, separator in zip(words, separators, strict=False)))
        for result in parse_lines(lines):
            assert result.flag in (None, "normal", "low", "high", "critical_low", "critical_high", "abnormal")
