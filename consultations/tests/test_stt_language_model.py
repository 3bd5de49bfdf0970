"""The language models behind the embedded recogniser: Kneser-Ney, the bundled general model, their mixture."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pocketsphinx import Config, LogMath, NGramModel, get_model_path

from consultations.providers.sphinx_trie import read_sphinx_trie
from consultations.providers.stt_lm import BackoffTrigram, KneserNeyTrigram, build_arpa, interpolate

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


OTHER_SENTENCES = [
    "can you tell me what i should do",
    "i have a question",
    "what should i do about my headache",
]


def _shared_models() -> tuple[BackoffTrigram, BackoffTrigram]:
    domain = KneserNeyTrigram(s.split() for s in SENTENCES)
    general = KneserNeyTrigram(s.split() for s in OTHER_SENTENCES)
    words = sorted(domain.vocabulary | general.vocabulary | {"<s>"})
    domain = KneserNeyTrigram((s.split() for s in SENTENCES), extra_vocabulary=words)
    general = KneserNeyTrigram((s.split() for s in OTHER_SENTENCES), extra_vocabulary=words)
    words = sorted(domain.vocabulary | {"<s>"})
    return domain.to_backoff(words), general.to_backoff(words)


def _logprob(model: BackoffTrigram, gram: tuple[str, ...]) -> float:
    ids = [model.words.index(word) for word in gram]
    if len(ids) == 1:
        return float(model.unigram_logp[ids[0]])
    key = 0
    for word_id in ids:
        key = key * model.size + word_id
    lookup = model.bigram_logprob if len(ids) == 2 else model.trigram_logprob
    return float(lookup(np.array([key]))[0])


@pytest.mark.parametrize(
    "gram", [("i", "have", "a"), ("my", "chest", "hurts"), ("throat", "ankle"), ("the", "ankle", "hurts"), ("cough",)]
)
def test_a_kneser_ney_model_as_backoff_arrays_gives_the_same_probabilities(gram: tuple[str, ...]) -> None:
    model = KneserNeyTrigram((s.split() for s in SENTENCES), extra_vocabulary=["ankle"])
    arrays = model.to_backoff(sorted(model.vocabulary | {"<s>"}))
    assert 10 ** _logprob(arrays, gram) == pytest.approx(model.probability(gram), rel=1e-9)


@pytest.mark.parametrize("context", [("i",), ("<s>", "i"), ("have", "a"), ("what", "should"), ("my", "question")])
def test_every_context_of_an_interpolated_model_is_a_probability_distribution(context: tuple[str, ...]) -> None:
    mixture = interpolate(_shared_models(), [0.7, 0.3])
    predicted = [word for word in mixture.words if word != "<s>"]
    assert sum(10 ** _logprob(mixture, (*context, word)) for word in predicted) == pytest.approx(1.0, abs=1e-6)


def test_an_interpolated_n_gram_is_the_weighted_sum_of_the_models_probabilities() -> None:
    domain, general = _shared_models()
    mixture = interpolate([domain, general], [0.7, 0.3])
    for gram in [("i", "should", "do"), ("my", "chest", "hurts"), ("a", "headache")]:
        expected = 0.7 * 10 ** _logprob(domain, gram) + 0.3 * 10 ** _logprob(general, gram)
        assert 10 ** _logprob(mixture, gram) == pytest.approx(expected, rel=1e-9)


def test_reindexing_drops_n_grams_with_words_outside_the_vocabulary_and_renormalises_unigrams() -> None:
    model = KneserNeyTrigram(s.split() for s in SENTENCES)
    arrays = model.to_backoff(sorted(model.vocabulary | {"<s>"}))
    smaller = arrays.reindexed(["<s>", "</s>", "i", "have", "a", "headache", "cough"])
    assert sum(10**p for w, p in zip(smaller.words, smaller.unigram_logp, strict=True) if w != "<s>") == (
        pytest.approx(1.0)
    )
    assert _logprob(smaller, ("i", "have", "a")) == pytest.approx(_logprob(arrays, ("i", "have", "a")))
    assert len(smaller.trigram_keys) < len(arrays.trigram_keys)


def test_the_general_model_is_read_from_pocketsphinx_s_trie_with_its_own_probabilities() -> None:
    general = read_sphinx_trie(get_model_path("en-us/en-us.lm.bin"))
    logmath = LogMath()
    reference = NGramModel(Config(), logmath, get_model_path("en-us/en-us.lm.bin"))
    rng = np.random.default_rng(7)
    stored = general.trigram_keys[rng.choice(len(general.trigram_keys), 200)]
    unseen = (rng.integers(general.size, size=(200, 3)) * [general.size**2, general.size, 1]).sum(axis=1)
    for keys in (stored, unseen):
        context, c = np.divmod(keys, general.size)
        a, b = np.divmod(context, general.size)
        ours = general.trigram_logprob(keys)
        for i in range(len(keys)):
            words = [general.words[int(w)] for w in (c[i], b[i], a[i])]  # newest first
            theirs = math.log10(logmath.exp(reference.prob(words)))
            assert ours[i] == pytest.approx(theirs, abs=2e-3), words
    assert len(general.words) == 72547 and len(general.bigram_keys) > 2_000_000
