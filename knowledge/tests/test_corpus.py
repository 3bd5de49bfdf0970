"""The pure corpus reader: sources split off, headings found, chunks sized, no text lost."""

from __future__ import annotations

from knowledge.corpus import (
    CHUNK_MAX_WORDS,
    chunk_text,
    clean_text,
    document_frequency,
    is_heading,
    split_source,
    topic_from_json,
)


def test_trailing_agency_line_becomes_the_source() -> None:
    body, source = split_source(
        "A1C is a blood test. NIH: National Institute of Diabetes and Digestive and Kidney Diseases"
    )
    assert body == "A1C is a blood test."
    assert source == "NIH: National Institute of Diabetes and Digestive and Kidney Diseases"


def test_agency_run_into_a_list_item_is_still_split_off() -> None:
    body, source = split_source("Prevention includes Eating a healthy diet NIH: National Eye Institute")
    assert (body, source) == ("Prevention includes Eating a healthy diet", "NIH: National Eye Institute")


def test_summary_without_agency_keeps_its_text() -> None:
    assert split_source("Treatment depends on the cause.") == ("Treatment depends on the cause.", "")


def test_space_left_before_punctuation_by_the_html_stripping_is_closed() -> None:
    assert clean_text("type 2 diabetes and prediabetes . It  measures , sugar") == (
        "type 2 diabetes and prediabetes. It measures, sugar"
    )


def test_short_questions_are_headings_and_statements_are_not() -> None:
    assert is_heading("What is asthma?")
    assert is_heading("Who is at risk for insomnia?")
    assert not is_heading("Asthma is a chronic lung disease.")
    assert not is_heading("Is it " + "really " * 20 + "a heading?")


def test_chunks_carry_their_heading_and_keep_every_word(corpus_topics: list[dict]) -> None:
    asthma = topic_from_json(next(t for t in corpus_topics if t["title"] == "Asthma"))
    assert asthma.chunks[0].heading == "What is asthma?"
    assert {c.heading for c in asthma.chunks} >= {"What causes asthma?", "How is asthma diagnosed?"}
    headings = {c.heading for c in asthma.chunks if c.heading}
    chunk_words = sum(len(c.text.split()) for c in asthma.chunks) + sum(len(h.split()) for h in headings)
    assert chunk_words == len(asthma.content.split())


def test_chunks_stay_near_the_target_size(corpus_topics: list[dict]) -> None:
    chunks = [c for raw in corpus_topics[:200] for c in topic_from_json(raw).chunks]
    sizes = [len(c.text.split()) for c in chunks]
    assert max(sizes) <= CHUNK_MAX_WORDS * 1.5
    assert sorted(sizes)[len(sizes) // 2] >= 60


def test_an_empty_summary_has_no_chunks() -> None:
    assert chunk_text("") == []


def test_document_frequency_counts_chunks_not_occurrences(corpus_topics: list[dict]) -> None:
    a1c = topic_from_json(next(t for t in corpus_topics if t["title"] == "A1C"))
    frequency = document_frequency([a1c])
    assert frequency["a1c"] == len(a1c.chunks)
