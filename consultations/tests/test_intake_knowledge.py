"""The knowledge files are consistent, and every rule is proven by its own examples (positive fires,
negated stays silent), so a rule added without examples fails here."""

import json
from pathlib import Path

import pytest

from consultations.intake import assess
from consultations.intake.knowledge import EMERGENCY_LEVELS, LEVELS, knowledge, validate
from consultations.intake.text import normalise

KB = knowledge()


def test_knowledge_files_reference_only_known_concepts_and_levels():
    assert validate(KB) == []


@pytest.mark.parametrize("rule", KB.red_flags, ids=lambda r: r.code)
def test_red_flag_forces_an_emergency_level_and_cites_guidance(rule):
    assert rule.level in EMERGENCY_LEVELS
    assert rule.citation.strip()
    assert rule.examples.get("positive") and rule.examples.get("negated")


def examples(kind):
    return [
        pytest.param(r, t, id=f"{r.code}-{i}") for r in KB.red_flags for i, t in enumerate(r.examples.get(kind, []))
    ]


@pytest.mark.parametrize(("rule", "text"), examples("positive"))
def test_red_flag_fires_on_its_positive_example(rule, text):
    assessment = assess(text)
    fired = {flag.code: flag for flag in assessment.red_flags}
    assert rule.code in fired, f"{rule.code} did not fire on {text!r}: {assessment.reasons}"
    assert fired[rule.code].evidence
    assert assessment.is_emergency


@pytest.mark.parametrize(("rule", "text"), examples("negated"))
def test_red_flag_is_silent_on_its_negated_example(rule, text):
    assert rule.code not in {flag.code for flag in assess(text).red_flags}


@pytest.mark.parametrize("rule", KB.triage_rules, ids=lambda r: r.code)
def test_triage_rule_raises_the_level_on_its_example(rule):
    assert rule.level in LEVELS and rule.citation.strip() and rule.examples.get("positive")
    for text in rule.examples["positive"]:
        assessment = assess(text)
        assert any(rule.label in reason for reason in assessment.reasons), (text, assessment.reasons)
        assert LEVELS.index(assessment.triage_level) >= LEVELS.index(rule.level)


def _corpus():
    data = Path(__file__).resolve().parents[2] / "bench" / "data"
    texts = [
        json.loads(line)["text"] for path in data.glob("triage_cases*.jsonl") for line in path.open() if line.strip()
    ]
    texts += [t for r in KB.rules for kind in ("positive", "negated") for t in r.examples.get(kind, [])]
    return [normalise(t) for t in texts]


def test_the_anchor_prefilter_never_hides_a_concept_that_matches():
    for text in _corpus():
        candidates = {c.code for c in KB.concepts_in(text)}
        hidden = [code for code, c in KB.concepts.items() if code not in candidates and c.regex.search(text)]
        assert hidden == [], text
