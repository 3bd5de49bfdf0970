"""Regression guard on our own evaluation sets (bench/data/triage_cases*.jsonl): every emergency stays an
emergency in every set, and 3-class accuracy stays at the target. The full report is bench/triage_accuracy.py."""

import json
import re
from pathlib import Path

import pytest

from consultations.intake import assess

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
THREE_CLASS = {"emergency_ambulance": "emergency", "emergency": "emergency", "consultation_24": "consultation",
               "consultation": "consultation", "self_care": "self_care"}  # fmt: skip


@pytest.fixture(scope="module")
def results():
    lines = [line for path in sorted(DATA.glob("triage_cases*.jsonl")) for line in path.read_text("utf-8").splitlines()]
    return [(case, assess(case["text"]).triage_level) for case in map(json.loads, filter(str.strip, lines))]


def test_evaluation_set_covers_every_level_and_both_styles(results):
    assert len(results) >= 120
    assert {case["expected"] for case, _ in results} == set(THREE_CLASS)
    assert {case["style"] for case, _ in results} == {"lay", "clinical"}


def test_every_emergency_case_is_triaged_as_an_emergency(results):
    missed = [
        case["id"]
        for case, got in results
        if THREE_CLASS[case["expected"]] == "emergency" and THREE_CLASS[got] != "emergency"
    ]
    assert missed == []


def test_three_class_accuracy_meets_the_target_in_every_set(results):
    for split in {case["split"] for case, _ in results}:
        scored = [(case, got) for case, got in results if case["split"] == split]
        right = sum(THREE_CLASS[case["expected"]] == THREE_CLASS[got] for case, got in scored)
        assert right / len(scored) >= 0.9, split


def test_every_emergency_case_stays_an_emergency_as_a_speech_transcript(results):
    missed = [
        case["id"]
        for case, _ in results
        if THREE_CLASS[case["expected"]] == "emergency"
        and not assess(re.sub(r"(?<!\\d)[.,;:!?()](?!\\d)", " ", case["text"].lower())).is_emergency
    ]
    assert missed == []
