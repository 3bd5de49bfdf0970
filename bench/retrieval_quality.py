"""Retrieval quality and latency of the embedded knowledge search, at the full MedlinePlus corpus.

Query sets, none of them a topic's own title:
- synonyms: every "also called" name of a topic (the corpus's ``synonyms``);
- mesh: every MeSH heading that is not the title (a harder, clinical vocabulary set);
- lay: hand-written lay phrasings (``bench/data/lay_queries.json``, > 100 topics).

A hit is any topic that the query names (a synonym shared by two topics counts for both).
Reports recall@1, recall@5, MRR@10 and p50/p95 latency of ``search(query, k=10)``.

    python bench/retrieval_quality.py                       # temporary SQLite file
    python bench/retrieval_quality.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    DATABASE_URL=postgres://... python bench/retrieval_quality.py

With PostgreSQL, a throwaway database is created on that server and dropped afterwards.
The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
LAY_QUERIES = ROOT / "bench" / "data" / "lay_queries.json"
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "medlineplus" / "medlineplus_health_topics_en_2025-10-01.json"
RANK_DEPTH = 10


@dataclass(frozen=True)
class BenchQuery:
    text: str
    relevant: frozenset[str]  # topic titles that count as a hit


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def synonym_queries(topics: list[dict]) -> list[BenchQuery]:
    return _name_queries(topics, "synonyms")


def mesh_queries(topics: list[dict]) -> list[BenchQuery]:
    return _name_queries(topics, "mesh_terms")


def _name_queries(topics: list[dict], field: str) -> list[BenchQuery]:
    """One query per distinct name in ``field`` that is not a title; every topic with that name is relevant."""
    titles = {normalised(topic["title"]) for topic in topics}
    owners: dict[str, set[str]] = defaultdict(set)
    spelling: dict[str, str] = {}
    for topic in topics:
        for name in topic.get(field) or []:
            key = normalised(name)
            if key and key not in titles:
                owners[key].add(topic["title"])
                spelling.setdefault(key, name)
    return [BenchQuery(spelling[key], frozenset(owners[key])) for key in sorted(owners)]


def lay_queries(path: Path = LAY_QUERIES) -> list[BenchQuery]:
    entries = json.loads(path.read_text(encoding="utf-8"))["queries"]
    return [BenchQuery(entry["query"], frozenset(entry["topics"])) for entry in entries]


def rank_of_first_hit(titles: list[str], relevant: frozenset[str]) -> int | None:
    return next((rank for rank, title in enumerate(titles, 1) if title in relevant), None)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def evaluate(retriever, queries: list[BenchQuery]) -> tuple[dict[str, float], list[dict]]:
    ranks: list[int | None] = []
    latencies_ms: list[float] = []
    misses: list[dict] = []
    for query in queries:
        started = time.perf_counter()
        passages = retriever.search(query.text, k=RANK_DEPTH)
        latencies_ms.append((time.perf_counter() - started) * 1000)
        titles = [passage.title for passage in passages]
        rank = rank_of_first_hit(titles, query.relevant)
        ranks.append(rank)
        if rank is None or rank > 5:
            misses.append({"query": query.text, "want": sorted(query.relevant)[:3], "got": titles[:3]})
    return _metrics(ranks, latencies_ms), misses


def _metrics(ranks: list[int | None], latencies_ms: list[float]) -> dict[str, float]:
    count = len(ranks)
    return {
        "queries": count,
        "recall_at_1": round(sum(1 for r in ranks if r == 1) / count, 4),
        "recall_at_5": round(sum(1 for r in ranks if r is not None and r <= 5) / count, 4),
        "mrr_at_10": round(sum(1 / r for r in ranks if r is not None) / count, 4),
        "p50_ms": round(statistics.median(latencies_ms), 2),
        "p95_ms": round(percentile(latencies_ms, 0.95), 2),
    }


@contextmanager
def throwaway_database(database_url: str | None) -> Iterator[str]:
    """A fresh database URL: a temp SQLite file, or a new PostgreSQL database dropped on exit."""
    if not database_url or database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="hh-retrieval-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    import psycopg

    name = f"hh_retrieval_bench_{uuid.uuid4().hex[:8]}"
    server = urlparse(database_url)
    admin_url = urlunparse(server._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(server._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def prepare_django(database_url: str, corpus: Path) -> float:
    """Point Django at the bench database, migrate the knowledge app, load the corpus; returns load ms."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthhelper.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "knowledge", verbosity=0, skip_checks=True)
    from knowledge.services import load_corpus

    return load_corpus(corpus).elapsed_ms


def run(database_url: str | None, corpus: Path, show_misses: int) -> dict:
    topics = json.loads(corpus.read_text(encoding="utf-8"))
    query_sets = {"synonyms": synonym_queries(topics), "mesh": mesh_queries(topics), "lay": lay_queries()}
    with throwaway_database(database_url) as url:
        load_ms = prepare_django(url, corpus)
        from django.db import connection

        from knowledge.retrieval import DatabaseRetriever

        retriever = DatabaseRetriever()
        retriever.search("warm up the vocabulary cache")
        results = {}
        for name, queries in query_sets.items():
            results[name], misses = evaluate(retriever, queries)
            _print_set(name, results[name], misses[:show_misses])
        vendor = connection.vendor
    return {
        "bench": "retrieval_quality",
        "backend": vendor,
        "topics": len(topics),
        "load_ms": round(load_ms),
        **results,
    }


def _print_set(name: str, metrics: dict[str, float], misses: list[dict]) -> None:
    print(
        f"{name:9s} n={metrics['queries']:4d}  R@1={metrics['recall_at_1']:.3f}  R@5={metrics['recall_at_5']:.3f}  "
        f"MRR={metrics['mrr_at_10']:.3f}  p50={metrics['p50_ms']:.2f} ms  p95={metrics['p95_ms']:.2f} ms"
    )
    for miss in misses:
        print(f"    miss: {miss['query']!r} want {miss['want']} got {miss['got']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: temporary SQLite")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("KNOWLEDGE_CORPUS_PATH", DEFAULT_CORPUS)))
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N misses per query set")
    args = parser.parse_args()
    print(json.dumps(run(args.database_url, args.corpus, args.show_misses)))


if __name__ == "__main__":
    main()
