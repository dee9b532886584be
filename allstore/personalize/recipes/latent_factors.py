"""Low-rank item embeddings: what the recipe pages' `hidden_dimension` hyperparameters size here.

Personalize's neural recipes learn `hidden_dimension` hidden variables per item (Similar-Items:
`item_id_hidden_dimension` for item IDs, `item_metadata_hidden_dimension` for item metadata). The
local models are item-to-item graphs, which have no such variables of their own; when one of those
hyperparameters is set (in algorithmHyperParameters, or chosen by HPO from an hpoConfig range), the
model gains them: a truncated SVD of the users × items matrix of that rank (PureSVD), whose item
factors V score a history h as V (Vᵀ h) — the history folded into the latent space, so events sent
with PutEvents change the scores at once, as the item graph's do — blended into the graph's scores
with the recipe's `latent_weight`. Unset, nothing is computed and the models are exactly the
item-to-item ones (their speed and measured figures unchanged).

The SVD is a randomized one (Halko, Martinsson & Tropp 2011: a range finder with power iterations,
then the small eigenproblem), deterministic for a seed, vectorised with numpy and scipy.sparse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

OVERSAMPLING = 10  # extra random directions in the range finder
POWER_ITERATIONS = 3  # passes of AᵀA sharpening the range towards the top singular vectors


def item_factors(matrix: sp.spmatrix, rank: int, seed: int = 0) -> np.ndarray:
    """Items × `rank` float32: the top right singular vectors of `matrix` (rows × items), orthonormal
    columns (PureSVD's projection is V Vᵀ); fewer columns when the matrix has fewer non-zero
    singular values than `rank`."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    n_rows, n_items = matrix.shape
    rank = max(0, min(rank, n_rows, n_items))
    if rank == 0 or matrix.nnz == 0:
        return np.zeros((n_items, 0), dtype=np.float32)
    width = min(rank + OVERSAMPLING, n_items)
    transposed = matrix.T.tocsr()
    random = np.random.default_rng(seed).standard_normal((n_rows, width)).astype(np.float32)
    basis = _orthonormal(transposed @ random)
    for _ in range(POWER_ITERATIONS):
        basis = _orthonormal(transposed @ (matrix @ basis))
    # Vᵀ AᵀA V restricted to the basis: a width × width eigenproblem gives the singular directions.
    projected = transposed @ (matrix @ basis)
    small = basis.T @ projected
    values, vectors = np.linalg.eigh((small + small.T) / 2)
    order = np.argsort(values)[::-1][:rank]
    kept = order[values[order] > values.max() * 1e-6] if len(order) else order
    return np.ascontiguousarray(basis @ vectors[:, kept], dtype=np.float32)


def _orthonormal(block: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the block's columns (reduced QR)."""
    return np.linalg.qr(np.asarray(block, dtype=np.float32))[0].astype(np.float32)


def interaction_matrix(user_codes: np.ndarray, item_codes: np.ndarray, n_users: int, n_items: int):
    """Users × items, 1 where a user interacted with an item (repeats count once), each user's row
    scaled to unit length so that very long histories do not dominate the factors."""
    matrix = sp.csr_matrix(
        (np.ones(len(item_codes), dtype=np.float32), (user_codes, item_codes)),
        shape=(n_users, n_items),
        dtype=np.float32,
    )
    matrix.data[:] = 1.0
    lengths = np.sqrt(np.diff(matrix.indptr)).astype(np.float32)
    lengths[lengths == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / lengths) @ matrix, dtype=np.float32)


def metadata_embedding(features: sp.csr_matrix, rank: int, seed: int = 0) -> sp.csr_matrix:
    """Items × `rank`: the rank-`rank` approximation of the item-metadata feature matrix F (its
    projection F V onto the top right singular vectors), so that inner products of two items'
    embeddings approximate F Fᵀ through `rank` hidden variables."""
    factors = item_factors(features, rank, seed)  # (n_features, k): the feature-side directions
    if factors.shape[1] == 0:
        return sp.csr_matrix((features.shape[0], 0), dtype=np.float32)
    return sp.csr_matrix(np.asarray(features @ factors, dtype=np.float32))


class LatentBlend:
    """A model's scores plus `weight` × the latent scores V (Vᵀ h) of the same history, each row of
    latent scores scaled to a maximum of one (as the item models scale their components).

    `base` is an item-to-item model (`ItemToItemModel`): its item index, history window and
    recency decay decide which items h holds and how much each weighs."""

    def __init__(self, base, factors: np.ndarray, weight: float) -> None:
        self.base = base
        self.items = base.items
        self.factors = np.asarray(factors, dtype=np.float32)
        self.weight = float(weight)

    def __getattr__(self, name: str):
        # Everything else (neighbours, prior, ...) is the base model's.
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def _latent(self, rows: np.ndarray) -> np.ndarray:
        """Latent scores for rows of history weights in factor space (one row per history)."""
        scores = rows @ self.factors.T
        top = scores.max(axis=1, keepdims=True)
        return scores / np.where(top > 0, top, 1.0)

    def _folded(self, history: Sequence[str]) -> np.ndarray:
        codes, ages = self.base._recent(history)
        weights = (self.base.history_decay ** ages.astype(np.float32)).astype(np.float32)
        return weights @ self.factors[codes] if len(codes) else np.zeros(self.factors.shape[1], np.float32)

    def score_history(self, history: Sequence[str], timestamps: Sequence[int] | None = None) -> np.ndarray:
        scores = self.base.score_history(history, timestamps)
        return scores + self.weight * self._latent(self._folded(history)[np.newaxis])[0]

    def score_histories(self, histories: Sequence[Sequence[str]]) -> np.ndarray:
        scores = self.base.score_histories(histories)
        folded = np.stack([self._folded(history) for history in histories]) if len(histories) else None
        if folded is None:
            return scores
        return scores + self.weight * self._latent(folded)

    def score_item(self, item_id: str) -> np.ndarray | None:
        scores = self.base.score_item(item_id)
        if scores is None:
            return None
        code = self.base.index[item_id]
        scores = scores + self.weight * self._latent(self.factors[code][np.newaxis])[0]
        scores[code] = -np.inf
        return scores
