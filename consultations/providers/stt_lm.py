"""Trigram language model with interpolated modified Kneser-Ney smoothing, written as ARPA.

pocketsphinx's own ``ArpaBoLM`` reserves a fixed share of every context's probability for unseen
words and backs off to plain frequencies. Kneser-Ney (Chen & Goodman 1998, "An empirical study
of smoothing techniques for language modeling") discounts by how often each count occurs and
backs off to *continuation* counts: how many different words a word follows, not how often it
appears. That is what lets a model built from intake templates rank a phrase it never saw
("the itching is driving me mad") above acoustically similar word salad.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

START, END = "<s>", "</s>"
Gram = tuple[str, ...]


def _discounts(counts: Iterable[int]) -> tuple[float, float, float]:
    """D1, D2, D3+ from the count-of-counts (Chen & Goodman's estimates)."""
    n = Counter(count for count in counts if count <= 4)
    n1, n2, n3, n4 = (max(n[k], 1) for k in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2)
    return (
        min(max(1 - 2 * y * n2 / n1, 0.05), 0.95),
        min(max(2 - 3 * y * n3 / n2, 0.05), 1.95),
        min(max(3 - 4 * y * n4 / n3, 0.05), 2.95),
    )


def _discount(count: int, discounts: tuple[float, float, float]) -> float:
    return discounts[min(count, 3) - 1]


class KneserNeyTrigram:
    def __init__(self, sentences: Iterable[list[str]], extra_vocabulary: Iterable[str] = ()) -> None:
        trigrams: Counter[Gram] = Counter()
        start_bigrams: Counter[Gram] = Counter()
        for words in sentences:
            tokens = [START, *words, END]
            start_bigrams[(tokens[0], tokens[1])] += 1
            for i in range(len(tokens) - 2):
                trigrams[tuple(tokens[i : i + 3])] += 1
        # Lower orders count distinct left neighbours; grams at a sentence start have none, so
        # they keep their raw counts (as SRILM does).
        bigrams: Counter[Gram] = Counter(gram[1:] for gram in trigrams)
        for gram, count in start_bigrams.items():
            bigrams[gram] += count
        unigrams: Counter[Gram] = Counter(gram[1:] for gram in bigrams)
        self.vocabulary = (
            {gram[0] for gram in unigrams} | {word for gram in trigrams for word in gram} | set(extra_vocabulary)
        )
        self.vocabulary.discard(START)
        self.counts = {1: unigrams, 2: bigrams, 3: trigrams}
        self.discounts = {order: _discounts(counts.values()) for order, counts in self.counts.items()}
        self.context_totals: dict[int, dict[Gram, tuple[int, float]]] = {}
        for order, counts in self.counts.items():
            totals: dict[Gram, int] = defaultdict(int)
            reserved: dict[Gram, float] = defaultdict(float)
            for gram, count in counts.items():
                totals[gram[:-1]] += count
                reserved[gram[:-1]] += _discount(count, self.discounts[order])
            self.context_totals[order] = {context: (totals[context], reserved[context]) for context in totals}
        self._probabilities: dict[Gram, float] = {}

    def backoff_weight(self, context: Gram) -> float:
        """Share of the context's probability left for its lower-order model (gamma in KN)."""
        total, reserved = self.context_totals[len(context) + 1][context]
        return reserved / total

    def probability(self, gram: Gram) -> float:
        if gram in self._probabilities:
            return self._probabilities[gram]
        order = len(gram)
        if order == 1:
            total, reserved = self.context_totals[1][()]
            count = self.counts[1].get(gram, 0)
            seen = max(count - _discount(count, self.discounts[1]), 0.0) / total if count else 0.0
            value = seen + reserved / total / len(self.vocabulary)
        else:
            context = gram[:-1]
            lower = self.probability(gram[1:])
            if context not in self.context_totals[order]:
                value = lower
            else:
                total, reserved = self.context_totals[order][context]
                count = self.counts[order].get(gram, 0)
                seen = max(count - _discount(count, self.discounts[order]), 0.0) / total if count else 0.0
                value = seen + reserved / total * lower
        self._probabilities[gram] = value
        return value

    def write_arpa(self, path: str | Path) -> None:
        contexts = {order: set(self.context_totals[order + 1]) for order in (1, 2)}
        unigrams = sorted(self.vocabulary)
        bigrams = sorted(self.counts[2])
        trigrams = sorted(self.counts[3])
        lines = ["\\data\\", f"ngram 1={len(unigrams) + 1}", f"ngram 2={len(bigrams)}", f"ngram 3={len(trigrams)}", ""]
        lines.append("\\1-grams:")
        lines.append(f"-99.0000\t{START}\t{math.log10(self.backoff_weight((START,))):.4f}")
        for word in unigrams:
            lines.append(self._arpa_line((word,), contexts[1]))
        lines += ["", "\\2-grams:"]
        lines += [self._arpa_line(gram, contexts[2]) for gram in bigrams]
        lines += ["", "\\3-grams:"]
        lines += [f"{math.log10(self.probability(gram)):.4f}\t{' '.join(gram)}" for gram in trigrams]
        lines += ["", "\\end\\", ""]
        Path(path).write_text("\n".join(lines), encoding="utf-8")

    def _arpa_line(self, gram: Gram, contexts: set[Gram]) -> str:
        line = f"{math.log10(self.probability(gram)):.4f}\t{' '.join(gram)}"
        if gram in contexts:
            line += f"\t{math.log10(self.backoff_weight(gram)):.4f}"
        return line


def build_arpa(sentences: Iterable[str], path: str | Path, extra_vocabulary: Iterable[str] = ()) -> set[str]:
    """Write the model for these sentences to ``path``; returns its vocabulary."""
    model = KneserNeyTrigram((line.split() for line in sentences if line.strip()), extra_vocabulary)
    model.write_arpa(path)
    return model.vocabulary
