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

    def _weighted_histories(self, histories: Sequence[Sequence[str]]):
        """(rows, codes, ages, weights): each history's recent known items as (history row, item
        code, age) triples, and the histories × items matrix of their recency weights."""
        recent = [self._recent(history) for history in histories]
        rows = np.repeat(np.arange(len(histories)), [len(codes) for codes, _ in recent])
        codes = np.concatenate([codes for codes, _ in recent])
        ages = np.concatenate([ages for _, ages in recent]).astype(np.float32)
        shape = (len(histories), len(self.items))
        weights = sp.csr_matrix((self.history_decay**ages, (rows, codes)), shape=shape, dtype=np.float32)
        return rows, codes, ages, weights

    def score_histories(self, histories: Sequence[Sequence[str]]) -> np.ndarray:
        """One score row per history, from one sparse product for all of them."""
        rows, codes, ages, weights = self._weighted_histories(histories)
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

    def tied_ranks(
        self, histories: Sequence[Sequence[str]], seen: Sequence[np.ndarray], targets: np.ndarray
    ) -> np.ndarray:
        """validation.tied_rank of each history's target (an item code) in its `score_histories`
        row with its `seen` item codes but the target set to -inf: the same numbers, computed only
        on the items a history reaches (neighbour rows, metadata, its own and seen items, the
        target). Every other item's score is exactly its prior, so those are counted from the
        sorted prior: a few thousand numbers per history instead of the whole catalogue (choosing
        transition_window on 300k items scored 3 billion cells per candidate)."""
        sorted_prior = np.sort(self.prior)
        groups = None if self.item_features is None else _FeatureGroups(self.item_features, self.prior)
        ranks = np.empty(len(histories), dtype=np.float64)
        for begin in range(0, len(histories), RANK_CHUNK):
            end = begin + RANK_CHUNK
            ranks[begin:end] = self._chunk_tied_ranks(
                histories[begin:end], seen[begin:end], np.asarray(targets[begin:end]), sorted_prior, groups
            )
        return ranks

    def _chunk_tied_ranks(
        self, histories, seen, targets: np.ndarray, sorted_prior: np.ndarray, groups: _FeatureGroups | None
    ) -> np.ndarray:
        n_items = len(self.items)
        rows, codes, ages, weights = self._weighted_histories(histories)
        base = sp.csr_matrix(weights @ self.neighbours)
        base_keys = _row_keys(base)
        base_values = base.data
        if self.repeat_rates is not None or self.item_features is not None:
            base_values = base_values / _row_divisors(base)[base_keys // n_items]
        seen_rows = np.repeat(np.arange(len(seen)), [len(codes) for codes in seen])
        seen_keys = seen_rows * n_items + np.concatenate(seen).astype(np.int64)
        target_keys = np.arange(len(targets)) * n_items + targets.astype(np.int64)
        history_keys = rows * n_items + codes
        keys = np.sort(np.concatenate([base_keys, history_keys, seen_keys, target_keys]))
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]  # np.unique, without hashing
        key_rows, key_items = keys // n_items, keys % n_items
        # The dense path's operations, in its order, on the reached entries only.
        values = np.zeros(len(keys), dtype=np.float32)
        values[np.searchsorted(keys, base_keys)] = base_values
        if self.repeat_rates is not None:
            increments = self.repeat_rates[codes] * self.repeat_decay**ages
            np.add.at(values, np.searchsorted(keys, history_keys), increments)
        prior = self.prior[key_items]
        background = prior  # what the key's item would score if nothing but metadata reached it
        if groups is not None:
            # Metadata reaches every item sharing a value with the history (tens of thousands), but
            # items with the same feature row get the same similarity: it is computed per group.
            similarity = groups.similarity(weights)
            pair_keys = _row_keys(similarity)
            pair_rows = pair_keys // similarity.shape[1]
            covered = np.bincount(pair_rows, weights=groups.sizes[similarity.indices], minlength=len(targets))
            divisors = _row_divisors(similarity, covered < n_items)
            pair_scores = self.metadata_weight * (similarity.data / divisors[pair_rows])
            order = np.argsort(pair_keys, kind="stable")
            sorted_pair_keys = pair_keys[order]
            wanted = key_rows * similarity.shape[1] + groups.group_of[key_items]
            found = np.minimum(np.searchsorted(sorted_pair_keys, wanted), max(len(order) - 1, 0))
            hit = (sorted_pair_keys[found] == wanted) if len(order) else np.zeros(len(keys), dtype=bool)
            key_metadata = np.zeros(len(keys), dtype=np.float32)
            key_metadata[hit] = pair_scores[order[found[hit]]]
            values[hit] += key_metadata[hit]
            background = key_metadata + prior
        scores = values + prior
        excluded = seen_keys[seen_keys != target_keys[seen_rows]]
        scores[np.searchsorted(keys, excluded)] = -np.inf
        target_scores = scores[np.searchsorted(keys, target_keys)]
        target_of_key = target_scores[key_rows]
        n = len(targets)
        # Every item not among the keys scores its background: its prior, plus its group's metadata
        # score where metadata reaches it. Those are counted over all items, less the keys' own.
        prior_above = len(sorted_prior) - np.searchsorted(sorted_prior, target_scores, side="right")
        prior_at_least = len(sorted_prior) - np.searchsorted(sorted_prior, target_scores, side="left")
        background_above = prior_above
        background_tied = prior_at_least - prior_above
        if groups is not None and len(pair_keys):
            above_pairs, at_least_pairs = groups.count_above(
                similarity.indices, pair_scores, target_scores[pair_rows]
            )
            background_above = background_above + np.bincount(pair_rows, weights=above_pairs, minlength=n)
            background_tied = background_tied + np.bincount(
                pair_rows, weights=at_least_pairs - above_pairs, minlength=n
            )
        above = (
            np.bincount(key_rows[scores > target_of_key], minlength=n)
            + background_above
            - np.bincount(key_rows[background > target_of_key], minlength=n)
        )
        tied = (
            np.bincount(key_rows[scores == target_of_key], minlength=n)
            + background_tied
            - np.bincount(key_rows[background == target_of_key], minlength=n)
            - 1
        )
        return 1.0 + above + tied / 2.0

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


RANK_CHUNK = 256  # histories per sparse product in tied_ranks


def _row_keys(matrix: sp.csr_matrix) -> np.ndarray:
    """row × n_columns + column of each stored entry of a CSR matrix, in storage order."""
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows * matrix.shape[1] + matrix.indices


def _row_divisors(matrix: sp.csr_matrix, unstored: np.ndarray | None = None) -> np.ndarray:
    """What `_scale_rows_to_one` divides each row of `matrix.toarray()` by: the row's maximum
    (unstored entries are zeros) where it is positive, else one. `unstored`: whether each row has
    unstored (zero) entries, when that is not whether it stores fewer entries than columns."""
    counts = np.diff(matrix.indptr)
    top = np.zeros(matrix.shape[0], dtype=np.float32)
    stored = counts > 0
    if stored.any():
        top[stored] = np.maximum.reduceat(matrix.data, matrix.indptr[:-1][stored])
    if unstored is None:
        unstored = counts < matrix.shape[1]
    top = np.where(unstored, np.maximum(top, np.float32(0.0)), top)
    return np.where(top > 0, top, np.float32(1.0)).astype(np.float32)


class _FeatureGroups:
    """The items grouped by identical metadata feature rows (300k synthetic products: 27k groups),
    each group's items in ascending prior, so that a history's metadata similarity is computed once
    per group and its items scoring above a target are counted by binary search in the group."""

    def __init__(self, item_features: sp.csr_matrix, prior: np.ndarray) -> None:
        group_of_row: dict[bytes, int] = {}
        group_of = np.empty(item_features.shape[0], dtype=np.int64)
        first: list[int] = []
        indptr, indices, data = item_features.indptr, item_features.indices, item_features.data
        for item in range(item_features.shape[0]):
            row = slice(indptr[item], indptr[item + 1])
            signature = indices[row].tobytes() + b"|" + data[row].tobytes()
            group = group_of_row.setdefault(signature, len(first))
            if group == len(first):
                first.append(item)
            group_of[item] = group
        self.group_of = group_of
        # The groups' feature rows, bit for bit their items' rows: the same products, in the same order.
        self.rows_transposed = sp.csr_matrix(item_features[np.array(first, dtype=np.int64)].T)
        self.sizes = np.bincount(group_of, minlength=len(first)).astype(np.float64)
        order = np.lexsort((prior, group_of))
        self.sorted_prior = prior[order]
        self.starts = np.searchsorted(group_of[order], np.arange(len(first) + 1))
        self.item_features = item_features

    def similarity(self, weights: sp.csr_matrix) -> sp.csr_matrix:
        """Histories × groups: what `(weights @ F) @ F.T` stores for each of the group's items."""
        return sp.csr_matrix((weights @ self.item_features) @ self.rows_transposed)

    def count_above(self, groups: np.ndarray, scores: np.ndarray, targets: np.ndarray):
        """For each (group, metadata score, target score): how many of the group's items score
        above the target, and how many at least the target, less those whose prior alone does
        (each item's score is metadata score + prior, in float32 as the dense path adds them)."""
        return self._count(groups, scores, targets, True), self._count(groups, scores, targets, False)

    def _count(self, groups: np.ndarray, scores: np.ndarray, targets: np.ndarray, strict: bool) -> np.ndarray:
        """count_above's numbers for one comparison, searched only where the group's lowest and
        highest priors do not settle them (everyone below the target, or above it even without
        the metadata score: most pairs)."""
        lowest = self.sorted_prior[self.starts[groups]]
        highest = self.sorted_prior[self.starts[groups + 1] - 1]
        top = scores + highest
        some = top > targets if strict else top >= targets
        not_all = ~(lowest > targets if strict else lowest >= targets)
        search = np.flatnonzero(some & not_all)
        counts = np.zeros(len(groups), dtype=np.float64)
        if len(search):
            subset = groups[search], scores[search], targets[search]
            without = self._first(subset[0], np.zeros_like(subset[1]), subset[2], strict)
            counts[search] = without - self._first(*subset, strict)
        return counts

    def _first(self, groups: np.ndarray, scores: np.ndarray, targets: np.ndarray, strict: bool):
        """Per pair, the first position in its group's sorted priors whose item scores above
        (`strict`) or at least the target: float32 addition is monotonic, so a binary search."""
        low, high = self.starts[groups].copy(), self.starts[groups + 1].copy()
        active = np.flatnonzero(low < high)
        while len(active):
            middle = (low[active] + high[active]) // 2
            total = scores[active] + self.sorted_prior[middle]
            passes = total > targets[active] if strict else total >= targets[active]
            high[active[passes]] = middle[passes]
            low[active[~passes]] = middle[~passes] + 1
            active = active[low[active] < high[active]]
        return low


def _scale_rows_to_one(scores: np.ndarray) -> None:
    """Divide each row by its maximum in place (rows without a positive score stay as they are)."""
    top = scores.max(axis=1, keepdims=True)
    scores /= np.where(top > 0, top, 1.0)
