"""A model that scores a history as a recency-weighted sum of item-to-item neighbour rows.

Scoring is a sparse row gather plus a dense add, so one history costs well under a millisecond on
an 18k-item catalogue, and a history that grows with PutEvents changes the scores immediately:
real-time behaviour comes from the history, not from retraining.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


class ItemToItemModel:
    """Scores = Σ_i decay^(age of i) · neighbours[i] + prior, over the last `max_history` items.

    `prior` (usually scaled popularity) ranks items no neighbour row reaches and is the answer for
    an empty or entirely unknown history, as Personalize answers unknown users with popular items.

    With `repeat_rates` (how often each item is interacted with again), neighbour scores are
    scaled to a maximum of one and each history item adds its repeat rate, weighted by
    `repeat_decay` ** age: re-buying is a different habit from moving on to the next item, with a
    longer memory (coffee bought a month ago is due again; a tent is not).

    With `item_features` (metadata, see item_features.py), items like the history's items add
    `metadata_weight` × their similarity (scaled to a maximum of one): a gentle pull towards the
    same categories that also reaches items without interactions.
    """

    def __init__(
        self,
        items: np.ndarray,
        neighbours: sp.csr_matrix,
        prior: np.ndarray,
        history_decay: float,
        max_history: int,
        repeat_rates: np.ndarray | None = None,
        repeat_decay: float = 1.0,
        item_features: sp.csr_matrix | None = None,
        metadata_weight: float = 0.0,
    ) -> None:
        self.items = items
        self.index = {item: code for code, item in enumerate(items.tolist())}
        self.neighbours = sp.csr_matrix(neighbours, dtype=np.float32)
        self.prior = np.asarray(prior, dtype=np.float32)
        self.history_decay = history_decay
        self.max_history = max_history
        self.repeat_rates = None if repeat_rates is None else np.asarray(repeat_rates, dtype=np.float32)
        self.repeat_decay = repeat_decay
        has_features = item_features is not None and item_features.nnz > 0 and metadata_weight > 0
        self.item_features = sp.csr_matrix(item_features, dtype=np.float32) if has_features else None
        self.metadata_weight = metadata_weight

    @classmethod
    def related_items(
        cls,
        items: np.ndarray,
        neighbours: sp.csr_matrix,
        counts: np.ndarray,
        item_features: sp.csr_matrix | None = None,
        metadata_weight: float = 0.0,
    ) -> ItemToItemModel:
        """A model asked about one item (SIMS-like): the item's row, and a tiny popularity prior
        that only orders items no co-interaction reaches."""
        return cls(
            items,
            neighbours,
            prior=1e-6 * counts / max(counts.max(), 1.0),
            history_decay=1.0,
            max_history=1,
            item_features=item_features,
            metadata_weight=metadata_weight,
        )

    def _recent(self, history: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known item codes of the recent history and their ages (newest = 0)."""
        codes = [self.index.get(item) for item in list(history)[-self.max_history :]]
        ages = np.arange(len(codes) - 1, -1, -1)
        known = np.array([code is not None for code in codes], dtype=bool)
        return np.array([code for code in codes if code is not None], dtype=np.int64), ages[known]

    def score_history(self, history: Sequence[str], timestamps: Sequence[int] | None = None) -> np.ndarray:
        """Scores for one history (timestamps are accepted for the contract; order is what
        matters here). The same sum as `score_histories`, gathered straight from the CSR arrays:
        for a single history, building sparse matrices costs more than the arithmetic."""
        codes, ages = self._recent(history)
        weights = (self.history_decay ** ages.astype(np.float32)).astype(np.float32)
        scores = _weighted_rows(self.neighbours, codes, weights)
        if self.repeat_rates is not None or self.item_features is not None:
            _scale_rows_to_one(scores[np.newaxis])
        if self.repeat_rates is not None:
            np.add.at(scores, codes, self.repeat_rates[codes] * self.repeat_decay**ages)
        if self.item_features is not None:
            similarity = self.item_features @ _weighted_rows(self.item_features, codes, weights)
            _scale_rows_to_one(similarity[np.newaxis])
            scores += self.metadata_weight * similarity
        return scores + self.prior

    def score_histories(self, histories: Sequence[Sequence[str]]) -> np.ndarray:
        """One score row per history, from one sparse product for all of them."""
        recent = [self._recent(history) for history in histories]
        rows = np.repeat(np.arange(len(histories)), [len(codes) for codes, _ in recent])
        codes = np.concatenate([codes for codes, _ in recent])
        ages = np.concatenate([ages for _, ages in recent]).astype(np.float32)
        shape = (len(histories), len(self.items))
        weights = sp.csr_matrix((self.history_decay**ages, (rows, codes)), shape=shape, dtype=np.float32)
        scores = (weights @ self.neighbours).toarray()
        if self.repeat_rates is not None or self.item_features is not None:
            _scale_rows_to_one(scores)
        if self.repeat_rates is not None:
            np.add.at(scores, (rows, codes), self.repeat_rates[codes] * self.repeat_decay**ages)
        if self.item_features is not None:
            scores += self.metadata_weight * self._similar_by_metadata(weights)
        return scores + self.prior

    def _similar_by_metadata(self, weights: sp.csr_matrix) -> np.ndarray:
        """Rows of metadata similarity to the weighted items, each scaled to a maximum of one."""
        similarity = ((weights @ self.item_features) @ self.item_features.T).toarray()
        _scale_rows_to_one(similarity)
        return similarity

    def score_item(self, item_id: str) -> np.ndarray | None:
        """The item's neighbour row plus the prior; the item itself never recommends itself."""
        code = self.index.get(item_id)
        if code is None:
            return None
        scores = self.neighbours[code].toarray()
        if self.item_features is not None:
            only = sp.csr_matrix(([1.0], ([0], [code])), shape=(1, len(self.items)), dtype=np.float32)
            _scale_rows_to_one(scores)
            scores += self.metadata_weight * self._similar_by_metadata(only)
        scores = scores.ravel() + self.prior
        scores[code] = -np.inf
        return scores


def _weighted_rows(matrix: sp.csr_matrix, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_k weights[k] · matrix[codes[k]] as one dense float32 row."""
    starts = matrix.indptr[codes]
    lengths = matrix.indptr[codes + 1] - starts
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.repeat(starts, lengths) + offsets
    values = matrix.data[positions] * np.repeat(weights, lengths)
    return np.bincount(matrix.indices[positions], weights=values, minlength=matrix.shape[1]).astype(
        np.float32
    )


def _scale_rows_to_one(scores: np.ndarray) -> None:
    """Divide each row by its maximum in place (rows without a positive score stay as they are)."""
    top = scores.max(axis=1, keepdims=True)
    scores /= np.where(top > 0, top, 1.0)
