"""Item-to-item matrices built from interaction sequences, vectorised over all users at once.

The personalised recipes score a history as a weighted sum of rows of an item-to-item matrix, so
everything a model knows is in sparse matrices built here: which items follow which (transitions,
closer steps weigh more), which items share users (co-occurrence), normalised against popularity
so that best-sellers do not dominate every row, and pruned to each row's strongest neighbours so
that scoring a history touches a few thousand numbers, not the whole catalogue squared.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from allstore.personalize.recipes.base import TrainingData


def user_ordered(data: TrainingData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user_codes, item_codes) of the rows selected by the boolean mask `rows`, sorted by user,
    then time; equal timestamps keep their order."""
    order = np.lexsort((data.timestamps, data.user_codes))
    order = order[rows[order]]
    return data.user_codes[order], data.item_codes[order]


def sequence_pairs(
    user_codes: np.ndarray, item_codes: np.ndarray, window: int, step_decay: float, n_items: int
) -> sp.csr_matrix:
    """Forward transitions: entry (a, b) sums `step_decay ** (d - 1)` over every time b comes d
    steps after a in the same user's sequence, for d up to `window`. The diagonal counts repeat
    interactions, so a model learns how often each item is bought again (groceries often,
    tents rarely)."""
    rows, cols, weights = [], [], []
    for distance in range(1, min(window, len(item_codes) - 1) + 1):
        same_user = user_codes[:-distance] == user_codes[distance:]
        rows.append(item_codes[:-distance][same_user])
        cols.append(item_codes[distance:][same_user])
        weights.append(np.full(int(same_user.sum()), step_decay ** (distance - 1), dtype=np.float32))
    if not rows:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )


def user_item_matrix(user_codes: np.ndarray, item_codes: np.ndarray, n_users: int, n_items: int):
    """Binary users × items matrix (repeat interactions count once)."""
    matrix = sp.csr_matrix(
        (np.ones(len(item_codes), dtype=np.float32), (user_codes, item_codes)),
        shape=(n_users, n_items),
        dtype=np.float32,
    )
    matrix.data[:] = 1.0
    return matrix


def popularity_normalised(matrix: sp.csr_matrix, counts: np.ndarray, row_power: float, col_power: float):
    """Divide entry (a, b) by count(a) ** row_power * count(b) ** col_power (cosine at 0.5, 0.5)."""
    safe = np.maximum(counts, 1.0).astype(np.float32)
    scaled = sp.diags(safe**-row_power) @ matrix @ sp.diags(safe**-col_power)
    return sp.csr_matrix(scaled, dtype=np.float32)


def top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k largest entries (vectorised: one sort over all non-zeros)."""
    matrix = sp.csr_matrix(matrix)
    matrix.sum_duplicates()
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((-matrix.data, row_of))
    rank_in_row = np.arange(len(order)) - matrix.indptr[row_of[order]]
    keep = order[rank_in_row < k]
    return sp.csr_matrix(
        (matrix.data[keep], (row_of[keep], matrix.indices[keep])), shape=matrix.shape, dtype=np.float32
    )


def blended_neighbours(
    user_codes: np.ndarray,
    item_codes: np.ndarray,
    n_users: int,
    n_items: int,
    *,
    window: int,
    step_decay: float,
    backward_weight: float,
    cooccurrence_weight: float,
    popularity_discount: float,
    neighbours: int,
) -> sp.csr_matrix:
    """Transitions (forward plus `backward_weight` of backward) plus `cooccurrence_weight` of
    whole-history co-occurrence, rows divided by the source item's count ** popularity_discount,
    pruned to each row's top `neighbours`. Inputs sorted by user, then time (`user_ordered`).

    Rows keep their raw scale on purpose: an item seen before many others is better evidence than
    one seen once, and normalising rows to sum to one measurably hurt next-item accuracy."""
    forward = sequence_pairs(user_codes, item_codes, window, step_decay, n_items)
    blended = forward + backward_weight * forward.T.tocsr()
    if cooccurrence_weight > 0:
        together = user_item_matrix(user_codes, item_codes, n_users, n_items)
        cooccurrence = (together.T @ together).tocsr()
        cooccurrence.setdiag(0)
        blended = blended + cooccurrence_weight * cooccurrence
    counts = np.bincount(item_codes, minlength=n_items).astype(np.float32)
    return top_k_per_row(popularity_normalised(blended, counts, popularity_discount, 0.0), neighbours)


def drop_rare_pairs(
    matrix: sp.csr_matrix, user_codes: np.ndarray, item_codes: np.ndarray, n_users: int, min_users: int
) -> sp.csr_matrix:
    """Zero the entries of item pairs that fewer than `min_users` users share (SIMS's
    min_cointeraction_count): one shared user is weak evidence on a large catalogue."""
    if min_users <= 1:
        return matrix
    together = user_item_matrix(user_codes, item_codes, n_users, matrix.shape[0])
    shared = (together.T @ together).multiply(matrix > 0).tocsr()
    kept = matrix.multiply(shared >= min_users).tocsr()
    kept.eliminate_zeros()
    return sp.csr_matrix(kept, dtype=np.float32)


def repeat_rates(user_codes: np.ndarray, item_codes: np.ndarray, n_items: int, prior_strength: float):
    """Per item, the share of its interactions that are repeats (the user had it before),
    shrunk towards the overall share by `prior_strength` pseudo-interactions so that an item seen
    twice does not get a rate of 0 or 1 from chance."""
    pair = user_codes.astype(np.int64) * n_items + item_codes
    first = np.zeros(len(pair), dtype=bool)
    first[np.unique(pair, return_index=True)[1]] = True
    repeats = np.bincount(item_codes[~first], minlength=n_items).astype(np.float32)
    counts = np.bincount(item_codes, minlength=n_items).astype(np.float32)
    overall = repeats.sum() / max(counts.sum(), 1.0)
    return (repeats + prior_strength * overall) / (counts + prior_strength)
