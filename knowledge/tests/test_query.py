"""Query parsing: lay expansion, stop words, and nothing but quoted words reaching the search engine."""

from __future__ import annotations

import re

import pytest

from knowledge.lay_terms import PhraseMap, corpus_synonyms, lay_terms
from knowledge.query import (
    MAX_QUERY_CHARS,
    CorpusVocabulary,
    fts5_match,
    parse_query,
    pg_tsquery,
    query_words,
)

HOSTILE = [
    "'; DROP TABLE knowledge_topic; --",
    '"unbalanced quote',
    "asthma*",
    "NEAR(asthma cough, 2)",
    "title: asthma OR body: cough",
    "asthma AND NOT cough",
    "^asthma + {title body}: x",
    "!!! ??? ... ---",
    "😷🤒 fièvre naïve café ß",
    "a\x00b",
    "x" * 5000,
]
_QUOTED_WORDS = re.compile(r'^(?:(?:title : )?"[^\W_]+(?: [^\W_]+)*"(?: OR |$))+$')


def test_tummy_ache_expands_to_abdominal_pain() -> None:
    query = parse_query("I have a tummy ache")
    assert ("abdominal", "pain") in query.expansions
    assert ("tummy", "ache") in query.phrases


def test_cant_sleep_expands_to_insomnia() -> None:
    assert ("insomnia",) in parse_query("I can't sleep").expansions


@pytest.mark.parametrize(
    ("lay", "clinical"),
    [
        ("heart attack", ("myocardial", "infarction")),
        ("water infection", ("urinary", "tract", "infection")),
        ("pins and needles", ("paresthesia",)),
        ("sugar", ("diabetes",)),
    ],
)
def test_lay_phrases_map_to_clinical_terms(lay: str, clinical: tuple[str, ...]) -> None:
    assert clinical in parse_query(lay).expansions


def test_stop_words_alone_make_an_empty_query() -> None:
    assert parse_query("what is it and how do I").is_empty


def test_corpus_names_expand_to_the_topics_other_names() -> None:
    vocabulary = CorpusVocabulary(corpus_synonyms([("A1C", ["Glycohemoglobin", "HbA1C"], ["Glycated Hemoglobin"])]))
    query = parse_query("glycohemoglobin", vocabulary)
    assert {("a1c",), ("hba1c",), ("glycated", "hemoglobin")} <= set(query.expansions)


def test_a_corpus_name_wins_over_a_lay_reading_of_the_same_words() -> None:
    vocabulary = CorpusVocabulary(corpus_synonyms([("Blood Glucose", ["Blood sugar"], [])]))
    query = parse_query("blood sugar", vocabulary, lay=PhraseMap({("blood", "sugar"): [("diabetes",)]}))
    assert ("diabetes",) not in query.expansions
    assert ("blood", "glucose") in query.expansions


def test_inverted_mesh_headings_expand_in_natural_order() -> None:
    vocabulary = CorpusVocabulary(corpus_synonyms([("Abortion", ["Induced Abortion"], ["Abortion, Induced"])]))
    assert ("induced", "abortion") in parse_query("abortion", vocabulary).expansions


def test_an_acronym_typed_in_capitals_is_not_a_stop_word() -> None:
    vocabulary = CorpusVocabulary(corpus_synonyms([("Acute Lymphocytic Leukemia", ["ALL"], [])]))
    assert ("acute", "lymphocytic", "leukemia") in parse_query("What is ALL?", vocabulary).expansions
    assert ("acute", "lymphocytic", "leukemia") not in parse_query("itchy all over", vocabulary).expansions


def test_roman_numerals_after_type_become_digits() -> None:
    assert query_words("Type II diabetes")[0] == ["type", "2", "diabetes"]


def test_common_words_are_dropped_unless_nothing_else_is_left() -> None:
    vocabulary = CorpusVocabulary(PhraseMap({}), {"symptom": 90, "wheez": 1}, chunk_count=100)
    assert parse_query("symptoms wheezing", vocabulary).words == ("wheezing",)
    assert parse_query("symptoms", vocabulary).words == ("symptoms",)


def test_rarer_clauses_weigh_more() -> None:
    vocabulary = CorpusVocabulary(PhraseMap({}), {"pain": 500, "sciatica": 3}, chunk_count=1000)
    assert vocabulary.idf(("sciatica",)) > vocabulary.idf(("pain",)) > 0


def test_query_is_truncated() -> None:
    words, _ = query_words("word " * 1000)
    assert len(" ".join(words)) <= MAX_QUERY_CHARS


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_becomes_only_quoted_words_for_fts5(text: str) -> None:
    query = parse_query(text)
    assert query.is_empty or _QUOTED_WORDS.match(fts5_match(query)), fts5_match(query)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_becomes_only_quoted_lexemes_for_postgresql(text: str) -> None:
    query = parse_query(text)
    lexemes = re.sub(r"'[^\W_]+'(?::A)?", "", pg_tsquery(query))
    assert set(lexemes) <= set(" |()<->"), pg_tsquery(query)


def test_lay_vocabulary_is_loaded_from_the_data_file() -> None:
    assert len(lay_terms()) > 300
