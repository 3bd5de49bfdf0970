"""Health library: search MedlinePlus topics and read one. Thin: parse, call the retriever, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from knowledge.corpus import sections
from knowledge.highlight import highlight, highlight_terms
from knowledge.models import MEDLINEPLUS_ATTRIBUTION, Topic
from knowledge.query import MAX_QUERY_CHARS, parse_query
from knowledge.retrieval import active_vocabulary, get_retriever

RESULTS_PER_PAGE = 10


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]
    passages = get_retriever().search(query, k=RESULTS_PER_PAGE) if query else []
    terms = highlight_terms(parse_query(query, active_vocabulary()))
    results = [{"passage": p, "snippet": mark_safe(highlight(p.text, terms))} for p in passages]  # noqa: S308
    context = {"query": query, "results": results, "attribution": MEDLINEPLUS_ATTRIBUTION}
    return render(request, "knowledge/search.html", context)


@login_required
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Topic.objects.filter(version__active=True), pk=pk)
    context = {
        "topic": record,
        "sections": [{"heading": heading, "text": " ".join(body)} for heading, body in sections(record.content)],
        "attribution": MEDLINEPLUS_ATTRIBUTION,
    }
    return render(request, "knowledge/topic.html", context)
