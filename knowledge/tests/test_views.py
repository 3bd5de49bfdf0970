"""Health library pages: login required, highlighted snippets, MedlinePlus credited with the topic URL."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PatientFactory
from knowledge.models import MEDLINEPLUS_ATTRIBUTION, Topic
from knowledge.services import LoadResult
from knowledge.tests.test_query import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db: None) -> Client:
    client = Client()
    client.force_login(PatientFactory())
    return client


def test_anonymous_visitors_are_sent_to_log_in(client: Client, loaded: LoadResult) -> None:
    topic = Topic.objects.first()
    for url in (reverse("knowledge:search"), reverse("knowledge:topic", args=[topic.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_search_shows_topics_with_highlighted_snippets_and_attribution(patient: Client, loaded: LoadResult) -> None:
    response = patient.get(reverse("knowledge:search"), {"q": "tummy ache"})
    html = response.content.decode()
    abdominal_pain = Topic.objects.get(title="Abdominal Pain")
    assert response.status_code == 200
    assert reverse("knowledge:topic", args=[abdominal_pain.pk]) in html
    assert "<mark>" in html
    assert MEDLINEPLUS_ATTRIBUTION in html
    assert abdominal_pain.url in html


def test_search_page_without_a_query_shows_the_form(patient: Client, loaded: LoadResult) -> None:
    response = patient.get(reverse("knowledge:search"))
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_hostile_searches_render_escaped(patient: Client, loaded: LoadResult) -> None:
    for query in [*HOSTILE[:-2], "<script>alert(1)</script> asthma"]:
        response = patient.get(reverse("knowledge:search"), {"q": query})
        assert response.status_code == 200, query
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_topic_page_shows_sections_and_credits_medlineplus_with_the_topic_url(
    patient: Client, loaded: LoadResult
) -> None:
    asthma = Topic.objects.get(title="Asthma")
    html = patient.get(reverse("knowledge:topic", args=[asthma.pk])).content.decode()
    assert "<h2>What causes asthma?</h2>" in html
    assert MEDLINEPLUS_ATTRIBUTION in html
    assert f'href="{asthma.url}"' in html
    assert asthma.source in html


def test_unknown_topic_is_404(patient: Client, loaded: LoadResult) -> None:
    assert patient.get(reverse("knowledge:topic", args=[999_999])).status_code == 404
