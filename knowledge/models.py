"""The MedlinePlus knowledge base: a loaded corpus version, its topics and their search chunks.

Only the active version keeps topics and chunks; loading a new file replaces them in one
transaction and leaves the old ``KnowledgeVersion`` row behind as history. The full-text
index (SQLite FTS5 table or PostgreSQL tsvector column) is created by vendor-specific
migrations and is not a Django field; see ``knowledge/search_index.py``.
"""

from __future__ import annotations

from django.db import models

MEDLINEPLUS_ATTRIBUTION = "Source: MedlinePlus, National Library of Medicine"


class KnowledgeVersion(models.Model):
    source_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    topic_count = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    document_frequency = models.JSONField(default=dict, help_text="word -> number of chunks it appears in")
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="knowledge_one_active_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.sha256[:12]}, {self.topic_count} topics)"


class Topic(models.Model):
    version = models.ForeignKey(KnowledgeVersion, on_delete=models.CASCADE, related_name="topics")
    medlineplus_id = models.CharField(max_length=32)
    title = models.CharField(max_length=255)
    url = models.URLField(max_length=500)
    synonyms = models.JSONField(default=list)
    mesh_terms = models.JSONField(default=list)
    groups = models.JSONField(default=list)
    related = models.JSONField(default=list)
    content = models.TextField()
    source = models.CharField(max_length=255, blank=True, help_text="Originating agency credited by MedlinePlus")

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["version", "medlineplus_id"], name="knowledge_topic_unique_per_version")
        ]

    def __str__(self) -> str:
        return self.title


class Chunk(models.Model):
    """A 60-120 word piece of a topic summary, with the names it is searched by."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=255, blank=True)
    text = models.TextField()
    # Denormalised for the full-text index: title + synonyms, and MeSH headings.
    search_title = models.TextField()
    search_mesh = models.TextField(blank=True)

    class Meta:
        ordering = ["topic", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["topic", "ordinal"], name="knowledge_chunk_unique_ordinal")]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.ordinal}"
