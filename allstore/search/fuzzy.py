"""Fuzzy expansion: which indexed terms a (possibly misspelt) query word stands for, and how much each counts.

Lucene answers a fuzzy query by expanding the word into the index terms within the edit distance,
each scored by BM25 times `1 - edits / min(len)`, with document frequencies blended across the
expansions so a rare misspelling in the index does not outscore the common correct word. tantivy's
own fuzzy query only matches (every hit scores the same), so this module finds the expansions
itself: it reads the field's terms that share the word's first letter from the term dictionary
(a cheap prefix scan, cached until the next refresh) and computes edit distances for all of them at
once with Hyyrö's bit-parallel algorithm vectorised in numpy. So the first letter must be right:
fuzzy matching here behaves as OpenSearch's with `prefix_length: 1` (its default is 0). That is
the price of speed: tantivy's own fuzzy automaton costs milliseconds per word and field.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import tantivy

MAX_EXPANSIONS = 50  # OpenSearch's default `max_expansions`
MAX_WORD_LENGTH = 63  # the bit-parallel distance keeps one bit per letter of the word in a uint64
MAX_CACHED_WORDS = 10_000  # expansions remembered per refresh: shoppers repeat searches


@dataclass(frozen=True)
class Expansion:
    term: str
    weight: float  # similarity boost times the IDF blending factor


@dataclass(frozen=True)
class _Bucket:
    """The terms of one field that start with one letter, letters as dense ids, one row per position."""

    terms: list[str]
    doc_freqs: np.ndarray
    alphabet: dict[str, int]  # letter → id; 0 pads ends of shorter terms
    letters: np.ndarray  # (longest term, terms) of letter ids
    lengths: np.ndarray


class TermExpander:
    """Fuzzy expansions against one searcher's term dictionary (create a new one after each refresh)."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._expansions: dict[tuple[str, str, int, bool, int, int], list[Expansion]] = {}
        self._lock = threading.Lock()

    def expand(
        self,
        field: str,
        word: str,
        distance: int,
        transpositions: bool = True,
        prefix_length: int = 1,
        max_expansions: int = MAX_EXPANSIONS,
    ) -> list[Expansion]:
        """Up to `max_expansions` index terms of `field` within `distance` edits of `word` and sharing
        its first `prefix_length` letters (at least one), closest and most frequent first."""
        if not word or len(word) > MAX_WORD_LENGTH:
            return []
        key = (field, word, distance, transpositions, max(1, prefix_length), max_expansions)
        expansions = self._expansions.get(key)
        if expansions is None:
            expansions = self._compute(*key)
            with self._lock:
                if len(self._expansions) >= MAX_CACHED_WORDS:
                    self._expansions.clear()
                self._expansions[key] = expansions
        return expansions

    def _compute(
        self,
        field: str,
        word: str,
        distance: int,
        transpositions: bool,
        prefix_length: int,
        max_expansions: int,
    ) -> list[Expansion]:
        bucket = self._bucket(field, word[0])
        if not bucket.terms:
            return []
        close = np.abs(bucket.lengths - len(word)) <= distance
        if prefix_length > 1:
            prefix = word[:prefix_length]
            close &= np.array([term.startswith(prefix) for term in bucket.terms])
        if not close.any():
            return []
        indices = np.flatnonzero(close)
        distances = edit_distances(
            word, bucket.alphabet, bucket.letters[:, indices], bucket.lengths[indices], transpositions
        )
        within = distances <= distance
        indices, distances = indices[within], distances[within]
        if indices.size == 0:
            return []
        shorter = np.minimum(bucket.lengths[indices], len(word))
        similarity = 1.0 - distances / shorter
        doc_freqs = bucket.doc_freqs[indices]
        order = np.lexsort((-doc_freqs, -similarity))[:max_expansions]
        blended_idf = self._idf(int(doc_freqs[order].max()))
        return [
            Expansion(
                bucket.terms[indices[i]], float(similarity[i]) * blended_idf / self._idf(int(doc_freqs[i]))
            )
            for i in order
            if similarity[i] > 0
        ]

    def _idf(self, doc_freq: int) -> float:
        documents = max(self.searcher.num_docs, doc_freq)
        return math.log(1 + (documents - doc_freq + 0.5) / (doc_freq + 0.5))

    def _bucket(self, field: str, letter: str) -> _Bucket:
        key = (field, letter)
        bucket = self._buckets.get(key)
        if bucket is None:
            pairs = self.searcher.terms_with_prefix(field, letter)
            bucket = _make_bucket(pairs)
            with self._lock:
                self._buckets[key] = bucket
        return bucket


def _make_bucket(pairs: list[tuple[str, int]]) -> _Bucket:
    kept = [(term, count) for term, count in pairs if len(term) <= MAX_WORD_LENGTH + 2]
    terms = [term for term, _count in kept]
    alphabet = {
        letter: number for number, letter in enumerate(sorted({c for term in terms for c in term}), 1)
    }
    lengths = np.array([len(term) for term in terms], dtype=np.int64)
    letters = np.zeros((int(lengths.max()) if terms else 0, len(terms)), dtype=np.int32)
    for column, term in enumerate(terms):
        letters[: len(term), column] = [alphabet[c] for c in term]
    doc_freqs = np.array([count for _term, count in kept], dtype=np.int64)
    return _Bucket(terms, doc_freqs, alphabet, letters, lengths)


def edit_distances(
    word: str, alphabet: dict[str, int], letters: np.ndarray, lengths: np.ndarray, transpositions: bool = True
) -> np.ndarray:
    """Edit distance from `word` to each candidate: column j of `letters` (ids from `alphabet`), of
    which the first `lengths[j]` rows are the candidate's letters. With `transpositions`, swapping two
    adjacent letters is one edit (optimal string alignment distance), as in OpenSearch's default.

    Hyyrö's bit-parallel algorithm (after Myers): one uint64 bit vector per candidate, one step per
    letter position, all candidates at once. A candidate's score stops changing past its end.
    """
    m = len(word)
    count = letters.shape[1]
    one = np.uint64(1)
    shift = np.uint64(m - 1)
    # Bit i of masks[id] is set when word[i] is that letter; letters absent from the word match nothing.
    masks = np.zeros(len(alphabet) + 1, dtype=np.uint64)
    for position, letter in enumerate(word):
        if letter in alphabet:
            masks[alphabet[letter]] |= np.uint64(1 << position)
    positive = np.full(count, (1 << m) - 1, dtype=np.uint64)
    negative = np.zeros(count, dtype=np.uint64)
    diagonal_zero = np.zeros(count, dtype=np.uint64)
    previous_equal = np.zeros(count, dtype=np.uint64)
    score = np.full(count, m, dtype=np.int64)
    for row in range(min(letters.shape[0], int(lengths.max(initial=0)))):
        equal = masks[letters[row]]
        swapped = ((~diagonal_zero & equal) << one) & previous_equal if transpositions else 0
        diagonal_zero = (((equal & positive) + positive) ^ positive) | equal | negative | swapped
        previous_equal = equal
        plus = negative | ~(diagonal_zero | positive)
        minus = diagonal_zero & positive
        step = ((plus >> shift) & one).astype(np.int64) - ((minus >> shift) & one).astype(np.int64)
        score += np.where(row < lengths, step, 0)
        plus = (plus << one) | one
        minus = minus << one
        positive = minus | ~(diagonal_zero | plus)
        negative = plus & diagonal_zero
    return score
