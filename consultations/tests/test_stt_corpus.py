"""The embedded recogniser's training text: generated, pronounceable, and apart from the benchmark's sentences."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pocketsphinx import get_model_path

from consultations.providers.stt_corpus import (
    CORPUS_PATH,
    EXTRA_DICT_PATH,
    check_vocabulary,
    corpus_lines,
    dictionary_words,
    medicine_sentences,
    phrasebook,
)

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def known_words() -> set[str]:
    return dictionary_words(Path(get_model_path("en-us/cmudict-en-us.dict")), EXTRA_DICT_PATH)


def benchmark_sentences() -> set[str]:
    spec = importlib.util.spec_from_file_location("stt_wer", BENCH / "stt_wer.py")
    assert spec and spec.loader
    stt_wer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stt_wer)
    written = [line for path in (BENCH / "data").glob("stt_*_sentences.txt") for line in path.read_text().splitlines()]
    return {line.strip() for line in [*stt_wer.HELD_OUT, *written] if line.strip()}


def test_the_corpus_file_is_what_the_generator_writes(known_words: set[str]) -> None:
    assert CORPUS_PATH.read_text(encoding="utf-8").splitlines() == corpus_lines(known_words)


def test_the_corpus_ends_with_every_phrasebook_utterance() -> None:
    lines = CORPUS_PATH.read_text(encoding="utf-8").splitlines()
    assert len(phrasebook()) > 2000
    assert lines[-len(phrasebook()) :] == phrasebook()


def test_every_phrasebook_word_can_be_pronounced(known_words: set[str]) -> None:
    assert check_vocabulary(phrasebook(), known_words) == set()


def test_every_named_medicine_can_be_pronounced(known_words: set[str]) -> None:
    assert check_vocabulary(medicine_sentences(), known_words) == set()


def test_no_benchmark_sentence_is_in_the_corpus() -> None:
    sentences = benchmark_sentences()
    assert len(sentences) >= 200
    assert sentences.isdisjoint(CORPUS_PATH.read_text(encoding="utf-8").splitlines())
