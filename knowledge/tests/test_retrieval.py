"""The embedded retriever on the database in use (SQLite FTS5 or PostgreSQL full text)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from knowledge.models import Topic
from knowledge.retrieval import DatabaseRetriever, Passage, get_retriever
from knowledge.services import LoadResult
from knowledge.tests.test_query import HOSTILE

pytestmark = pytest.mark.django_db


def titles(query: str, k: int = 5) -> list[str]:
    return [passage.title for passage in DatabaseRetriever().search(query, k=k)]


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("tummy ache", "Abdominal Pain"),
        ("I can't sleep", "Insomnia"),
        ("water infection", "Urinary Tract Infections"),
        ("what is my HbA1c", "A1C"),
        ("Glycohemoglobin", "A1C"),
        ("wheezing and tight chest", "Asthma"),
    ],
)
def test_lay_and_synonym_queries_find_the_topic_first(loaded: LoadResult, query: str, topic: str) -> None:
    assert titles(query)[0] == topic


def test_results_are_passages_one_per_topic_best_first(loaded: LoadResult) -> None:
    passages = DatabaseRetriever().search("sleep", k=3)
    assert len(passages) == 3
    assert all(isinstance(p, Passage) and p.url.startswith("https://medlineplus.gov/") for p in passages)
    assert len({p.topic_id for p in passages}) == 3
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert Topic.objects.get(pk=passages[0].topic_id).title == passages[0].title
    assert "sleep" in passages[0].text.lower()


@pytest.mark.parametrize("query", ["", "   ", "the and of", *HOSTILE])
def test_empty_and_hostile_queries_return_a_list_and_harm_nothing(loaded: LoadResult, query: str) -> None:
    assert isinstance(DatabaseRetriever().search(query), list)
    assert Topic.objects.count() == loaded.topic_count


def test_hostile_query_inside_a_transaction_leaves_it_usable(loaded: LoadResult) -> None:
    with transaction.atomic():
        for query in HOSTILE:
            DatabaseRetriever().search(query)
        assert Topic.objects.count() == loaded.topic_count


def test_k_is_clamped(loaded: LoadResult) -> None:
    assert DatabaseRetriever().search("sleep", k=0) == []
    assert len(DatabaseRetriever().search("sleep", k=10_000)) <= 50


def test_nothing_loaded_means_no_results(db: None) -> None:
    assert DatabaseRetriever().search("tummy ache") == []


def test_embedded_retriever_is_the_default(settings) -> None:
    settings.BEDROCK_KNOWLEDGE_BASE_ID = ""
    assert isinstance(get_retriever(), DatabaseRetriever)


def test_vendor_is_one_the_index_supports() -> None:
    assert connection.vendor in ("sqlite", "postgresql")


def test_looking_up_the_library_version_also_refreshes_the_vocabulary_it_parses_with(
    loaded: LoadResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from knowledge import retrieval

    monkeypatch.setitem(retrieval._ACTIVE_SHA, "default", ("a corpus another process replaced", time.monotonic()))
    DatabaseRetriever().cache_key()
    assert retrieval._active_sha("default") == loaded.sha256
