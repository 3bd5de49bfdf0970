"""Mark the query's words in a snippet, HTML-escaped. Pure Python: no Django."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from knowledge.lay_terms import fold
from knowledge.query import STOP_WORDS, SearchQuery

MIN_STEM_CHARS = 3


def highlight_terms(query: SearchQuery) -> list[str]:
    """Words worth marking: the person's words and the expansions', minus stop words."""
    words = [*query.words, *(w for phrase in (*query.phrases, *query.expansions) for w in phrase)]
    stems = (fold(word) for word in words if word not in STOP_WORDS)
    return sorted({stem for stem in stems if len(stem) >= MIN_STEM_CHARS}, key=len, reverse=True)


def highlight(text: str, terms: Iterable[str]) -> str:
    """Escape ``text`` and wrap words that start with one of ``terms`` in <mark>."""
    stems = [re.escape(term) for term in terms if term]
    if not stems:
        return html.escape(text)
    pattern = re.compile(rf"\b(?:{'|'.join(stems)})\w*", re.IGNORECASE)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts += [html.escape(text[position : match.start()]), f"<mark>{html.escape(match.group())}</mark>"]
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)
