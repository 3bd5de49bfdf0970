"""One retrieval interface, two implementations chosen by settings.

- ``DatabaseRetriever`` (embedded default): full-text search in the database in use (SQLite
  FTS5 / PostgreSQL tsvector), with lay-term and corpus-synonym expansion; chunk hits are
  folded into topics and the best chunk is the snippet.
- ``BedrockKnowledgeBaseRetriever`` (production, when ``BEDROCK_KNOWLEDGE_BASE_ID`` is set):
  Amazon Bedrock Knowledge Base ``retrieve``.

``search`` never raises for what a person types: empty, very long, SQL-looking or FTS
syntax all come back as a (possibly empty) list.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, transaction

from knowledge import search_index
from knowledge.lay_terms import corpus_synonyms
from knowledge.query import MAX_QUERY_CHARS, CorpusVocabulary, SearchQuery, parse_query

logger = logging.getLogger(__name__)

MAX_K = 50
# Chunks fetched per topic wanted: several chunks of one topic often lead the list.
CHUNKS_PER_RESULT = 8


@dataclass(frozen=True)
class Passage:
    text: str
    title: str
    url: str
    score: float
    topic_id: int | None = None


class Retriever(Protocol):
    def search(self, query: str, k: int = 5) -> list[Passage]: ...

    def cache_key(self) -> Hashable:
        """Changes whenever the same query could give different passages (another library version)."""
        ...


def _clamp_k(k: int) -> int:
    return max(0, min(int(k), MAX_K))


class DatabaseRetriever:
    """Embedded retrieval over the loaded MedlinePlus corpus in the default database."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        connection = connections[using]
        if not search_index.is_supported(connection):
            raise ImproperlyConfigured(f"knowledge search needs SQLite or PostgreSQL, not {connection.vendor}")

    def cache_key(self) -> Hashable:
        from knowledge.models import KnowledgeVersion

        active = KnowledgeVersion.objects.using(self.using).filter(active=True)
        row = active.values_list("pk", "loaded_at", "sha256").first()
        # the vocabulary a search parses with is then never older than the version its answer is cached under
        _ACTIVE_SHA[self.using] = (row[2] if row else None, time.monotonic())
        return ("database", self.using, row[:2] if row else None)

    def search(self, query: str, k: int = 5) -> list[Passage]:
        k = _clamp_k(k)
        parsed = parse_query(query, active_vocabulary(self.using))
        if k == 0 or parsed.is_empty:
            return []
        hits = self._chunk_hits(parsed, k * CHUNKS_PER_RESULT)
        return best_chunk_per_topic(hits, k)

    def _chunk_hits(self, parsed: SearchQuery, limit: int) -> list[search_index.ChunkHit]:
        connection = connections[self.using]
        try:
            with _savepoint_if_in_transaction(self.using):
                return search_index.search_chunks(connection, parsed, limit)
        except DatabaseError:
            logger.exception("knowledge search failed")
            return []


def _savepoint_if_in_transaction(using: str) -> AbstractContextManager[object]:
    """A failed statement must not poison the caller's PostgreSQL transaction."""
    if connections[using].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()


def best_chunk_per_topic(hits: list[search_index.ChunkHit], k: int) -> list[Passage]:
    """Rank topics by their best chunk, which is also the snippet (hits arrive best first).

    Adding a share of a topic's other matching chunks was measured and lowered recall on every
    query set of bench/retrieval_quality.py: long topics then outrank the precise one.
    """
    passages: dict[int, Passage] = {}
    for hit in hits:
        if hit.topic_id not in passages:
            passages[hit.topic_id] = Passage(hit.text, hit.title, hit.url, round(hit.score, 6), hit.topic_id)
        if len(passages) == k:
            break
    return list(passages.values())


_VOCABULARY_BY_SHA: dict[str, CorpusVocabulary] = {}
# Which corpus file is active, per database, and when that was looked up: a search within
# ACTIVE_SHA_TTL_S of the last lookup needs one query (its own), not two. Loading a corpus in this
# process forgets it; another process's load is seen within the TTL.
ACTIVE_SHA_TTL_S = 1.0
_ACTIVE_SHA: dict[str, tuple[str | None, float]] = {}


def forget_active_vocabulary() -> None:
    _ACTIVE_SHA.clear()


def _active_sha(using: str) -> str | None:
    from knowledge.models import KnowledgeVersion

    seen = _ACTIVE_SHA.get(using)
    if seen is not None and seen[0] is not None and time.monotonic() - seen[1] <= ACTIVE_SHA_TTL_S:
        return seen[0]
    sha = KnowledgeVersion.objects.using(using).filter(active=True).values_list("sha256", flat=True).first()
    _ACTIVE_SHA[using] = (sha, time.monotonic())
    return sha


def active_vocabulary(using: str = "default") -> CorpusVocabulary | None:
    """Synonyms and word frequencies of the active version, built once per process and corpus file (sha256)."""
    from knowledge.models import KnowledgeVersion, Topic

    sha = _active_sha(using)
    if sha is None:
        return None
    vocabulary = _VOCABULARY_BY_SHA.get(sha)
    if vocabulary is None:
        active = KnowledgeVersion.objects.using(using).filter(active=True, sha256=sha)
        found = active.values_list("document_frequency", "chunk_count").first()
        if found is None:  # replaced since the lookup
            forget_active_vocabulary()
            return active_vocabulary(using)
        frequency, chunk_count = found
        rows = Topic.objects.using(using).filter(version__active=True).values_list("title", "synonyms", "mesh_terms")
        vocabulary = CorpusVocabulary(corpus_synonyms(rows), frequency, chunk_count)
        _VOCABULARY_BY_SHA.clear()  # only the active corpus is worth keeping
        _VOCABULARY_BY_SHA[sha] = vocabulary
    return vocabulary


class BedrockKnowledgeBaseRetriever:
    """Amazon Bedrock Knowledge Base ``retrieve`` mapped onto ``Passage``."""

    def __init__(self, knowledge_base_id: str, client: Any = None, region: str | None = None) -> None:
        self.knowledge_base_id = knowledge_base_id
        self.client = client or _bedrock_agent_runtime(region)

    def cache_key(self) -> Hashable:
        return ("bedrock", self.knowledge_base_id)

    def search(self, query: str, k: int = 5) -> list[Passage]:
        text = " ".join((query or "")[:MAX_QUERY_CHARS].split())
        k = _clamp_k(k)
        if not text or k == 0:
            return []
        try:
            response = self.client.retrieve(
                knowledgeBaseId=self.knowledge_base_id,
                retrievalQuery={"text": text},
                retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": k}},
            )
        except (BotoCoreError, ClientError):
            logger.exception("Bedrock knowledge base retrieve failed")
            return []
        return [passage_from_bedrock(result) for result in response.get("retrievalResults", [])[:k]]


def _bedrock_agent_runtime(region: str | None) -> Any:
    import boto3

    return boto3.client("bedrock-agent-runtime", region_name=region or settings.AWS_REGION)


_TITLE_KEYS = ("title", "x-amz-bedrock-kb-title", "Title")
_URL_KEYS = ("url", "source_url", "x-amz-bedrock-kb-source-uri")


def passage_from_bedrock(result: dict[str, Any]) -> Passage:
    metadata = result.get("metadata") or {}
    location = result.get("location") or {}
    url = _location_url(location, ("webLocation",)) or _first_str(metadata, _URL_KEYS) or _location_url(location)
    title = _first_str(metadata, _TITLE_KEYS) or _title_from_url(url)
    text = (result.get("content") or {}).get("text", "")
    return Passage(text=text, title=title, url=url, score=float(result.get("score") or 0.0))


# Where each Bedrock data source puts its link; a crawled web page's URL is the best citation.
_LOCATION_FIELDS = {
    "webLocation": "url",
    "confluenceLocation": "url",
    "sharePointLocation": "url",
    "salesforceLocation": "url",
    "kendraDocumentLocation": "uri",
    "s3Location": "uri",
}


def _location_url(location: dict[str, Any], kinds: tuple[str, ...] = tuple(_LOCATION_FIELDS)) -> str:
    for kind in kinds:
        value = (location.get(kind) or {}).get(_LOCATION_FIELDS[kind])
        if value:
            return str(value)
    return ""


def _first_str(metadata: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if isinstance(metadata.get(key), str) and metadata[key].strip():
            return metadata[key].strip()
    return ""


def _title_from_url(url: str) -> str:
    """'https://medlineplus.gov/kidneystones.html' -> 'kidneystones'."""
    stem = unquote(urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0]
    return stem.replace("-", " ").replace("_", " ")


def get_retriever() -> Retriever:
    """Bedrock when a knowledge base id is configured, otherwise the embedded database search."""
    knowledge_base_id = getattr(settings, "BEDROCK_KNOWLEDGE_BASE_ID", "")
    if knowledge_base_id:
        return _bedrock_retriever(knowledge_base_id, settings.AWS_REGION)
    return DatabaseRetriever()


@lru_cache(maxsize=4)
def _bedrock_retriever(knowledge_base_id: str, region: str) -> BedrockKnowledgeBaseRetriever:
    """One boto3 client per process: creating one costs tens of milliseconds; using one is thread-safe."""
    return BedrockKnowledgeBaseRetriever(knowledge_base_id, region=region)
