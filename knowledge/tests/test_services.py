"""What other apps call: Read-more links, lab topic links, numbered prompt sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from knowledge import services
from knowledge.models import MEDLINEPLUS_ATTRIBUTION
from knowledge.retrieval import Passage
from knowledge.services import LoadResult, load_corpus, read_more_links, sources_for_prompt, topic_link_for_lab

pytestmark = pytest.mark.django_db


def test_read_more_links_are_titles_and_urls(loaded: LoadResult) -> None:
    links = read_more_links("Rest, drink fluids and see a doctor if the tummy ache lasts a week", k=3)
    assert links[0] == {"title": "Abdominal Pain", "url": "https://medlineplus.gov/abdominalpain.html"}
    assert len(links) <= 3


def test_read_more_links_accept_a_list_of_terms(loaded: LoadResult) -> None:
    assert read_more_links(["insomnia", "sleep"], k=2)[0]["title"] == "Insomnia"


def test_hemoglobin_links_to_blood_count_tests(loaded: LoadResult) -> None:
    assert topic_link_for_lab("Hemoglobin") == {
        "title": "Blood Count Tests",
        "url": "https://medlineplus.gov/bloodcounttests.html",
    }


def test_low_haemoglobin_links_to_anemia(loaded: LoadResult) -> None:
    assert topic_link_for_lab("Haemoglobin (Hb)", flag="low")["title"] == "Anemia"


def test_an_unlisted_analyte_falls_back_to_search(loaded: LoadResult) -> None:
    assert topic_link_for_lab("Glycohemoglobin")["title"] == "A1C"


def test_no_topic_link_without_a_knowledge_base(db: None) -> None:
    assert topic_link_for_lab("Hemoglobin") is None
    assert topic_link_for_lab("") is None


def test_prompt_sources_are_numbered_and_attributed(loaded: LoadResult) -> None:
    sources = sources_for_prompt("I can't sleep at night", k=2)
    assert [s["number"] for s in sources] == [1, 2]
    assert sources[0]["title"] == "Insomnia"
    assert sources[0]["text"] and sources[0]["url"].startswith("https://medlineplus.gov/")
    assert sources[0]["attribution"] == MEDLINEPLUS_ATTRIBUTION


def test_prompt_sources_for_an_empty_question_are_empty(loaded: LoadResult) -> None:
    assert sources_for_prompt("") == []


class CountingRetriever:
    def __init__(self, version: str = "v1", passages: int = 1) -> None:
        self.version, self.passages, self.searches, self.version_lookups = version, passages, 0, 0

    def cache_key(self) -> str:
        self.version_lookups += 1
        return self.version

    def search(self, query: str, k: int = 5) -> list[Passage]:
        self.searches += 1
        return [Passage(f"about {query}", query.title(), "https://medlineplus.gov/x.html", 1.0)] * self.passages


@pytest.fixture
def retriever(monkeypatch: pytest.MonkeyPatch) -> CountingRetriever:
    counting = CountingRetriever()
    monkeypatch.setattr(services, "get_retriever", lambda: counting)
    monkeypatch.setattr(services, "_RECENT_SEARCHES", services.SearchCache(entries=2, ttl_s=60))
    monkeypatch.setattr(services, "_version_seen", None)
    return counting


def test_a_repeated_search_is_answered_from_the_cache(retriever: CountingRetriever) -> None:
    first = services.search("Cough Sore throat")
    assert services.search("Cough Sore throat") == first and retriever.searches == 1


def test_another_library_version_searches_again(monkeypatch: pytest.MonkeyPatch, retriever: CountingRetriever) -> None:
    services.search("Cough")
    retriever.version = "v2"
    monkeypatch.setattr(services, "VERSION_SEEN_TTL_S", 0.0)
    services.search("Cough")
    assert retriever.searches == 2


def test_an_empty_answer_is_not_kept(retriever: CountingRetriever) -> None:
    retriever.passages = 0
    services.search("Cough")
    services.search("Cough")
    assert retriever.searches == 2


def test_the_cache_keeps_only_its_newest_entries(retriever: CountingRetriever) -> None:
    for query in ("Cough", "Fever", "Rash", "Cough"):
        services.search(query)
    assert retriever.searches == 4


def test_a_cached_search_expires(monkeypatch: pytest.MonkeyPatch, retriever: CountingRetriever) -> None:
    cache = services.SearchCache(ttl_s=0.0)
    monkeypatch.setattr(services, "_RECENT_SEARCHES", cache)
    services.search("Cough")
    services.search("Cough")
    assert retriever.searches == 2


def test_loading_a_new_library_changes_the_database_cache_key(corpus_slice: Path, db: None) -> None:
    from knowledge.retrieval import DatabaseRetriever

    before = DatabaseRetriever().cache_key()
    load_corpus(corpus_slice)
    assert DatabaseRetriever().cache_key() != before


def test_a_cached_search_is_answered_without_the_retriever(retriever: CountingRetriever) -> None:
    first = services.search("Cough")
    assert services.recent_search("Cough") == first and retriever.searches == 1


def test_nothing_is_answered_before_the_library_version_was_seen(retriever: CountingRetriever) -> None:
    assert services.recent_search("Cough") is None


def test_a_cached_answer_is_still_served_while_a_version_check_is_due(
    monkeypatch: pytest.MonkeyPatch, retriever: CountingRetriever
) -> None:
    first = services.search("Cough")
    monkeypatch.setattr(services, "VERSION_SEEN_TTL_S", 0.0)
    assert services.version_check_due()
    assert services.recent_search("Cough") == first


def test_checking_the_version_stops_serving_the_old_librarys_answers(retriever: CountingRetriever) -> None:
    services.search("Cough")
    retriever.version = "v2"
    services.check_version()
    assert services.recent_search("Cough") is None and not services.version_check_due()


def test_searches_within_a_second_look_the_library_version_up_once(retriever: CountingRetriever) -> None:
    for query in ("Cough", "Fever", "Rash"):
        services.search(query)
    assert retriever.version_lookups == 1 and retriever.searches == 3


def test_a_search_after_the_version_went_stale_looks_it_up_again(
    monkeypatch: pytest.MonkeyPatch, retriever: CountingRetriever
) -> None:
    services.search("Cough")
    monkeypatch.setattr(services, "VERSION_SEEN_TTL_S", 0.0)
    services.search("Fever")
    assert retriever.version_lookups == 2


def test_loading_another_library_forgets_the_version_seen(
    monkeypatch: pytest.MonkeyPatch, loaded: LoadResult, corpus_slice: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(services, "_version_seen", None)
    assert services.search("cough")
    smaller = tmp_path / "smaller.json"
    smaller.write_text(json.dumps(json.loads(corpus_slice.read_text(encoding="utf-8"))[1:]), encoding="utf-8")
    load_corpus(smaller)
    assert services.recent_search("cough") is None


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoint around the search
def test_a_search_soon_after_another_is_one_query(loaded: LoadResult, django_assert_num_queries: Any) -> None:
    services.search("cough")
    with django_assert_num_queries(1):
        services.search("sore throat")
