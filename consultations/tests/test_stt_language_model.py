"""The Kneser-Ney trigram model behind the embedded recogniser."""

from __future__ import annotations

from pathlib import Path

import pytest
from pocketsphinx import Config, LogMath, NGramModel

from consultations.providers.stt_lm import KneserNeyTrigram, build_arpa

SENTENCES = [
    "i have a headache",
    "i have a sore throat",
    "i have had a cough for three days",
    "my chest hurts when i breathe",
    "my throat hurts",
    "the pain is in my chest",
    "i have a fever and a cough",
]


@pytest.fixture(scope="module")
def model() -> KneserNeyTrigram:
    return KneserNeyTrigram((s.split() for s in SENTENCES), extra_vocabulary=["ankle", "swollen"])


@pytest.mark.parametrize("context", [(), ("i",), ("<s>", "i"), ("have", "a"), ("ankle", "swollen"), ("my", "zzz")])
def test_every_context_is_a_probability_distribution(model: KneserNeyTrigram, context: tuple[str, ...]) -> None:
    total = sum(model.probability((*context, word)) for word in model.vocabulary)
    assert total == pytest.approx(1.0, abs=1e-9)


def test_words_only_in_the_extra_vocabulary_are_possible_but_unlikely(model: KneserNeyTrigram) -> None:
    assert 0 < model.probability(("my", "ankle")) < model.probability(("my", "chest"))


def test_a_word_seen_after_many_words_backs_off_higher_than_one_seen_after_one(model: KneserNeyTrigram) -> None:
    # "hurts" follows "chest" and "throat"; "breathe" follows only "i": continuation counts decide.
    assert model.probability(("swollen", "hurts")) > model.probability(("swollen", "breathe"))


def test_the_arpa_file_loads_in_pocketsphinx_with_the_same_probabilities(tmp_path: Path) -> None:
    path = tmp_path / "model.arpa"
    vocabulary = build_arpa(SENTENCES, path, extra_vocabulary=["ankle"])
    expected = KneserNeyTrigram((s.split() for s in SENTENCES), ["ankle"])
    logmath = LogMath()
    loaded = NGramModel(Config(), logmath, str(path))
    assert "ankle" in vocabulary and "<s>" not in vocabulary
    # pocketsphinx takes the words newest first
    assert logmath.exp(loaded.prob(["a", "have", "i"])) == pytest.approx(
        expected.probability(("i", "have", "a")), rel=0.01
    )
    assert logmath.exp(loaded.prob(["ankle"])) == pytest.approx(expected.probability(("ankle",)), rel=0.01)
