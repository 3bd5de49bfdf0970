"""Trigram language model with interpolated modified Kneser-Ney smoothing, written as ARPA.

pocketsphinx's own ``ArpaBoLM`` reserves a fixed share of every context's probability for unseen
words and backs off to plain frequencies. Kneser-Ney (Chen & Goodman 1998, "An empirical study
of smoothing techniques for language modeling") discounts by how often each count occurs and
backs off to *continuation* counts: how many different words a word follows, not how often it
appears. That is what lets a model built from intake templates rank a phrase it never saw
("the itching is driving me mad") above acoustically similar word salad.

``BackoffTrigram`` holds any backoff trigram model as sorted numpy arrays, so that the domain
model and pocketsphinx's general-English model (millions of n-grams) can be queried in bulk and
linearly interpolated into the one model the recogniser loads (``interpolate``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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

    def to_backoff(self, words: Sequence[str]) -> BackoffTrigram:
        """This model as a ``BackoffTrigram`` over ``words`` (its vocabulary plus ``<s>``, any order).

        Interpolated Kneser-Ney is exactly a backoff model: an unseen n-gram's probability is the
        context's backoff weight times the lower order's.
        """
        index = {word: i for i, word in enumerate(words)}
        unigram_logp = np.array(
            [NO_PROBABILITY if word == START else math.log10(self.probability((word,))) for word in words]
        )
        unigram_backoff = np.array([self._log_backoff((word,)) for word in words])
        bigrams = sorted(self.counts[2])
        trigrams = sorted(self.counts[3])
        oldest, middle, newest = (np.array([index[gram[i]] for gram in trigrams], dtype=np.int64) for i in range(3))
        return BackoffTrigram.from_arrays(
            words,
            unigram_logp=unigram_logp,
            unigram_backoff=unigram_backoff,
            bigrams=(
                np.array([index[a] for a, _ in bigrams], dtype=np.int64),
                np.array([index[b] for _, b in bigrams], dtype=np.int64),
                np.array([math.log10(self.probability(gram)) for gram in bigrams]),
                np.array([self._log_backoff(gram) for gram in bigrams]),
            ),
            trigrams=(oldest, middle, newest, np.array([math.log10(self.probability(gram)) for gram in trigrams])),
        )

    def write_arpa(self, path: str | Path) -> None:
        self.to_backoff(sorted(self.vocabulary | {START})).write_arpa(path)

    def _log_backoff(self, context: Gram) -> float:
        return math.log10(self.backoff_weight(context)) if context in self.context_totals[len(context) + 1] else 0.0


def build_arpa(sentences: Iterable[str], path: str | Path, extra_vocabulary: Iterable[str] = ()) -> set[str]:
    """Write the model for these sentences to ``path``; returns its vocabulary."""
    model = KneserNeyTrigram((line.split() for line in sentences if line.strip()), extra_vocabulary)
    model.write_arpa(path)
    return model.vocabulary


NO_PROBABILITY = -99.0  # log10 probability ARPA gives <s>, which is never predicted
ARPA_CHUNK = 100_000


@dataclass(frozen=True, eq=False)
class BackoffTrigram:
    """A backoff trigram model as sorted arrays (log10, ARPA semantics), fast to query in bulk.

    Word ids index ``words``; a bigram's key is ``a * V + b`` and a trigram's ``(a * V + b) * V + c``
    with ``V = len(words)``, so lookups are binary searches over sorted int64 keys.
    """

    words: tuple[str, ...]
    unigram_logp: np.ndarray
    unigram_backoff: np.ndarray
    bigram_keys: np.ndarray
    bigram_logp: np.ndarray
    bigram_backoff: np.ndarray
    trigram_keys: np.ndarray
    trigram_logp: np.ndarray

    @classmethod
    def from_arrays(
        cls,
        words: Sequence[str],
        *,
        unigram_logp: np.ndarray,
        unigram_backoff: np.ndarray,
        bigrams: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        trigrams: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> BackoffTrigram:
        """Build from id columns: ``bigrams`` = (a, b, logp, backoff), ``trigrams`` = (a, b, c, logp)."""
        size = len(words)
        a, b, logp, backoff = bigrams
        bigram_keys = a.astype(np.int64) * size + b
        order = np.argsort(bigram_keys, kind="stable")
        x, y, z, trigram_logp = trigrams
        trigram_keys = (x.astype(np.int64) * size + y) * size + z
        trigram_order = np.argsort(trigram_keys, kind="stable")
        return cls(
            tuple(words),
            np.asarray(unigram_logp, dtype=np.float64),
            np.asarray(unigram_backoff, dtype=np.float64),
            bigram_keys[order],
            np.asarray(logp, dtype=np.float64)[order],
            np.asarray(backoff, dtype=np.float64)[order],
            trigram_keys[trigram_order],
            np.asarray(trigram_logp, dtype=np.float64)[trigram_order],
        )

    @property
    def size(self) -> int:
        return len(self.words)

    def bigram_logprob(self, keys: np.ndarray) -> np.ndarray:
        """log10 P(b | a) for bigram keys, backing off to the unigram where not stored."""
        found, index = _lookup(self.bigram_keys, keys)
        a, b = np.divmod(keys, self.size)
        return np.where(found, self.bigram_logp[index], self.unigram_backoff[a] + self.unigram_logp[b])

    def trigram_logprob(self, keys: np.ndarray) -> np.ndarray:
        """log10 P(c | a b) for trigram keys, backing off to the bigram where not stored."""
        found, index = _lookup(self.trigram_keys, keys)
        context, c = np.divmod(keys, self.size)
        context_found, context_index = _lookup(self.bigram_keys, context)
        backoff = np.where(context_found, self.bigram_backoff[context_index], 0.0)
        lower = self.bigram_logprob((context % self.size) * self.size + c)
        return np.where(found, self.trigram_logp[index], backoff + lower)

    def reindexed(self, words: Sequence[str]) -> BackoffTrigram:
        """This model over another vocabulary: n-grams with a word outside it are dropped.

        Unigram probabilities are renormalised over the kept words; bigram and trigram rows keep
        their stored values (they lose the share of dropped words, which only makes the model
        slightly pessimistic about those contexts).
        """
        target = {word: i for i, word in enumerate(words)}
        mapping = np.array([target.get(word, -1) for word in self.words], dtype=np.int64)
        unigram_logp = np.full(len(words), NO_PROBABILITY)
        unigram_backoff = np.zeros(len(words))
        kept = mapping >= 0
        unigram_logp[mapping[kept]] = self.unigram_logp[kept]
        unigram_backoff[mapping[kept]] = self.unigram_backoff[kept]
        predicted = unigram_logp > NO_PROBABILITY
        unigram_logp[predicted] -= math.log10(float(np.sum(10.0 ** unigram_logp[predicted])))

        a, b = (mapping[column] for column in np.divmod(self.bigram_keys, self.size))
        keep = (a >= 0) & (b >= 0)
        bigrams = (a[keep], b[keep], self.bigram_logp[keep], self.bigram_backoff[keep])
        context, c = np.divmod(self.trigram_keys, self.size)
        x, y, z = (mapping[column] for column in (*np.divmod(context, self.size), c))
        keep = (x >= 0) & (y >= 0) & (z >= 0)
        trigrams = (x[keep], y[keep], z[keep], self.trigram_logp[keep])
        return BackoffTrigram.from_arrays(
            words, unigram_logp=unigram_logp, unigram_backoff=unigram_backoff, bigrams=bigrams, trigrams=trigrams
        )

    def write_arpa(self, path: str | Path) -> None:
        with open(path, "w", encoding="utf-8") as arpa:
            arpa.writelines(f"{line}\n" for line in self._arpa_lines())

    def _arpa_lines(self) -> Iterator[str]:
        """The model in ARPA text, a line at a time (millions of lines: never all in memory)."""
        words, size = self.words, self.size
        yield from ["\\data\\", f"ngram 1={size}", f"ngram 2={len(self.bigram_keys)}"]
        yield from [f"ngram 3={len(self.trigram_keys)}", "", "\\1-grams:"]
        for word, logp, backoff in zip(words, self.unigram_logp.tolist(), self.unigram_backoff.tolist(), strict=True):
            yield f"{logp:.4f}\t{word}\t{backoff:.4f}"
        yield from ["", "\\2-grams:"]
        for start in range(0, len(self.bigram_keys), ARPA_CHUNK):
            chunk = slice(start, start + ARPA_CHUNK)
            a, b = np.divmod(self.bigram_keys[chunk], size)
            logps, backoffs = self.bigram_logp[chunk].tolist(), self.bigram_backoff[chunk].tolist()
            for i, j, logp, backoff in zip(a.tolist(), b.tolist(), logps, backoffs, strict=True):
                yield f"{logp:.4f}\t{words[i]} {words[j]}\t{backoff:.4f}"
        yield from ["", "\\3-grams:"]
        for start in range(0, len(self.trigram_keys), ARPA_CHUNK):
            chunk = slice(start, start + ARPA_CHUNK)
            context, c = np.divmod(self.trigram_keys[chunk], size)
            a, b = np.divmod(context, size)
            for i, j, k, logp in zip(
                a.tolist(), b.tolist(), c.tolist(), self.trigram_logp[chunk].tolist(), strict=True
            ):
                yield f"{logp:.4f}\t{words[i]} {words[j]} {words[k]}"
        yield from ["", "\\end\\"]


def interpolate(models: Sequence[BackoffTrigram], weights: Sequence[float]) -> BackoffTrigram:
    """One backoff model for the linear mixture ``sum(weight * P_model)`` of models over the same words.

    Every n-gram stored in any model is stored with its mixed probability; backoff weights are
    then recomputed so that each context's unstored words share exactly what the stored ones
    leave (as SRILM's static ``-mix-lm`` does). Queries outside the stored n-grams are
    approximate, as for any merge of backoff models into one.
    """
    words = models[0].words
    if any(model.words != words for model in models):
        raise ValueError("interpolated models must share one vocabulary (see BackoffTrigram.reindexed)")
    size = len(words)

    def mixed(logps: list[np.ndarray]) -> np.ndarray:
        return np.sum([weight * 10.0**logp for weight, logp in zip(weights, logps, strict=True)], axis=0)

    unigram_p = mixed([model.unigram_logp for model in models])
    unigram_logp = np.where(unigram_p > 0, np.log10(np.maximum(unigram_p, 1e-99)), NO_PROBABILITY)
    trigram_keys = np.unique(np.concatenate([model.trigram_keys for model in models]))
    bigram_keys = np.unique(np.concatenate([*(model.bigram_keys for model in models), trigram_keys // size]))
    bigram_p = mixed([model.bigram_logprob(bigram_keys) for model in models])
    trigram_p = mixed([model.trigram_logprob(trigram_keys) for model in models])
    a, b = np.divmod(bigram_keys, size)
    context, c = np.divmod(trigram_keys, size)

    unigram_backoff = _backoff_weights(a, bigram_p, 10.0 ** unigram_logp[b], size)

    def new_bigram_logp(keys: np.ndarray) -> np.ndarray:
        found, index = _lookup(bigram_keys, keys)
        first, second = np.divmod(keys, size)
        return np.where(found, np.log10(bigram_p[index]), unigram_backoff[first] + unigram_logp[second])

    _, context_index = _lookup(bigram_keys, context)
    lower = 10.0 ** new_bigram_logp((context % size) * size + c)
    bigram_backoff = _backoff_weights(context_index, trigram_p, lower, len(bigram_keys))
    return BackoffTrigram(
        words,
        unigram_logp,
        unigram_backoff,
        bigram_keys,
        np.log10(bigram_p),
        bigram_backoff,
        trigram_keys,
        np.log10(trigram_p),
    )


def _backoff_weights(context: np.ndarray, stored_p: np.ndarray, lower_p: np.ndarray, contexts: int) -> np.ndarray:
    """log10 of (1 - stored probability) / (1 - lower-order probability of the same words), per context."""
    left = 1.0 - np.bincount(context, weights=stored_p, minlength=contexts)
    lower_left = 1.0 - np.bincount(context, weights=lower_p, minlength=contexts)
    has_children = np.bincount(context, minlength=contexts) > 0
    ratio = np.maximum(left, 1e-6) / np.maximum(lower_left, 1e-6)
    return np.where(has_children, np.log10(ratio), 0.0)


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, index) of each key in ``sorted_keys``; index is clipped where not found."""
    index = np.minimum(np.searchsorted(sorted_keys, keys), max(len(sorted_keys) - 1, 0))
    found = (sorted_keys[index] == keys) if len(sorted_keys) else np.zeros(len(keys), dtype=bool)
    return found, index
