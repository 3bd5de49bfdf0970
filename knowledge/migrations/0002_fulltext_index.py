"""Full-text index for knowledge chunks, one form per database vendor.

SQLite: an FTS5 table (porter stemming, BM25), refilled by ``knowledge.search_index.rebuild``.
PostgreSQL: a stored generated tsvector column (title A, MeSH B, heading C, text D) + GIN index.
Other vendors get nothing here; the embedded retriever refuses them.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE knowledge_chunk_fts USING fts5("
    "title, mesh, heading, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS knowledge_chunk_fts"]

POSTGRESQL_FORWARD = [
    "ALTER TABLE knowledge_chunk ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(search_title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(search_mesh, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(heading, '')), 'C') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'D')) STORED",
    # fastupdate off: a bulk load goes straight into the index instead of a pending list
    # that every search would have to scan until the next vacuum.
    "CREATE INDEX knowledge_chunk_search_vector_gin ON knowledge_chunk USING GIN (search_vector) "
    "WITH (fastupdate = off)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_chunk_search_vector_gin",
    "ALTER TABLE knowledge_chunk DROP COLUMN IF EXISTS search_vector",
]


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that only touches databases of one vendor."""

    def __init__(self, vendor: str, sql: list[str], reverse_sql: list[str]) -> None:
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, *args], kwargs


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        VendorRunSQL("postgresql", POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    ]
