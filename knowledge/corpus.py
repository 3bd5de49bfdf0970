"""Read the MedlinePlus health-topics JSON and cut each summary into searchable chunks.

Pure Python: no Django. The summaries arrive as one line each (the HTML was stripped), so
headings ("What is asthma?"), paragraphs and list items run together. We recover sentence
and heading boundaries, then pack sentences into chunks of roughly 60-120 words, each of
which remembers the heading it sits under. The originating agency line that ends many
summaries ("NIH: National Cancer Institute") is split off into ``source``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.lay_terms import fold, normalise_words

CHUNK_MIN_WORDS = 60
CHUNK_MAX_WORDS = 120
HEADING_MAX_WORDS = 16

# U.S. federal bodies that MedlinePlus credits at the end of a summary (see the corpus README).
_AGENCY = (
    r"NIH: [^.?!]+"
    r"|(?:Dept\. of |U\.S\. )?Department of Health and Human Services[^.?!]*"
    r"|Dept\. of Health and Human Services[^.?!]*"
    r"|National (?:Institutes? (?:of|on|for)|Center for|Cancer|Heart|Eye|Library|Human Genome)[^.?!]*"
    r"|National (?:Highway Traffic Safety Administration|Park Service|Women's Health Information Center)"
    r"|Centers for Disease (?:and )?Control and Prevention(?: \(CDC\))?"
    r"|Centers for Medicare and Medicaid Services"
    r"|Food and Drug Administration"
    r"|Federal Emergency Management Agency"
    r"|Environmental Protection Agency"
    r"|Agency for Healthcare Research and Quality"
    r"|Agency for Toxic Substances (?:and )?Disease Registry"
    r"|Health Resources and Services Administration"
    r"|United States Department of Agriculture"
    r"|Bureau of Labor Statistics"
)
_SOURCE_AT_END = re.compile(rf"\s*(?P<source>(?:{_AGENCY}))\s*$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?)])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9])")
_QUESTION_START = re.compile(
    r"^(?:What|How|Who|Why|When|Where|Which|Can|Could|Is|Are|Do|Does|Should|Will|Am)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class ChunkText:
    ordinal: int
    heading: str
    text: str


@dataclass(frozen=True)
class TopicRecord:
    medlineplus_id: str
    title: str
    url: str
    content: str
    source: str
    synonyms: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    chunks: list[ChunkText] = field(default_factory=list)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_corpus(path: str | Path) -> list[TopicRecord]:
    """Parse the JSON array into topic records with their chunks, in file order."""
    with open(path, encoding="utf-8") as handle:
        raw_topics = json.load(handle)
    if not isinstance(raw_topics, list):
        raise ValueError(f"{path}: expected a JSON array of topics")
    return [topic_from_json(raw) for raw in raw_topics]


def topic_from_json(raw: dict) -> TopicRecord:
    body, source = split_source(raw.get("content") or "")
    title = str(raw["title"]).strip()
    return TopicRecord(
        medlineplus_id=str(raw["id"]),
        title=title,
        url=str(raw["url"]),
        content=body,
        source=source,
        synonyms=_strings(raw.get("synonyms")),
        mesh_terms=_strings(raw.get("mesh_terms")),
        groups=_strings(raw.get("groups")),
        related=_strings(raw.get("related_topics")),
        chunks=chunk_text(body),
    )


def _strings(values: object) -> list[str]:
    if not isinstance(values, list):
        return []
    return [str(value).strip() for value in values if str(value).strip()]


def clean_text(text: str) -> str:
    """Collapse whitespace and close the gap the HTML stripping left before punctuation."""
    text = " ".join(text.split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def split_source(content: str) -> tuple[str, str]:
    """Return (summary without the trailing agency line, agency line or "")."""
    text = clean_text(content)
    match = _SOURCE_AT_END.search(text)
    if match is None or match.start() == 0:
        return text, ""
    return text[: match.start()].rstrip(), match.group("source").strip()


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(clean_text(text)) if part.strip()]


def is_heading(sentence: str) -> bool:
    """A short question sentence ("What causes asthma?") is a section heading in these summaries."""
    words = sentence.split()
    return sentence.endswith("?") and len(words) <= HEADING_MAX_WORDS and bool(_QUESTION_START.match(sentence))


def sections(text: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (heading, sentences) in order; text before the first heading has heading ""."""
    heading, body = "", list[str]()
    for sentence in split_sentences(text):
        if is_heading(sentence):
            if body:
                yield heading, body
            heading, body = sentence, []
        else:
            body.append(sentence)
    if body:
        yield heading, body


def _word_count(text: str) -> int:
    return len(text.split())


def _split_long(sentence: str) -> list[str]:
    """Cut a run-on sentence (list items run together) into pieces of at most CHUNK_MAX_WORDS."""
    words = sentence.split()
    return [" ".join(words[i : i + CHUNK_MAX_WORDS]) for i in range(0, len(words), CHUNK_MAX_WORDS)]


def pack_sentences(sentences: Iterable[str]) -> list[str]:
    """Greedily pack sentences into pieces of CHUNK_MIN_WORDS..CHUNK_MAX_WORDS words."""
    pieces: list[str] = []
    current: list[str] = []
    for sentence in (piece for s in sentences for piece in _split_long(s)):
        size = _word_count(" ".join(current))
        if current and size >= CHUNK_MIN_WORDS and size + _word_count(sentence) > CHUNK_MAX_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return _merge_short_tail(pieces)


def _merge_short_tail(pieces: list[str]) -> list[str]:
    """Fold a short last piece into the one before, when the two still fit a chunk."""
    if len(pieces) < 2 or _word_count(pieces[-1]) >= CHUNK_MIN_WORDS // 2:
        return pieces
    merged = f"{pieces[-2]} {pieces[-1]}"
    if _word_count(merged) > CHUNK_MAX_WORDS * 1.5:
        return pieces
    return [*pieces[:-2], merged]


def chunk_text(text: str) -> list[ChunkText]:
    """Chunk a summary section by section; a tiny section joins the next one."""
    chunks: list[ChunkText] = []
    pending_heading, pending = "", list[str]()
    for heading, body in sections(text):
        if pending and _word_count(" ".join(pending)) < CHUNK_MIN_WORDS // 2:
            body = [*pending, heading, *body] if heading else [*pending, *body]
            heading = pending_heading
        elif pending:
            chunks.extend(_section_chunks(pending_heading, pending, len(chunks)))
        pending_heading, pending = heading, body
    if pending:
        chunks.extend(_section_chunks(pending_heading, pending, len(chunks)))
    return chunks


def _section_chunks(heading: str, body: list[str], start: int) -> list[ChunkText]:
    return [ChunkText(start + i, heading, piece) for i, piece in enumerate(pack_sentences(body))]


def searchable_text(record: TopicRecord, chunk: ChunkText) -> str:
    return " ".join([record.title, *record.synonyms, *record.mesh_terms, chunk.heading, chunk.text])


def document_frequency(records: Iterable[TopicRecord]) -> dict[str, int]:
    """How many chunks each (folded) word appears in, across the searchable text."""
    counts: Counter[str] = Counter()
    for record in records:
        for chunk in record.chunks:
            counts.update({fold(word) for word in normalise_words(searchable_text(record, chunk))})
    return dict(counts)
