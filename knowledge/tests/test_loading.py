"""load_corpus / load_knowledge: idempotent by sha256, versioned, atomic."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from knowledge import search_index
from knowledge.models import Chunk, KnowledgeVersion, Topic
from knowledge.retrieval import DatabaseRetriever
from knowledge.services import ALREADY_LOADED, LOADED, MISSING, LoadResult, ensure_loaded, load_corpus
from knowledge.tests.conftest import write_changed_copy

pytestmark = pytest.mark.django_db


def test_loading_creates_one_active_version_with_topics_and_chunks(loaded: LoadResult) -> None:
    version = KnowledgeVersion.objects.get(active=True)
    assert loaded.status == LOADED
    assert version.topic_count == Topic.objects.count() == loaded.topic_count > 10
    assert version.chunk_count == Chunk.objects.count() > version.topic_count
    assert version.sha256 == loaded.sha256


def test_topics_keep_synonyms_mesh_terms_and_the_agency_as_source(loaded: LoadResult) -> None:
    a1c = Topic.objects.get(title="A1C")
    assert a1c.synonyms == ["Glycohemoglobin", "HbA1C", "Hemoglobin A1C test"]
    assert a1c.mesh_terms == ["Glycated Hemoglobin"]
    assert a1c.source == "NIH: National Institute of Diabetes and Digestive and Kidney Diseases"
    assert not a1c.content.endswith("Kidney Diseases")
    assert a1c.chunks.first().search_title.startswith("A1C Glycohemoglobin")


def test_reloading_the_same_file_is_a_no_op(loaded: LoadResult, corpus_slice: Path) -> None:
    chunk_ids = set(Chunk.objects.values_list("id", flat=True))
    again = load_corpus(corpus_slice)
    assert again.status == ALREADY_LOADED
    assert again.version_id == loaded.version_id
    assert KnowledgeVersion.objects.count() == 1
    assert set(Chunk.objects.values_list("id", flat=True)) == chunk_ids


def test_a_changed_file_replaces_the_active_version(loaded: LoadResult, corpus_slice: Path, tmp_path: Path) -> None:
    changed = write_changed_copy(corpus_slice, tmp_path / "newer.json", "Renamed Topic Zebrafish")
    result = load_corpus(changed)
    assert result.status == LOADED
    assert result.replaced_version_id == loaded.version_id
    assert KnowledgeVersion.objects.get(active=True).pk == result.version_id
    assert KnowledgeVersion.objects.filter(active=False).count() == 1
    assert set(Topic.objects.values_list("version_id", flat=True)) == {result.version_id}
    assert Topic.objects.count() == loaded.topic_count - 1
    assert DatabaseRetriever().search("zebrafish")[0].title == "Renamed Topic Zebrafish"


def test_a_failed_load_leaves_the_old_version_untouched(
    loaded: LoadResult, corpus_slice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_rebuild(connection: object) -> None:
        raise RuntimeError("index rebuild failed")

    monkeypatch.setattr(search_index, "rebuild", broken_rebuild)
    with pytest.raises(RuntimeError):
        load_corpus(write_changed_copy(corpus_slice, tmp_path / "newer.json", "Never Loaded"))
    assert KnowledgeVersion.objects.get(active=True).pk == loaded.version_id
    assert Topic.objects.count() == loaded.topic_count
    assert not Topic.objects.filter(title="Never Loaded").exists()
    assert DatabaseRetriever().search("tummy ache")[0].title == "Abdominal Pain"


def test_command_prints_counts_then_already_loaded(corpus_slice: Path) -> None:
    first, second = StringIO(), StringIO()
    call_command("load_knowledge", str(corpus_slice), stdout=first)
    call_command("load_knowledge", str(corpus_slice), stdout=second)
    topics = Topic.objects.count()
    assert f"Loaded {topics} topics" in first.getvalue()
    assert "already loaded" in second.getvalue()


def test_command_without_path_warns_and_succeeds_when_the_corpus_is_missing(settings, tmp_path: Path) -> None:
    settings.KNOWLEDGE_CORPUS_PATH = str(tmp_path / "absent.json")
    err = StringIO()
    call_command("load_knowledge", stderr=err)
    assert "not found" in err.getvalue()
    assert not KnowledgeVersion.objects.exists()


def test_command_with_a_missing_path_fails(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("load_knowledge", str(tmp_path / "absent.json"))


def test_ensure_loaded_uses_the_configured_path(settings, corpus_slice: Path) -> None:
    settings.KNOWLEDGE_CORPUS_PATH = str(corpus_slice)
    assert ensure_loaded().status == LOADED
    assert ensure_loaded().status == ALREADY_LOADED


def test_ensure_loaded_reports_a_missing_file(tmp_path: Path) -> None:
    assert ensure_loaded(tmp_path / "absent.json").status == MISSING
