"""A small slice of the real MedlinePlus file (read-only), written to tmp, loaded per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from conftest import require_service
from knowledge.services import LoadResult, load_corpus

SLICE_TITLES = {
    "A1C", "Abdominal Pain", "Anemia", "Asthma", "Blood Count Tests", "Diabetes", "Heart Attack",
    "Indigestion", "Insomnia", "Sleep Disorders", "Healthy Sleep", "Urinary Tract Infections", "Stomach Disorders",
    "Peripheral Nerve Disorders", "Headache", "Migraine", "Common Cold", "Flu", "Cough",
}  # fmt: skip


@pytest.fixture(scope="session")
def corpus_topics() -> list[dict]:
    path = Path(settings.KNOWLEDGE_CORPUS_PATH)
    require_service("MedlinePlus corpus (../shared/data/medlineplus)", path.is_file())
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def corpus_slice(corpus_topics: list[dict], tmp_path: Path) -> Path:
    """About 20 real topics, including the ones the tests ask about."""
    path = tmp_path / "medlineplus_slice.json"
    path.write_text(json.dumps([t for t in corpus_topics if t["title"] in SLICE_TITLES]), encoding="utf-8")
    return path


@pytest.fixture
def loaded(db: None, corpus_slice: Path) -> LoadResult:
    return load_corpus(corpus_slice)


def write_changed_copy(source: Path, target: Path, new_title: str) -> Path:
    """The same slice with one topic renamed and one dropped: a 'newer' corpus file."""
    topics = json.loads(source.read_text(encoding="utf-8"))
    topics[0] = {**topics[0], "title": new_title}
    target.write_text(json.dumps(topics[:-1]), encoding="utf-8")
    return target
