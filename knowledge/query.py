"""Turn what a person typed into a safe full-text query for SQLite FTS5 or PostgreSQL.

Steps: truncate, normalise (NFKC, lower case, apostrophes dropped, punctuation and emoji
gone), match lay phrases ("tummy ache") and corpus names ("HbA1c") longest-first, drop stop
words, and build an OR of the remaining words, the person's own multi-word phrases and the
clinical expansions. Only word characters ever reach the search engine, each one quoted, so
FTS syntax (quotes, ``*``, ``NEAR(``, ``:``) and SQL in a query are plain text.

Pure Python: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from knowledge.lay_terms import PhraseMap, PhraseMatch, Words, fold, lay_terms, original_case_words

MAX_QUERY_CHARS = 500
MAX_WORDS = 40
MAX_CLAUSES = 16
MAX_WORD_CHARS = 40

# Function words and the filler of spoken questions ("what should I do about my ...").
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are arent as at be because been before being
    below between both but by can cant could couldnt did didnt do does doesnt doing dont down during each
    few for from further get gets getting got had hadnt has hasnt have havent having he her here hers
    herself him himself his how i id if ill im in into is isnt it its itself ive just keep keeps kind
    know let lets like lot lots me mean might more most much must my myself no nor not now of off on once
    only or other our ours ourselves out over own please quite really same she should shouldnt so some
    sometimes such tell than that thats the their theirs them themselves then there these they thing
    things this those through to too under until up us very want was wasnt way we well were werent what
    whats when where which while who whom why will with wont would wouldnt you your youre yours yourself
    yourselves bit feel feeling feels help anything something someone anyone everything think thought
    worried worry wondering does mean normal okay ok hi hello thanks thank
    """.split()
)


# Words in more than this share of chunks say little about a topic ("symptoms", "health").
COMMON_WORD_SHARE = 0.10


@dataclass(frozen=True)
class CorpusVocabulary:
    """What the loaded corpus teaches the parser: other names of each topic, and how rare each word is."""

    synonyms: PhraseMap
    document_frequency: Mapping[str, int] = field(default_factory=dict)
    chunk_count: int = 0

    def is_common(self, word: str) -> bool:
        return self.document_frequency.get(fold(word), 0) > COMMON_WORD_SHARE * self.chunk_count

    def idf(self, words: Words) -> float:
        """BM25's inverse document frequency of a clause, taking its rarest word (a phrase is at most that common)."""
        frequency = min((self.document_frequency.get(fold(word), 0) for word in words), default=0)
        return math.log(1 + (self.chunk_count - frequency + 0.5) / (frequency + 0.5))


@dataclass(frozen=True)
class SearchQuery:
    """The parts of a query: the person's words and phrases, and the expansions we add."""

    words: tuple[str, ...] = ()
    phrases: tuple[Words, ...] = ()
    expansions: tuple[Words, ...] = ()
    title_phrases: tuple[Words, ...] = ()
    # Clause -> inverse document frequency; only PostgreSQL needs it (FTS5's BM25 has its own).
    idf: Mapping[Words, float] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.expansions)

    def clauses(self) -> list[Words]:
        """Distinct OR clauses, the person's own terms first, capped for latency."""
        ordered = [*self.phrases, *((word,) for word in self.words), *self.expansions]
        return list(dict.fromkeys(ordered))[:MAX_CLAUSES]


def parse_query(text: str, vocabulary: CorpusVocabulary | None = None, lay: PhraseMap | None = None) -> SearchQuery:
    words, acronyms = query_words(text)
    if not words:
        return SearchQuery()
    synonyms = vocabulary.synonyms if vocabulary is not None else PhraseMap({})
    named = [m for m in synonyms.matches(words) if not _only_stop_words(words, m, acronyms)]
    lay_matches = _outside(named, (lay if lay is not None else lay_terms()).matches(words))
    consumed = {i for m in lay_matches if m.end - m.start > 1 for i in range(m.start, m.end)}
    runs = list(_content_runs(words, consumed, acronyms))
    lay_expansions = [phrase for match in lay_matches for phrase in match.expansions]
    expansions = [
        *(phrase for match in named for phrase in match.expansions),
        *lay_expansions,
        *(phrase for words_ in lay_expansions for match in synonyms.matches(words_) for phrase in match.expansions),
    ]
    own_phrases = [run for run in runs if len(run) > 1]
    query = SearchQuery(
        words=tuple(dict.fromkeys(word for run in runs for word in run)),
        phrases=tuple(
            dict.fromkeys([*own_phrases, *(tuple(words[m.start : m.end]) for m in lay_matches if m.end - m.start > 1)])
        ),
        expansions=tuple(dict.fromkeys(expansions)),
        title_phrases=tuple(own_phrases[:2]),
    )
    return _without_common_words(query, vocabulary) if vocabulary is not None else query


_NUMBERED = frozenset({"type", "stage", "grade", "class", "phase", "level"})
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def query_words(text: str) -> tuple[list[str], set[int]]:
    """Normalised words of a query, and the positions of acronyms ("ALL", "IT") typed in capitals.

    Roman numerals after "type"/"stage" become digits ("Type I diabetes" -> type 1).
    """
    raw = original_case_words((text or "")[:MAX_QUERY_CHARS])[:MAX_WORDS]
    mixed_case = any(word != word.upper() for word in raw)
    words = [word.casefold()[:MAX_WORD_CHARS] for word in raw]
    for index in range(1, len(words)):
        if words[index - 1] in _NUMBERED and words[index] in _ROMAN:
            words[index] = _ROMAN[words[index]]
    acronyms = {i for i, word in enumerate(raw) if mixed_case and 2 <= len(word) <= 6 and word.isupper()}
    return words, acronyms


def _only_stop_words(words: list[str], match: PhraseMatch, acronyms: set[int]) -> bool:
    """A corpus name made of stop words ("ALL" = acute lymphocytic leukemia) counts only in capitals."""
    span = range(match.start, match.end)
    return all(words[i] in STOP_WORDS for i in span) and not acronyms.intersection(span)


def _outside(named: list[PhraseMatch], matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """Lay matches that do not overlap a corpus name: the corpus's own names win."""
    taken = {i for m in named for i in range(m.start, m.end)}
    return [m for m in matches if not taken.intersection(range(m.start, m.end))]


def _without_common_words(query: SearchQuery, vocabulary: CorpusVocabulary) -> SearchQuery:
    """Drop single words most chunks contain: they barely rank and make every query slow.

    Kept when nothing else would be left ("symptoms" alone still searches).
    """
    rare = tuple(word for word in query.words if not vocabulary.is_common(word))
    if rare or query.phrases or query.expansions:
        query = replace(query, words=rare)
    clauses = [*query.clauses(), *query.title_phrases]
    return replace(query, idf={clause: vocabulary.idf(clause) for clause in clauses})


def _content_runs(words: list[str], consumed: set[int], acronyms: set[int]) -> Iterator[Words]:
    """Maximal runs of content words: stop words (unless typed as acronyms) and lay phrases break a run."""
    run: list[str] = []
    for index, word in enumerate(words):
        if index in consumed or (word in STOP_WORDS and index not in acronyms):
            if run:
                yield tuple(run)
            run = []
        else:
            run.append(word)
    if run:
        yield tuple(run)


def _fts5_phrase(words: Words) -> str:
    return '"' + " ".join(words) + '"'


def fts5_match(query: SearchQuery) -> str:
    """An FTS5 MATCH expression: quoted words/phrases ORed, plus title-only copies of the person's phrases."""
    clauses = [_fts5_phrase(words) for words in query.clauses()]
    clauses += [f"title : {_fts5_phrase(words)}" for words in query.title_phrases]
    return " OR ".join(clauses)


def _pg_phrase(words: Words, weight: str = "") -> str:
    lexemes = [f"'{word}'{':' + weight if weight else ''}" for word in words]
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def pg_clauses(query: SearchQuery) -> list[tuple[str, float]]:
    """``to_tsquery`` texts with their weights (IDF): quoted lexemes, phrases joined by ``<->``,
    and title copies of the person's phrases restricted to weight A (title and synonyms)."""
    clauses = [(_pg_phrase(words), query.idf.get(words, 1.0)) for words in query.clauses()]
    clauses += [(_pg_phrase(words, "A"), query.idf.get(words, 1.0)) for words in query.title_phrases]
    return clauses


def pg_tsquery(query: SearchQuery) -> str:
    """All clauses ORed into one ``to_tsquery`` text (what a chunk must match at all)."""
    return " | ".join(text for text, _ in pg_clauses(query))
