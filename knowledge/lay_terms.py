"""Phrase maps that turn the words people use into the words MedlinePlus uses.

Two sources, one shape (``PhraseMap``):
- ``lay_terms()``: a hand-written lay -> clinical vocabulary (``data/lay_terms.json``):
  "tummy ache" -> abdominal pain, "can't sleep" -> insomnia, "water infection" -> urinary
  tract infection.
- ``corpus_synonyms(topics)``: learned from the corpus itself. Every topic's title, "also
  called" synonyms and MeSH headings name the same thing, so a query that uses one name is
  expanded with the others ("Glycohemoglobin" -> A1C, "Sleep Initiation and Maintenance
  Disorders" -> Insomnia).

Pure Python: no Django.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LAY_TERMS_PATH = Path(__file__).resolve().parent / "data" / "lay_terms.json"
MAX_PHRASE_WORDS = 6
# A name shared by more topics than this is too broad to expand ("Pain", "Cancer").
MAX_TOPICS_PER_NAME = 2
MAX_EXPANSIONS_PER_MATCH = 4

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")

Words = tuple[str, ...]


def original_case_words(text: str) -> list[str]:
    """Words with apostrophes dropped ("Can't" -> "Cant"); punctuation and emoji go."""
    return _WORD.findall(_APOSTROPHES.sub("", unicodedata.normalize("NFKC", text)))


def normalise_words(text: str) -> list[str]:
    """Lower-case words with apostrophes dropped ("Can't" -> "cant"); punctuation and emoji go."""
    return [word.casefold() for word in original_case_words(text)]


def fold(word: str) -> str:
    """A crude plural fold used only to match phrase keys ("kidney stones" ~ "kidney stone")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _key(words: Sequence[str]) -> Words:
    return tuple(fold(word) for word in words)


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int
    expansions: tuple[Words, ...]


class PhraseMap:
    """Phrase (a tuple of words) -> expansion phrases, matched longest-first in a word list."""

    def __init__(self, entries: dict[Words, list[Words]]) -> None:
        self._entries = {_key(key): tuple(dict.fromkeys(values)) for key, values in entries.items() if key}
        self._longest = min(MAX_PHRASE_WORDS, max((len(key) for key in self._entries), default=0))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, words: Sequence[str]) -> tuple[Words, ...]:
        return self._entries.get(_key(words), ())

    def matches(self, words: Sequence[str]) -> list[PhraseMatch]:
        """Non-overlapping matches, scanning left to right and preferring the longest phrase."""
        found: list[PhraseMatch] = []
        start = 0
        while start < len(words):
            match = self._longest_at(words, start)
            if match is None:
                start += 1
                continue
            found.append(match)
            start = match.end
        return found

    def _longest_at(self, words: Sequence[str], start: int) -> PhraseMatch | None:
        for size in range(min(self._longest, len(words) - start), 0, -1):
            expansions = self.get(words[start : start + size])
            if expansions:
                return PhraseMatch(start, start + size, expansions)
        return None


@lru_cache(maxsize=1)
def lay_terms(path: Path = LAY_TERMS_PATH) -> PhraseMap:
    with open(path, encoding="utf-8") as handle:
        terms: dict[str, list[str]] = json.load(handle)["terms"]
    entries = {
        tuple(normalise_words(lay)): [tuple(normalise_words(clinical)) for clinical in clinicals]
        for lay, clinicals in terms.items()
    }
    return PhraseMap(entries)


def topic_names(title: str, synonyms: Iterable[str], mesh_terms: Iterable[str]) -> list[Words]:
    """Every name a topic goes by, as word tuples, title first.

    "COVID-19 (Coronavirus Disease 2019)" also yields its two halves; an inverted MeSH heading
    ("Abortion, Induced") is put in natural order ("induced abortion").
    """
    raw = [title, *_parenthesised_halves(title), *synonyms, *(_natural_order(term) for term in mesh_terms)]
    names = [tuple(normalise_words(name)) for name in raw]
    return list(dict.fromkeys(name for name in names if name))


def _parenthesised_halves(name: str) -> list[str]:
    match = re.fullmatch(r"\s*(.+?)\s*\((.+)\)\s*", name)
    return [match.group(1), match.group(2)] if match else []


def _natural_order(term: str) -> str:
    head, sep, qualifier = term.partition(", ")
    if not sep or "," in qualifier:
        return term
    return f"{qualifier} {head}"


def _inverted_mesh(mesh_terms: Iterable[str]) -> list[Words]:
    return [tuple(normalise_words(term)) for term in mesh_terms if _natural_order(term) != term]


def corpus_synonyms(topics: Iterable[tuple[str, Iterable[str], Iterable[str]]]) -> PhraseMap:
    """Learn name -> other names of the same topic from (title, synonyms, mesh_terms) triples."""
    owners: dict[Words, list[list[Words]]] = defaultdict(list)
    for title, synonyms, mesh_terms in topics:
        names = topic_names(title, synonyms, mesh_terms)
        for name in [*names, *_inverted_mesh(mesh_terms)]:
            owners[_key(name)].append(names)
    entries: dict[Words, list[Words]] = {}
    for key, name_lists in owners.items():
        if len(name_lists) > MAX_TOPICS_PER_NAME:
            continue
        others = [name for names in name_lists for name in names if _key(name) != key]
        if others:
            entries[key] = others[:MAX_EXPANSIONS_PER_MATCH]
    return PhraseMap(entries)
