"""Cuts a streamed LLM reply into speakable chunks for TTS.

Whole sentences give the best prosody, but waiting for the first full stop delays the first
audio, so (as Pipecat and LiveKit Agents do) the *first* chunk of a reply may end at a clause
boundary once it is long enough; later chunks are synthesised while earlier ones play, so they
wait for the sentence end. A hard length limit stops a run-on sentence from holding audio back.
"""

from __future__ import annotations

import re

TITLES = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "vs", "approx", "fig"})
ALWAYS_INNER = frozenset({"e.g", "i.e", "a.m", "p.m", "u.s", "u.k"})
SOFT_ABBREVIATIONS = frozenset({"etc", "min", "mins", "hr", "hrs", "wk", "wks", "mg", "ml", "kg", "lb", "lbs"})
CLOSERS = "\"')]}»”’"
SENTENCE_END = re.compile(r"([.!?…]+)([" + re.escape(CLOSERS) + r"]*)(\s+)")
CLAUSE_END = re.compile(r"([,;:—–])\s+")
PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+\.)\s)")


class SentenceChunker:
    """Feed text deltas with ``push``; get complete chunks back; ``flush`` at the end of the reply."""

    def __init__(self, *, first_clause_min_chars: int = 20, max_chars: int = 220) -> None:
        self.first_clause_min_chars = first_clause_min_chars
        self.max_chars = max_chars
        self._buffer = ""
        self._emitted = 0

    def push(self, delta: str) -> list[str]:
        self._buffer += delta
        chunks = []
        while (cut := self._next_cut()) is not None:
            chunk, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
            if chunk:
                chunks.append(chunk)
                self._emitted += 1
        return chunks

    def flush(self) -> str:
        """The rest of the reply ("" if nothing is left); the chunker is then ready for the next."""
        rest, self._buffer = self._buffer.strip(), ""
        self._emitted = 0
        return rest

    def _next_cut(self) -> int | None:
        for cut in (self._sentence_cut(), self._paragraph_cut()):
            if cut is not None:
                return cut
        if self._emitted == 0 and len(self._buffer) >= self.first_clause_min_chars:
            clause = self._clause_cut()
            if clause is not None:
                return clause
        if len(self._buffer) > self.max_chars:
            return self._forced_cut()
        return None

    def _sentence_cut(self) -> int | None:
        for match in SENTENCE_END.finditer(self._buffer):
            verdict = self._ends_sentence(match)
            if verdict is None:
                return None  # undecidable until more text arrives
            if verdict:
                return match.end()
        return None

    def _ends_sentence(self, match: re.Match[str]) -> bool | None:
        """True/False, or None when the next word has not arrived yet."""
        punctuation, rest = match.group(1), self._buffer[match.end() :]
        word = _word_before(self._buffer, match.start())
        if punctuation == ".":
            if word.lower() in TITLES or word.lower() in ALWAYS_INNER or _is_initial(word):
                return False
            if word.isdigit() and _starts_line(self._buffer, match.start() - len(word)):
                return False  # a list marker: "1. Rest"
            if word.lower() in SOFT_ABBREVIATIONS:
                return _next_starts_sentence(rest)
        if punctuation in ("...", "…", "…."):
            return _next_starts_sentence(rest)
        return True

    def _paragraph_cut(self) -> int | None:
        match = PARAGRAPH.search(self._buffer)
        return match.end() if match and self._buffer[: match.start()].strip() else None

    def _clause_cut(self) -> int | None:
        cuts = [m.end() for m in CLAUSE_END.finditer(self._buffer) if m.start() >= self.first_clause_min_chars - 1]
        return cuts[0] if cuts else None

    def _forced_cut(self) -> int:
        head = self._buffer[: self.max_chars]
        clauses = [m.end() for m in CLAUSE_END.finditer(head)]
        if clauses:
            return clauses[-1]
        space = head.rfind(" ")
        return space if space > 0 else self.max_chars


def _word_before(text: str, end: int) -> str:
    match = re.search(r"([\w.]+)$", text[:end])
    return match.group(1) if match else ""


def _starts_line(text: str, index: int) -> bool:
    return not text[:index].strip() or text[:index].rstrip(" \t").endswith("\n")


def _is_initial(word: str) -> bool:
    """A single capital letter before a full stop ("J. Smith") is a name initial."""
    return len(word) == 1 and word.isalpha() and word.isupper()


def _next_starts_sentence(rest: str) -> bool | None:
    stripped = rest.lstrip()
    if not stripped:
        return None
    return stripped[0].isupper() or stripped[0].isdigit()
