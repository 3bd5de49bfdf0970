"""Reads the trigram model pocketsphinx ships (``en-us.lm.bin``) into a ``BackoffTrigram``.

The wheel's general-English model (72,547 words, 2.0 M bigrams, 1.7 M trigrams) is stored in
sphinxbase's binary trie, a port of KenLM's: quantised probabilities in bit-packed arrays, each
n-gram stored newest word first under its shorter suffix. pocketsphinx can score n-grams from it
but not list them (its ARPA writer asserts on this very file), and listing them is what mixing it
with the domain model needs. The layout read here is that of ``lm_trie.c``/``lm_trie_quant.c``
in pocketsphinx 5: header, order, counts, quantisation tables, unigrams, then one bit array per
order.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from consultations.providers.stt_lm import BackoffTrigram

HEADER = b"Trie Language Model"
QUANT_BITS = 16  # per probability and per backoff, in every middle and the longest order
LOG10_OF_SPHINX_BASE = math.log10(1.0001)  # values are stored in pocketsphinx's log base
UNIGRAM_RECORD = np.dtype([("prob", "<f4"), ("backoff", "<f4"), ("next", "<u4")])


def read_sphinx_trie(path: str | Path) -> BackoffTrigram:
    """The trigram model in a pocketsphinx binary trie file, as log10 probabilities."""
    data = Path(path).read_bytes()
    if not data.startswith(HEADER):
        raise ValueError(f"{path} is not a pocketsphinx trie language model")
    position = len(HEADER)
    order = data[position]
    if order != 3:
        raise ValueError(f"{path} is a {order}-gram model; only trigram models are supported")
    counts = struct.unpack_from("<3I", data, position + 1)
    position += 1 + 4 * order + 4  # order, counts, then an unused int before the tables
    table_size = 1 << QUANT_BITS
    tables = np.frombuffer(data, dtype="<f4", count=3 * table_size, offset=position).astype(np.float64)
    tables *= LOG10_OF_SPHINX_BASE
    bigram_prob_table, bigram_backoff_table, trigram_prob_table = np.split(tables, 3)
    position += 4 * len(tables)  # float32 on disk
    unigrams = np.frombuffer(data, dtype=UNIGRAM_RECORD, count=counts[0] + 1, offset=position)
    position += UNIGRAM_RECORD.itemsize * (counts[0] + 1)

    word_bits = _required_bits(counts[0])
    next_bits = _required_bits(counts[2])
    middle_bits = word_bits + 2 * QUANT_BITS + next_bits
    longest_bits = word_bits + QUANT_BITS
    memory = np.frombuffer(data, dtype=np.uint8)
    middle_start = position
    longest_start = middle_start + _array_bytes(counts[1], middle_bits)
    words_start = longest_start + _array_bytes(counts[2], longest_bits)

    # Level 2 entries sit under their newest word (a unigram), level 3 under a level-2 entry.
    newest = _owners(unigrams["next"].astype(np.int64))
    entries = np.arange(len(newest) + 1, dtype=np.int64) * middle_bits + middle_start * 8
    middle_word = _bits(memory, entries[:-1], word_bits)
    middle_backoff = bigram_backoff_table[_bits(memory, entries[:-1] + word_bits, QUANT_BITS)]
    middle_prob = bigram_prob_table[_bits(memory, entries[:-1] + word_bits + QUANT_BITS, QUANT_BITS)]
    middle_next = _bits(memory, entries + word_bits + 2 * QUANT_BITS, next_bits)

    owner = _owners(middle_next)
    entries = np.arange(len(owner), dtype=np.int64) * longest_bits + longest_start * 8
    oldest = _bits(memory, entries, word_bits)
    trigram_prob = trigram_prob_table[_bits(memory, entries + word_bits, QUANT_BITS)]

    (size,) = struct.unpack_from("<I", data, words_start)
    words = data[words_start + 4 : words_start + 4 + size].decode("utf-8", "replace").split("\0")[: counts[0]]
    return BackoffTrigram.from_arrays(
        words,
        unigram_logp=unigrams["prob"][:-1] * LOG10_OF_SPHINX_BASE,
        unigram_backoff=unigrams["backoff"][:-1] * LOG10_OF_SPHINX_BASE,
        bigrams=(middle_word, newest, middle_prob, middle_backoff),
        trigrams=(oldest, middle_word[owner], newest[owner], trigram_prob),
    )


def _required_bits(max_value: int) -> int:
    return int(max_value).bit_length()


def _array_bytes(entries: int, bits_per_entry: int) -> int:
    """Size of one order's bit array: one extra entry for the last next-pointer, 8 bytes of slack."""
    return ((1 + entries) * bits_per_entry + 7) // 8 + 8


def _owners(next_pointers: np.ndarray) -> np.ndarray:
    """For each entry of the next order, the index of the entry whose range holds it."""
    return np.repeat(np.arange(len(next_pointers) - 1), np.diff(next_pointers))


def _bits(memory: np.ndarray, bit_offsets: np.ndarray, width: int) -> np.ndarray:
    """Little-endian ``width``-bit fields (width ≤ 25) at the given bit offsets."""
    first = bit_offsets >> 3
    word = memory[first].astype(np.uint64)
    for byte in (1, 2, 3):
        word |= memory[first + byte].astype(np.uint64) << np.uint64(8 * byte)
    return ((word >> (bit_offsets & 7).astype(np.uint64)) & np.uint64((1 << width) - 1)).astype(np.int64)
