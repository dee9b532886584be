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


def user_order(data: TrainingData, rows: np.ndarray) -> np.ndarray:
    """The indices of the rows selected by the boolean mask `rows`, sorted by user, then time;
    equal timestamps keep their order (np.lexsort((timestamps, user_codes)), with the user sort a
    linear radix sort)."""
    by_time = np.argsort(data.timestamps, kind="stable")  # one pass when rows are in time order
    order = by_time[stable_argsort(data.user_codes[by_time])]
    return order[rows[order]]


def stable_argsort(codes: np.ndarray) -> np.ndarray:
    """np.argsort(codes, kind="stable") of non-negative integer codes below 2**32, in linear time:
    numpy sorts 16-bit keys stably by radix (timsort otherwise), so the codes are sorted by their
    low 16 bits, then stably by their high 16 bits."""
    codes = np.asarray(codes)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.intp)
    if codes.min() < 0 or codes.max() >= 2**32:
        return np.argsort(codes, kind="stable")
    if codes.max() < 2**16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    order = np.argsort((codes & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((codes[order] >> 16).astype(np.uint16), kind="stable")]


def user_ordered(data: TrainingData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user_codes, item_codes) of the rows selected by the boolean mask `rows`, in `user_order`."""
    order = user_order(data, rows)
    return data.user_codes[order], data.item_codes[order]


def sequence_pairs(
    user_codes: np.ndarray,
    item_codes: np.ndarray,
    window: int,
    step_decay: float,
    n_items: int,
    row_weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Forward transitions: entry (a, b) sums `step_decay ** (d - 1)` over every time b comes d
    steps after a in the same user's sequence, for d up to `window`. The diagonal counts repeat
    interactions, so a model learns how often each item is bought again (groceries often,
    tents rarely). With `row_weights` (each interaction's event weight) a pair also weighs the
    geometric mean of its two interactions' weights: the same either way round, so the backward
    flow (the transpose) weighs alike, and a pair of one event type weighs that type's weight."""
    # Built a block of source items at a time, each block's pairs in the order one pass over all
    # pairs lists them (by distance, then position), so every row sums the same numbers in the
    # same order as one whole-matrix construction, without all pairs (12 bytes each, twice while
    # converting) in memory at once. Rows are written into arrays sized for every pair but only
    # touched as far as the summed entries reach.
    n_rows = len(item_codes)
    steps = max(0, min(window, n_rows - 1))
    reach = _reach(user_codes, steps)
    if reach is None:
        capacity = sum(int(np.count_nonzero(user_codes[:-d] == user_codes[d:])) for d in range(1, steps + 1))
    else:
        capacity = int(reach.sum(dtype=np.int64))
    if capacity == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    index_dtype = np.int32 if max(capacity, n_rows, n_items) < 2**31 else np.int64
    positions_by_item = stable_argsort(item_codes).astype(index_dtype)
    per_item = np.bincount(item_codes, minlength=n_items)
    item_starts = np.concatenate([[0], np.cumsum(per_item)])
    offsets = np.arange(1, steps + 1, dtype=index_dtype)
    decays = np.array([step_decay ** (distance - 1) for distance in offsets.tolist()], dtype=np.float32)
    indices = np.empty(capacity, dtype=index_dtype)
    data = np.empty(capacity, dtype=np.float32)
    indptr = np.zeros(n_items + 1, dtype=index_dtype)
    roots = None if row_weights is None else np.sqrt(row_weights, dtype=np.float32)
    filled = 0
    for start, stop in _row_blocks(per_item * steps):
        positions = positions_by_item[item_starts[start] : item_starts[stop]]
        rows = np.repeat(np.arange(stop - start, dtype=index_dtype), per_item[start:stop])
        rows, sources, targets, per_distance = _block_pairs(positions, rows, reach, user_codes, offsets)
        cols = item_codes[targets]
        weights = np.repeat(decays, per_distance)
        if roots is not None:
            weights *= roots[sources] * roots[targets]
        block = sp.csr_matrix((weights, (rows, cols)), shape=(stop - start, n_items), dtype=np.float32)
        indices[filled : filled + block.nnz] = block.indices
        data[filled : filled + block.nnz] = block.data
        indptr[start + 1 : stop + 1] = filled + block.indptr[1:]
        filled += block.nnz
    return sp.csr_matrix((data[:filled], indices[:filled], indptr), shape=(n_items, n_items), copy=False)


def _reach(user_codes: np.ndarray, steps: int) -> np.ndarray | None:
    """When each user's rows are consecutive (inputs in user order), how many of the next `steps`
    rows are the same user's, per row; else None (a user's next row may be anywhere)."""
    if len(user_codes) == 0:
        return None
    change = np.flatnonzero(user_codes[1:] != user_codes[:-1]) + 1
    if len(change) + 1 != np.count_nonzero(np.bincount(user_codes)):
        return None
    ends = np.concatenate([change, [len(user_codes)]])
    following = np.repeat(ends, np.diff(ends, prepend=0)) - np.arange(1, len(user_codes) + 1)
    return np.minimum(following, steps).astype(np.min_scalar_type(steps))


def _block_pairs(positions, rows, reach, user_codes, offsets):
    """(rows, sources, targets, pairs per distance) of the pairs from `positions` (their matrix
    rows `rows`), by distance, then as `positions` lists them. With `reach` (consecutive users),
    the positions still within their user's rows are kept from one distance to the next; else each
    position's next users are read together, as one (position, distance) array (one gather per
    distance read about 80 scattered numbers an interaction at window 20)."""
    if reach is not None:
        remaining = reach[positions]
        kept_rows, sources, per_distance = [], [], []
        for distance in offsets.tolist():
            within = remaining >= distance
            positions, rows, remaining = positions[within], rows[within], remaining[within]
            kept_rows.append(rows)
            sources.append(positions)
            per_distance.append(len(positions))
        sources = np.concatenate(sources)
        return np.concatenate(kept_rows), sources, sources + np.repeat(offsets, per_distance), per_distance
    n_rows = len(user_codes)
    following = positions[:, np.newaxis] + offsets
    targets = np.minimum(following, n_rows - 1)
    same_user = (user_codes[targets] == user_codes[positions][:, np.newaxis]) & (following < n_rows)
    kept = same_user.T  # a transposed view: boolean indexing reads it distance-major
    return (
        np.broadcast_to(rows, kept.shape)[kept],
        np.broadcast_to(positions, kept.shape)[kept],
        targets.T[kept],
        np.count_nonzero(kept, axis=1),
    )


def user_item_matrix(
    user_codes: np.ndarray,
    item_codes: np.ndarray,
    n_users: int,
    n_items: int,
    row_weights: np.ndarray | None = None,
):
    """Binary users × items matrix (repeat interactions count once). With `row_weights`, an entry
    is the square root of the largest weight among the user's interactions with the item, so that
    the co-occurrence of two items weighs the geometric mean of their weights, as transitions do."""
    matrix = sp.csr_matrix(
        (np.ones(len(item_codes), dtype=np.float32), (user_codes, item_codes)),
        shape=(n_users, n_items),
        dtype=np.float32,
    )
    if row_weights is None:
        matrix.data[:] = 1.0
        return matrix
    pairs = user_codes.astype(np.int64) * n_items + item_codes
    distinct, position = np.unique(pairs, return_inverse=True)
    largest = np.zeros(len(distinct), dtype=np.float32)
    np.maximum.at(largest, position, row_weights)
    return sp.csr_matrix(
        (np.sqrt(largest), (distinct // n_items, distinct % n_items)),
        shape=(n_users, n_items),
        dtype=np.float32,
    )


def popularity_normalised(matrix: sp.csr_matrix, counts: np.ndarray, row_power: float, col_power: float):
    """Divide entry (a, b) by count(a) ** row_power * count(b) ** col_power (cosine at 0.5, 0.5)."""
    safe = np.maximum(counts, 1.0).astype(np.float32)
    scaled = sp.diags(safe**-row_power) @ matrix @ sp.diags(safe**-col_power)
    return sp.csr_matrix(scaled, dtype=np.float32)


def scaled_rows(matrix: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """sp.diags(scale) @ matrix as float32, without the sparse product: each stored entry times its
    row's scale (the product's float32 multiplication), entries that become zero dropped as the
    product drops them, each row's entries in their order (the product left them unsorted, so
    sorting them was part of pruning). `matrix` holds no duplicate entries."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    data = matrix.data * np.repeat(scale, np.diff(matrix.indptr))
    scaled = sp.csr_matrix((data, matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape)
    scaled.eliminate_zeros()
    return scaled


def top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k largest entries; of equal values at the cut, the lowest columns (as a
    stable sort by row, then descending value would). Rows of at most k entries are kept whole;
    in longer ones a partition of (row, value) keys at each row's k-th place finds its k-th largest
    value, and the entries above it and the first equal ones up to k are kept, in column order."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    long_rows = counts > k
    if not long_rows.any():
        return matrix
    in_long = np.flatnonzero(np.repeat(long_rows, counts))
    lengths = counts[long_rows]
    local_row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    descending = _descending_keys(matrix.data[in_long])
    # Each row's k-th key in its sorted place, by one partition at every row's k-th position.
    kth_positions = np.cumsum(lengths) - lengths + k - 1
    kth = np.partition((local_row << 32) | descending, kth_positions)[kth_positions] & 0xFFFFFFFF
    threshold = kth[local_row]
    above = descending < threshold
    # Of the entries equal to the threshold, the first ones in column order fill the row up to k.
    tied = np.flatnonzero(descending == threshold)
    tied_rows = local_row[tied]
    tie_rank = np.arange(1, len(tied) + 1) - np.searchsorted(tied_rows, tied_rows)
    room = k - np.bincount(local_row[above], minlength=len(lengths))
    kept_in_long = above
    kept_in_long[tied[tie_rank <= room[tied_rows]]] = True
    keep = np.ones(matrix.nnz, dtype=bool)
    keep[in_long] = kept_in_long
    kept_counts = counts.copy()
    kept_counts[long_rows] = k
    indptr = np.concatenate([[0], np.cumsum(kept_counts)]).astype(matrix.indptr.dtype)
    return sp.csr_matrix(
        (matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape, dtype=np.float32
    )


def _descending_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys (32 bits) that sort float32 `values` from largest to smallest; equal values
    (0.0 and -0.0 included) get equal keys."""
    bits = (values + np.float32(0.0)).view(np.uint32)  # -0.0 + 0.0 is 0.0
    # IEEE order as unsigned order: flip every bit of negatives, only the sign bit of the others.
    flip = (np.uint32(0) - (bits >> np.uint32(31))) | np.uint32(0x80000000)
    return (~(bits ^ flip)).astype(np.int64)


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
    row_weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Transitions (forward plus `backward_weight` of backward) plus `cooccurrence_weight` of
    whole-history co-occurrence, rows divided by the source item's count ** popularity_discount,
    pruned to each row's top `neighbours`. Inputs sorted by user, then time (`user_ordered`).

    Rows keep their raw scale on purpose: an item seen before many others is better evidence than
    one seen once, and normalising rows to sum to one measurably hurt next-item accuracy.

    `row_weights` (each interaction's event weight, in the inputs' order) weighs transitions and
    co-occurrences (see sequence_pairs) and item counts (a sum of weights)."""
    forward = sequence_pairs(user_codes, item_codes, window, step_decay, n_items, row_weights)
    backward = forward.T.tocsr()
    cost = np.diff(forward.indptr) + np.diff(backward.indptr)
    if cooccurrence_weight > 0:
        together = user_item_matrix(user_codes, item_codes, n_users, n_items, row_weights)
        by_item = together.T.tocsr()
        cost = cost + by_item @ np.diff(together.indptr)  # entries a block's co-occurrence rows touch
    counts = np.bincount(item_codes, weights=row_weights, minlength=n_items).astype(np.float32)
    row_scale = np.maximum(counts, 1.0).astype(np.float32) ** -popularity_discount
    # Every step is row-wise, so rows are built in blocks of bounded size and stacked: the same
    # numbers as one whole-matrix pass, without the catalogue-squared co-occurrence in memory.
    blocks = []
    for start, stop in _row_blocks(cost):
        blended = forward[start:stop] + backward_weight * backward[start:stop]
        if cooccurrence_weight > 0:
            cooccurrence = (by_item[start:stop] @ together).tocsr()
            _zero_diagonal(cooccurrence, start)
            blended = blended + cooccurrence_weight * cooccurrence
        scaled = scaled_rows(blended, row_scale[start:stop])
        blocks.append(top_k_per_row(scaled, neighbours))
    return sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)


BLOCK_ENTRIES = 1 << 23  # about 100 MB of transient sparse entries per block of rows


def _row_blocks(cost: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive row ranges whose summed cost stays near BLOCK_ENTRIES (at least one row each)."""
    total = np.cumsum(cost, dtype=np.int64)
    if len(total) == 0:
        return [(0, 0)]
    targets = np.arange(1, 1 + int(total[-1]) // BLOCK_ENTRIES) * BLOCK_ENTRIES
    edges = np.unique(
        np.concatenate([[0], np.searchsorted(total, targets) + 1, [len(cost)]]).clip(0, len(cost))
    )
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


def _zero_diagonal(block: sp.csr_matrix, start: int) -> None:
    """Set the stored entries (row, start + row) to zero, as setdiag(0) does on the whole matrix."""
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    block.data[block.indices == rows + start] = 0


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


def repeat_rates(
    user_codes: np.ndarray,
    item_codes: np.ndarray,
    n_items: int,
    prior_strength: float,
    row_weights: np.ndarray | None = None,
):
    """Per item, the share of its interactions that are repeats (the user had it before),
    shrunk towards the overall share by `prior_strength` pseudo-interactions so that an item seen
    twice does not get a rate of 0 or 1 from chance. With `row_weights`, interactions count by
    their event weight."""
    pair = user_codes.astype(np.int64) * n_items + item_codes
    first = np.zeros(len(pair), dtype=bool)
    first[np.unique(pair, return_index=True)[1]] = True
    repeat_weights = None if row_weights is None else row_weights[~first]
    repeats = np.bincount(item_codes[~first], weights=repeat_weights, minlength=n_items).astype(np.float32)
    counts = np.bincount(item_codes, weights=row_weights, minlength=n_items).astype(np.float32)
    overall = repeats.sum() / max(counts.sum(), 1.0)
    return (repeats + prior_strength * overall) / (counts + prior_strength)
