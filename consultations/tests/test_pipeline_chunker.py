"""The sentence chunker that feeds TTS from a streamed LLM reply."""

from __future__ import annotations

import pytest

from consultations.pipeline.chunker import SentenceChunker


def chunks_of(text: str, step: int = 3, **options: int) -> list[str]:
    """Stream ``text`` in ``step``-character deltas, as an LLM would, and collect the chunks."""
    chunker = SentenceChunker(**options)
    chunks = [chunk for start in range(0, len(text), step) for chunk in chunker.push(text[start : start + step])]
    rest = chunker.flush()
    return [*chunks, rest] if rest else chunks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("Dr. Smith will call you today. Thanks!", ["Dr. Smith will call you today.", "Thanks!"]),
        ("Your result was 2.5 times the limit. Rest now.", ["Your result was 2.5 times the limit.", "Rest now."]),
        ("Rest, e.g. lie down. Then call.", ["Rest, e.g. lie down.", "Then call."]),
        ("Well... maybe not. Hmm… Let me think.", ["Well... maybe not.", "Hmm…", "Let me think."]),
        ('She said "stop." Then left.', ['She said "stop."', "Then left."]),
        ("J. Smith phoned. He is fine.", ["J. Smith phoned.", "He is fine."]),
        ("Options:\n1. Rest.\n2. Drink fluids.", ["Options:", "1. Rest.", "2. Drink fluids."]),
        ("No full stop at the end", ["No full stop at the end"]),
    ],
)
def test_sentences_are_cut_only_at_real_sentence_ends(text: str, expected: list[str]) -> None:
    assert chunks_of(text) == expected


def test_a_sentence_end_waits_for_the_next_word_when_it_is_ambiguous() -> None:
    chunker = SentenceChunker()
    assert chunker.push("It hurts etc. ") == []
    assert chunker.push("then it stops. ") == ["It hurts etc. then it stops."]


def test_the_first_chunk_may_end_at_a_clause_so_audio_starts_early() -> None:
    text = "I understand that this must be worrying for you, and I would like to ask a few questions, please."
    assert chunks_of(text, first_clause_min_chars=20) == [
        "I understand that this must be worrying for you,",
        "and I would like to ask a few questions, please.",
    ]


def test_a_run_on_sentence_is_cut_at_the_length_limit() -> None:
    chunks = chunks_of("word " * 100, max_chars=80)
    assert all(len(chunk) <= 80 for chunk in chunks) and " ".join(chunks).split() == ["word"] * 100
