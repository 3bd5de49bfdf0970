"""What other apps call: Read-more links, lab topic links, numbered prompt sources."""

from __future__ import annotations

import pytest

from knowledge.models import MEDLINEPLUS_ATTRIBUTION
from knowledge.services import LoadResult, read_more_links, sources_for_prompt, topic_link_for_lab

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
