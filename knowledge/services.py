"""Verbs of the knowledge base: load a corpus version, and the look-ups other apps call.

- ``load_corpus(path)``: idempotent (same sha256 -> "already loaded"), versioned (a different
  file replaces the active version in one transaction).
- ``ensure_loaded()``: what ``make run`` calls; loads ``settings.KNOWLEDGE_CORPUS_PATH`` if
  present, otherwise says so and carries on.
- ``read_more_links``, ``topic_link_for_lab``, ``sources_for_prompt``: MedlinePlus links and
  numbered passages for the intake advice, lab findings and the LLM prompt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

from knowledge import search_index
from knowledge.corpus import ChunkText, TopicRecord, document_frequency, file_sha256, read_corpus
from knowledge.lab_topics import candidate_titles
from knowledge.models import MEDLINEPLUS_ATTRIBUTION, Chunk, KnowledgeVersion, Topic
from knowledge.retrieval import Passage, Retriever, forget_active_vocabulary, get_retriever

logger = logging.getLogger(__name__)

ALREADY_LOADED = "already loaded"
LOADED = "loaded"
MISSING = "missing"


@dataclass(frozen=True)
class LoadResult:
    status: str
    path: str
    sha256: str = ""
    topic_count: int = 0
    chunk_count: int = 0
    version_id: int | None = None
    replaced_version_id: int | None = None
    elapsed_ms: float = 0.0

    def describe(self) -> str:
        if self.status == MISSING:
            return f"MedlinePlus corpus not found at {self.path}; the health library stays empty."
        counts = f"{self.topic_count} topics, {self.chunk_count} chunks"
        if self.status == ALREADY_LOADED:
            return f"Knowledge base already loaded ({counts}, sha256 {self.sha256[:12]})."
        replaced = f", replaced version {self.replaced_version_id}" if self.replaced_version_id else ""
        return f"Loaded {counts} from {Path(self.path).name} in {self.elapsed_ms:.0f} ms{replaced}."


def load_corpus(path: str | Path, using: str = "default") -> LoadResult:
    """Load a MedlinePlus JSON file as the active version unless that exact file is active already."""
    started = time.perf_counter()
    sha = file_sha256(path)
    active = _active_version(using)
    if active is not None and active.sha256 == sha:
        return _already_loaded(path, active)
    records = read_corpus(path)  # parse before touching the database: a bad file changes nothing
    with transaction.atomic(using=using):
        active = _active_version(using, lock=True)
        if active is not None and active.sha256 == sha:
            return _already_loaded(path, active)
        version = _replace_active_version(path, sha, records, using)
    forget_library_versions()  # this process's cached answers belong to the old version
    logger.info("knowledge version %s loaded: %s topics", version.pk, version.topic_count)
    return LoadResult(
        status=LOADED,
        path=str(path),
        sha256=sha,
        topic_count=version.topic_count,
        chunk_count=version.chunk_count,
        version_id=version.pk,
        replaced_version_id=active.pk if active else None,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def _active_version(using: str, lock: bool = False) -> KnowledgeVersion | None:
    versions = KnowledgeVersion.objects.using(using).filter(active=True)
    if lock:
        versions = versions.select_for_update()
    return versions.first()


def _already_loaded(path: str | Path, version: KnowledgeVersion) -> LoadResult:
    return LoadResult(ALREADY_LOADED, str(path), version.sha256, version.topic_count, version.chunk_count, version.pk)


def _replace_active_version(path: str | Path, sha: str, records: list[TopicRecord], using: str) -> KnowledgeVersion:
    """Inside the caller's transaction: retire the old version, write the new one's rows, reindex.

    Only the active version keeps topics and chunks, so "the old rows" are all of them; the old
    ``KnowledgeVersion`` row stays, inactive, as history.
    """
    Chunk.objects.using(using).all().delete()
    Topic.objects.using(using).all().delete()
    KnowledgeVersion.objects.using(using).filter(active=True).update(active=False)
    version = KnowledgeVersion.objects.using(using).create(
        source_name=Path(path).name, sha256=sha, active=True, document_frequency=document_frequency(records)
    )
    topics = Topic.objects.using(using).bulk_create([_topic_row(version, record) for record in records])
    rows = [
        _chunk_row(topic, record, chunk)
        for topic, record in zip(topics, records, strict=True)
        for chunk in record.chunks
    ]
    chunks = Chunk.objects.using(using).bulk_create(rows, batch_size=1000)
    search_index.rebuild(connections[using])
    version.topic_count, version.chunk_count = len(topics), len(chunks)
    version.save(update_fields=["topic_count", "chunk_count"])
    return version


def _topic_row(version: KnowledgeVersion, record: TopicRecord) -> Topic:
    return Topic(
        version=version,
        medlineplus_id=record.medlineplus_id,
        title=record.title,
        url=record.url,
        synonyms=record.synonyms,
        mesh_terms=record.mesh_terms,
        groups=record.groups,
        related=record.related,
        content=record.content,
        source=record.source,
    )


def _chunk_row(topic: Topic, record: TopicRecord, chunk: ChunkText) -> Chunk:
    return Chunk(
        topic=topic,
        ordinal=chunk.ordinal,
        heading=chunk.heading,
        text=chunk.text,
        search_title=" ".join([record.title, *record.synonyms]),
        search_mesh=" ".join(record.mesh_terms),
    )


def ensure_loaded(path: str | Path | None = None, using: str = "default") -> LoadResult:
    """Load the configured corpus if it exists and is not the active version; never fails on a missing file."""
    corpus_path = Path(path or settings.KNOWLEDGE_CORPUS_PATH)
    if not corpus_path.is_file():
        logger.warning("MedlinePlus corpus not found at %s; health library disabled", corpus_path)
        return LoadResult(MISSING, str(corpus_path))
    return load_corpus(corpus_path, using=using)


def _query_text(text_or_terms: str | Iterable[str]) -> str:
    if isinstance(text_or_terms, str):
        return text_or_terms
    return " ".join(str(term) for term in text_or_terms)


def read_more_links(text_or_terms: str | Iterable[str], k: int = 3) -> list[dict[str, str]]:
    """MedlinePlus topics matching some advice text or terms, as [{"title", "url"}], best first."""
    return links_to(get_retriever().search(_query_text(text_or_terms), k=k))


def forget_library_versions() -> None:
    """Look the active library version up afresh on the next search (after a load; between tests)."""
    global _version_seen
    _version_seen = None
    forget_active_vocabulary()


def recent_search(query: str, k: int = 3) -> list[Passage] | None:
    """``search``'s cached answer under the library version this process saw last; None if there is none.

    Touches no database, so an event loop can ask it before going to a thread. The version may be
    a little old: ``version_check_due`` says when to look again (``check_version``, off the loop);
    until then a library loaded by another process is served from its first uncached search on.
    """
    seen = _version_seen
    if seen is None or not isinstance(get_retriever(), seen[0]):
        return None
    found = _RECENT_SEARCHES.get((seen[1], query, k))
    return None if found is None else list(found)


def version_check_due() -> bool:
    """Whether the library version this process saw is more than ``VERSION_SEEN_TTL_S`` old."""
    seen = _version_seen
    return seen is None or time.monotonic() - seen[2] > VERSION_SEEN_TTL_S


def check_version() -> None:
    """Look up the active library version (one query): cached answers are keyed by it."""
    _remember_version(get_retriever())


def links_to(passages: Iterable[Passage]) -> list[dict[str, str]]:
    """The topics of some passages as read-more links, one per page, in order."""
    return list({p.url: {"title": p.title, "url": p.url} for p in passages if p.url}.values())


def topic_link_for_lab(analyte_name: str, flag: str | None = None) -> dict[str, str] | None:
    """The MedlinePlus topic for a lab test ("Hemoglobin" -> Blood Count Tests; flag "low" -> Anemia)."""
    titles = candidate_titles(analyte_name, flag)
    if titles:
        found = {t.title: t for t in Topic.objects.filter(version__active=True, title__in=titles)}
        for title in titles:
            if title in found:
                return {"title": found[title].title, "url": found[title].url}
    passages = get_retriever().search(f"{analyte_name} test", k=1) if analyte_name.strip() else []
    return {"title": passages[0].title, "url": passages[0].url} if passages else None


def sources_for_prompt(query: str, k: int = 3) -> list[dict[str, object]]:
    """Numbered passages for an LLM prompt; the reply may cite them as [1], [2] ..."""
    return prompt_sources(get_retriever().search(query, k=k))


SEARCH_CACHE_TTL_S = 300.0
SEARCH_CACHE_ENTRIES = 1024


class SearchCache:
    """Recent searches, per process, by (library version, query, k); thread-safe, bounded, expiring."""

    def __init__(self, entries: int = SEARCH_CACHE_ENTRIES, ttl_s: float = SEARCH_CACHE_TTL_S) -> None:
        self.entries, self.ttl_s = entries, ttl_s
        self._found: OrderedDict[Hashable, tuple[float, list[Passage]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> list[Passage] | None:
        with self._lock:
            hit = self._found.get(key)
            if hit is None or time.monotonic() - hit[0] > self.ttl_s:
                return None
            self._found.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, passages: list[Passage]) -> None:
        with self._lock:
            self._found[key] = (time.monotonic(), passages)
            self._found.move_to_end(key)
            while len(self._found) > self.entries:
                self._found.popitem(last=False)


_RECENT_SEARCHES = SearchCache()
# The library version this process last looked up, and when: lets ``recent_search`` answer without the
# database, and ``search`` skip the lookup for a second.
VERSION_SEEN_TTL_S = 1.0
_version_seen: tuple[type, Hashable, float] | None = None


def search(query: str, k: int = 3) -> list[Passage]:
    """The best passages for a query, one per topic (the configured retriever).

    Recent answers are reused: a voice turn looks up the symptoms the patient has described, a
    small vocabulary that many consultations share ("Cough Sore throat"), and with a remote
    knowledge base a repeat costs a network round trip. Another library version is another key;
    the version is looked up at most once per ``VERSION_SEEN_TTL_S``, so a search that is not
    cached is one query.
    """
    retriever = get_retriever()
    seen = _version_seen
    fresh = seen is not None and isinstance(retriever, seen[0]) and not version_check_due()
    version = seen[1] if fresh and seen is not None else _remember_version(retriever)
    key = (version, query, k)
    found = _RECENT_SEARCHES.get(key)
    if found is None:
        found = retriever.search(query, k=k)
        if found:  # nothing found may be a failure that passed (a remote base): ask again next time
            _RECENT_SEARCHES.put(key, found)
    return list(found)


def _remember_version(retriever: Retriever) -> Hashable:
    global _version_seen
    version = retriever.cache_key()
    _version_seen = (type(retriever), version, time.monotonic())
    return version


def prompt_sources(passages: Iterable[Passage]) -> list[dict[str, object]]:
    """Passages numbered for an LLM prompt; the reply may cite them as [1], [2] ..."""
    return [_numbered(number, passage) for number, passage in enumerate(passages, 1)]


def _numbered(number: int, passage: Passage) -> dict[str, object]:
    from_medlineplus = passage.url.startswith("https://medlineplus.gov/")
    return {
        "number": number,
        "title": passage.title,
        "url": passage.url,
        "text": passage.text,
        "attribution": MEDLINEPLUS_ATTRIBUTION if from_medlineplus else "",
    }
