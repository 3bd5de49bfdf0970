"""Read-only views of the loaded corpus: versions change only through ``load_knowledge``."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from knowledge.models import KnowledgeVersion, Topic


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(KnowledgeVersion)
class KnowledgeVersionAdmin(ReadOnlyAdmin):
    list_display = ("source_name", "sha256", "loaded_at", "topic_count", "chunk_count", "active")
    exclude = ("document_frequency",)


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("title", "medlineplus_id", "url", "source")
    search_fields = ("title",)
    list_filter = ("version__active",)
