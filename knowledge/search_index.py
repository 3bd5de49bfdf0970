"""The full-text index over ``knowledge_chunk``, one implementation per database vendor.

- SQLite: an FTS5 table ``knowledge_chunk_fts`` (porter stemming, BM25) whose rowid is the
  chunk id, filled by ``rebuild`` after each load.
- PostgreSQL: a stored generated ``tsvector`` column ``knowledge_chunk.search_vector``
  (title/synonyms A, MeSH B, heading C, text D) with a GIN index. PostgreSQL keeps it up to
  date itself; ``rebuild`` only refreshes planner statistics.

PostgreSQL ranking has no inverse document frequency, so each query clause is ranked on its
own with ``ts_rank`` and weighted by its IDF (from the corpus's document frequencies), a
BM25-like sum. ``ts_rank_cd`` was measured with bench/retrieval_quality.py and lost on both
counts: lay-query recall@5 0.68 vs 0.71, p95 22 ms vs 14 ms (it computes cover density for
every clause of every matching chunk).

Both are created by migration 0002. Column weights: a match in the title or a synonym counts
most, then MeSH, then the section heading, then the body text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.backends.base.base import BaseDatabaseWrapper

from knowledge.query import SearchQuery, fts5_match, pg_clauses, pg_tsquery

SUPPORTED_VENDORS = ("sqlite", "postgresql")

# Column weights, title/synonyms : MeSH : heading : text = 10 : 5 : 2 : 1 on both vendors.
# FTS5 bm25() takes them per column (title, mesh, heading, body); ts_rank as {D, C, B, A}.
PG_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"

_SQLITE_REBUILD = (
    "DELETE FROM knowledge_chunk_fts",
    "INSERT INTO knowledge_chunk_fts (rowid, title, mesh, heading, body) "
    "SELECT id, search_title, search_mesh, heading, text FROM knowledge_chunk",
    "INSERT INTO knowledge_chunk_fts (knowledge_chunk_fts) VALUES ('optimize')",
)

_SQLITE_SEARCH = """
SELECT c.id, c.topic_id, t.title, t.url, c.heading, c.text, -hits.rank
FROM (
    SELECT rowid AS chunk_id, bm25(knowledge_chunk_fts, 10.0, 5.0, 2.0, 1.0) AS rank
    FROM knowledge_chunk_fts WHERE knowledge_chunk_fts MATCH %s ORDER BY rank LIMIT %s
) AS hits
JOIN knowledge_chunk c ON c.id = hits.chunk_id
JOIN knowledge_topic t ON t.id = c.topic_id
ORDER BY hits.rank
"""


@lru_cache(maxsize=64)
def _pg_search_sql(clause_count: int) -> str:
    """PostgreSQL has no IDF in its ranking, so each clause is ranked on its own and weighted by its IDF."""
    rank = " + ".join([f"%s * ts_rank('{PG_WEIGHTS}', c.search_vector, to_tsquery('english', %s))"] * clause_count)
    # Only constants are formatted in; the weights, clause texts and limit are parameters.
    return f"""
SELECT c.id, c.topic_id, t.title, t.url, c.heading, c.text, hits.rank
FROM (
    SELECT c.id AS chunk_id, ({rank}) AS rank
    FROM knowledge_chunk c
    WHERE c.search_vector @@ to_tsquery('english', %s) ORDER BY rank DESC LIMIT %s
) AS hits
JOIN knowledge_chunk c ON c.id = hits.chunk_id
JOIN knowledge_topic t ON t.id = c.topic_id
ORDER BY hits.rank DESC
"""  # noqa: S608


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: int
    topic_id: int
    title: str
    url: str
    heading: str
    text: str
    score: float


def is_supported(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor in SUPPORTED_VENDORS


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Refill the FTS5 table (SQLite); PostgreSQL maintains its column, so only refresh planner statistics."""
    statements = _SQLITE_REBUILD if connection.vendor == "sqlite" else ("ANALYZE knowledge_chunk",)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def search_chunks(connection: BaseDatabaseWrapper, query: SearchQuery, limit: int) -> list[ChunkHit]:
    """Best-scoring chunks first; higher ``score`` is better on both vendors."""
    if query.is_empty:
        return []
    params: list[str | float | int]
    if connection.vendor == "sqlite":
        sql, params = _SQLITE_SEARCH, [fts5_match(query), limit]
    else:
        clauses = pg_clauses(query)
        sql = _pg_search_sql(len(clauses))
        params = [*(value for text, idf in clauses for value in (idf, text)), pg_tsquery(query), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_hit(row) for row in cursor.fetchall()]


def _hit(row: tuple) -> ChunkHit:
    chunk_id, topic_id, title, url, heading, text, score = row
    return ChunkHit(chunk_id, topic_id, title, url, heading, text, float(score))
