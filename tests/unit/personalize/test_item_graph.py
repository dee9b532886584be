"""The item-to-item matrix built in row blocks (bounded memory) has exactly the numbers of one
whole-matrix pass, so recommendations and the figures in docs/recipes.md do not move."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from allstore.data import synthetic
from allstore.personalize.evaluation import leave_one_out, solution_metrics
from allstore.personalize.recipes import base, get_recipe, item_features, item_graph, item_model, validation
from allstore.personalize.recipes.base import TrainingData

STORE = synthetic.generate_store(items=400, interactions=20_000)
DATA = TrainingData.from_columns(
    STORE.user_ids[STORE.events.user], STORE.catalogue.asins[STORE.events.item], STORE.events.timestamp
)
USER_CODES, ITEM_CODES = item_graph.user_ordered(DATA, np.ones(len(DATA.user_codes), dtype=bool))
N_USERS, N_ITEMS = len(DATA.users), len(DATA.items)


def all_pairs_at_once(user_codes, item_codes, window, step_decay, n_items, row_weights=None):
    """sequence_pairs as it was: every pair in one array (by distance, then position), one matrix."""
    rows, cols, weights = [], [], []
    for distance in range(1, min(window, len(item_codes) - 1) + 1):
        same_user = user_codes[:-distance] == user_codes[distance:]
        rows.append(item_codes[:-distance][same_user])
        cols.append(item_codes[distance:][same_user])
        weights.append(np.full(int(same_user.sum()), step_decay ** (distance - 1), dtype=np.float32))
        if row_weights is not None:
            roots = np.sqrt(row_weights, dtype=np.float32)
            weights[-1] *= roots[:-distance][same_user] * roots[distance:][same_user]
    if not rows:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )


def whole_matrix(window, step_decay, backward_weight, cooccurrence_weight, popularity_discount, neighbours):
    """The formula as one pass over the whole catalogue-squared matrix."""
    forward = all_pairs_at_once(USER_CODES, ITEM_CODES, window, step_decay, N_ITEMS)
    blended = forward + backward_weight * forward.T.tocsr()
    if cooccurrence_weight > 0:
        together = item_graph.user_item_matrix(USER_CODES, ITEM_CODES, N_USERS, N_ITEMS)
        cooccurrence = (together.T @ together).tocsr()
        cooccurrence.setdiag(0)
        blended = blended + cooccurrence_weight * cooccurrence
    counts = np.bincount(ITEM_CODES, minlength=N_ITEMS).astype(np.float32)
    scaled = item_graph.popularity_normalised(blended, counts, popularity_discount, 0.0)
    return lexsort_top_k(scaled, neighbours)


@pytest.mark.parametrize(
    "settings",
    [(20, 0.9, 0.3, 0.0, 0.2, 200), (3, 0.5, 1.0, 0.3, 0.5, 200), (10, 0.9, 0.3, 0.05, 0.2, 7)],
)
@pytest.mark.parametrize("block_entries", [1, 5_000, 1 << 23])
def test_blocks_give_the_whole_matrix_numbers(monkeypatch, settings, block_entries) -> None:
    monkeypatch.setattr(item_graph, "BLOCK_ENTRIES", block_entries)
    window, step_decay, backward_weight, cooccurrence_weight, popularity_discount, neighbours = settings
    blocked = item_graph.blended_neighbours(
        USER_CODES,
        ITEM_CODES,
        N_USERS,
        N_ITEMS,
        window=window,
        step_decay=step_decay,
        backward_weight=backward_weight,
        cooccurrence_weight=cooccurrence_weight,
        popularity_discount=popularity_discount,
        neighbours=neighbours,
    )
    expected = whole_matrix(*settings)
    for matrix in (blocked, expected):
        matrix.sort_indices()
    assert blocked.shape == expected.shape
    np.testing.assert_array_equal(blocked.indptr, expected.indptr)
    np.testing.assert_array_equal(blocked.indices, expected.indices)
    np.testing.assert_array_equal(blocked.data, expected.data)
    assert isinstance(blocked, sp.csr_matrix) and blocked.dtype == np.float32


def test_row_blocks_cover_every_row_once_within_the_budget(monkeypatch) -> None:
    monkeypatch.setattr(item_graph, "BLOCK_ENTRIES", 100)
    cost = np.random.default_rng(0).integers(0, 60, 500)
    blocks = item_graph._row_blocks(cost)
    assert blocks[0][0] == 0 and blocks[-1][1] == 500
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(blocks))
    assert all(cost[start : stop - 1].sum() <= 100 for start, stop in blocks)


def test_smaller_score_chunks_give_the_same_metrics(monkeypatch) -> None:
    """Large catalogues score fewer users per chunk (bounded memory); the figures do not move."""
    recipe = get_recipe("aws-user-personalization")
    hyperparameters = {"transition_window": "3"}
    whole = (leave_one_out(recipe, DATA, hyperparameters), solution_metrics(recipe, DATA, hyperparameters))
    monkeypatch.setattr(validation, "SCORE_CELLS", 3 * N_ITEMS)
    assert validation.chunk_users(N_ITEMS) == 3
    chunked = (leave_one_out(recipe, DATA, hyperparameters), solution_metrics(recipe, DATA, hyperparameters))
    assert chunked[0] == whole[0]
    assert chunked[1] == pytest.approx(whole[1], rel=1e-12)


@pytest.mark.parametrize("extra", [None, [], ["zz", "u3", "a-new-item"]])
@pytest.mark.parametrize("rows", [0, 1, 5, 1000])
def test_ids_encoded_in_chunks_as_np_unique_encodes_them(monkeypatch, rows, extra) -> None:
    """TrainingData's ids and codes, built a chunk of rows at a time, are np.unique's."""
    monkeypatch.setattr(base, "ENCODE_ROWS", 7)
    ids = np.array([f"u{code}" for code in np.random.default_rng(rows).integers(0, 40, rows)], dtype=str)
    everything = ids if extra is None else np.concatenate([ids, np.asarray(extra, dtype=str)])
    expected_ids, expected_codes = np.unique(everything, return_inverse=True)
    distinct, codes = base._encode(ids, extra)
    assert distinct.dtype == expected_ids.dtype and codes.dtype == np.int32
    np.testing.assert_array_equal(distinct, expected_ids)
    np.testing.assert_array_equal(codes, expected_codes[:rows])


def test_leave_one_out_without_top_counts_gives_the_same_metrics() -> None:
    """Choosing transition_window skips the top-item counts (means do not use them): the per-user
    metrics, and so the window picked, do not move."""
    recipe = get_recipe("aws-user-personalization")
    hyperparameters = {"transition_window": "10"}
    full = validation.leave_one_out_per_user(recipe, DATA, hyperparameters)
    lean = validation.leave_one_out_per_user(recipe, DATA, hyperparameters, top_counts=False)
    assert full.top_counts is not None and full.top_counts.sum() > 0 and lean.top_counts is None
    np.testing.assert_array_equal(lean.users, full.users)
    assert lean.per_user.keys() == full.per_user.keys()
    for name, values in full.per_user.items():
        np.testing.assert_array_equal(lean.per_user[name], values)
    means = {name: float(values.mean()) for name, values in full.per_user.items()}
    assert validation.leave_one_out(recipe, DATA, hyperparameters) == means


def with_metadata(data: TrainingData) -> TrainingData:
    """DATA plus the store's category path and brand as item metadata, and items nobody has
    touched (prior 0), as recommendation_quality.py builds the synthetic store."""
    catalogue, tree = STORE.catalogue, synthetic.leaves()
    metadata = {
        asin: {"CATEGORY_L1": tree[leaf].path[0], "CATEGORY_L3": tree[leaf].path[2], "BRAND": str(brand)}
        for asin, leaf, brand in zip(
            catalogue.asins.tolist(), catalogue.leaf.tolist(), catalogue.brand.tolist(), strict=True
        )
    }
    events = STORE.events
    return TrainingData.from_columns(
        STORE.user_ids[events.user],
        catalogue.asins[events.item],
        events.timestamp,
        catalogue=[*catalogue.asins, "never-seen-1", "never-seen-2"],
        item_metadata=metadata,
    )


@pytest.mark.parametrize(
    "hyperparameters",
    [
        {"transition_window": "3"},
        {"transition_window": "20", "metadata_weight": "0.3", "repeat_weight": "0.0"},
        {"transition_window": "10", "recency_mask": "false", "bptt": "2", "popularity_prior": "0.0"},
        {"transition_window": "1", "neighbours": "3", "metadata_weight": "0.0"},
    ],
)
@pytest.mark.parametrize("metadata", [False, True])
def test_sparse_ranks_are_the_dense_score_rows_ranks(monkeypatch, hyperparameters, metadata) -> None:
    """tied_ranks (only the items a history reaches) gives every user exactly the rank the dense
    score rows give, so leave_one_out, and the transition_window chosen from it, do not move."""
    data = with_metadata(DATA) if metadata else DATA
    monkeypatch.setattr(item_model, "RANK_CHUNK", 7)
    recipe = get_recipe("aws-user-personalization")
    sparse = validation.leave_one_out_per_user(recipe, data, hyperparameters, top_counts=False)
    monkeypatch.delattr(item_model.ItemToItemModel, "tied_ranks")
    dense = validation.leave_one_out_per_user(recipe, data, hyperparameters, top_counts=False)
    np.testing.assert_array_equal(sparse.users, dense.users)
    for name, values in dense.per_user.items():
        np.testing.assert_array_equal(sparse.per_user[name], values)
    assert 0 < sparse.per_user["ndcg_at_10"].mean() < 1


def test_sparse_ranks_count_ties_with_unreached_items() -> None:
    """A target no history reaches ties with every unreached item of the same prior."""
    items = np.array(["a", "b", "c", "d", "e"])
    neighbours = sp.csr_matrix(([1.0], ([0], [1])), shape=(5, 5), dtype=np.float32)
    model = item_model.ItemToItemModel(items, neighbours, np.array([0, 0, 0, 0, 0.5]), 1.0, 5)
    ranks = model.tied_ranks(
        [["a"], ["a"], ["c"]], [np.array([0]), np.array([0]), np.array([2])], np.array([3, 1, 2])
    )
    # d: below b and e, tied with c (a is seen): 1 + 2 + 1/2; b: first; c (its own history, kept): below e,
    # tied with a, b and d.
    np.testing.assert_array_equal(ranks, [3.5, 1.0, 3.5])


def lexsort_top_k(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """top_k_per_row as it was: one stable sort by row, then descending value."""
    matrix = sp.csr_matrix(matrix)
    matrix.sum_duplicates()
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((-matrix.data, row_of))
    rank_in_row = np.arange(len(order)) - matrix.indptr[row_of[order]]
    keep = order[rank_in_row < k]
    return sp.csr_matrix(
        (matrix.data[keep], (row_of[keep], matrix.indices[keep])), shape=matrix.shape, dtype=np.float32
    )


@pytest.mark.parametrize("k", [1, 2, 5, 40, 1000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_keeps_what_a_stable_sort_keeps(k, seed) -> None:
    """Many ties (a few distinct values), negative values, -0.0 and 0.0, duplicates summed, empty
    rows: the same entries as one stable sort by (row, -value)."""
    rng = np.random.default_rng(seed)
    entries = 3000
    rows, cols = rng.integers(0, 60, entries), rng.integers(0, 80, entries)
    values = rng.choice(np.array([-1.5, -0.0, 0.0, 0.25, 1.0, 3.0, 7.5], dtype=np.float32), entries)
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(70, 80), dtype=np.float32)
    matrix.data[::7] = rng.standard_normal(len(matrix.data[::7])).astype(np.float32)
    kept, expected = item_graph.top_k_per_row(matrix.copy(), k), lexsort_top_k(matrix.copy(), k)
    expected.sort_indices()
    assert kept.has_sorted_indices or kept.nnz == 0
    np.testing.assert_array_equal(kept.indptr, expected.indptr)
    np.testing.assert_array_equal(kept.indices, expected.indices)
    np.testing.assert_array_equal(kept.data, expected.data)


@pytest.mark.parametrize("block_entries", [1, 97, 1 << 23])
@pytest.mark.parametrize("window", [1, 3, 20])
@pytest.mark.parametrize("weighted", [False, True])
def test_transitions_built_by_item_blocks_are_the_all_pairs_matrix(
    monkeypatch, block_entries, window, weighted
):
    """Summed in the same order, so every float is the same, with and without event weights."""
    monkeypatch.setattr(item_graph, "BLOCK_ENTRIES", block_entries)
    weights = np.random.default_rng(window).choice(np.float32([0.2, 0.5, 1.0]), len(ITEM_CODES))
    weights = weights if weighted else None
    step_decay = 0.9
    built = item_graph.sequence_pairs(USER_CODES, ITEM_CODES, window, step_decay, N_ITEMS, weights)
    expected = all_pairs_at_once(USER_CODES, ITEM_CODES, window, step_decay, N_ITEMS, weights)
    assert built.shape == expected.shape and built.dtype == np.float32 and built.has_sorted_indices
    np.testing.assert_array_equal(built.indptr, expected.indptr)
    np.testing.assert_array_equal(built.indices, expected.indices)
    np.testing.assert_array_equal(built.data, expected.data)


def test_transitions_of_too_short_histories_are_empty() -> None:
    one_each = np.arange(5, dtype=np.int32)
    assert item_graph.sequence_pairs(one_each, one_each, 3, 0.9, 5).nnz == 0
    assert item_graph.sequence_pairs(one_each[:1], one_each[:1], 3, 0.9, 5).shape == (5, 5)


@pytest.mark.parametrize("window", [1, 2, 20, 500])
def test_transitions_of_interleaved_users_are_the_all_pairs_matrix(window) -> None:
    """Rows in time order (users interleaved, a user's next row may be far away) and a window
    longer than some users' histories: still every pair the all-pairs pass lists, in its order
    (the path that compares users at every distance; rows in user order count each user's run)."""
    assert item_graph._reach(DATA.user_codes, window) is None
    assert item_graph._reach(USER_CODES, window) is not None
    weights = np.random.default_rng(window).uniform(0.1, 1.0, len(DATA.item_codes)).astype(np.float32)
    for row_weights in (None, weights):
        built = item_graph.sequence_pairs(DATA.user_codes, DATA.item_codes, window, 0.7, N_ITEMS, row_weights)
        expected = all_pairs_at_once(DATA.user_codes, DATA.item_codes, window, 0.7, N_ITEMS, row_weights)
        np.testing.assert_array_equal(built.indptr, expected.indptr)
        np.testing.assert_array_equal(built.indices, expected.indices)
        np.testing.assert_array_equal(built.data, expected.data)


# Every code range each dtype can hold (int32 codes stay below 2**31).
RADIX_CASES = [
    (high, dtype)
    for dtype in (np.int32, np.int64, np.uint32)
    for high in (1, 2, 300, 2**16, 2**16 + 1, 2**20, 2**32)
    if high <= np.iinfo(dtype).max + 1
]


@pytest.mark.parametrize(("high", "dtype"), RADIX_CASES)
def test_radix_argsort_is_the_stable_argsort(high, dtype) -> None:
    codes = np.random.default_rng(high).integers(0, high, 5000, endpoint=False).astype(dtype)
    order = item_graph.stable_argsort(codes)
    np.testing.assert_array_equal(order, np.argsort(codes, kind="stable"))
    assert len(item_graph.stable_argsort(codes[:0])) == 0


def test_user_order_is_the_lexsort_by_user_then_time() -> None:
    """Also when the rows are not in time order and timestamps tie (they keep their order)."""
    rng = np.random.default_rng(3)
    shuffled = validation.subset(DATA, rng.permutation(len(DATA.user_codes)))
    tied = validation.subset(DATA, np.arange(len(DATA.user_codes)))
    tied = TrainingData(**{**tied.__dict__, "timestamps": tied.timestamps // 10**6})
    for data in (DATA, shuffled, tied):
        rows = rng.random(len(data.user_codes)) < 0.8
        expected = np.lexsort((data.timestamps, data.user_codes))
        np.testing.assert_array_equal(item_graph.user_order(data, rows), expected[rows[expected]])


@pytest.mark.parametrize("seed", [0, 1])
def test_rows_scaled_as_the_diagonal_product_scales_them(seed) -> None:
    """Same floats, same zeros dropped (underflow included), rows sorted afterwards alike."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(300, 200, density=0.05, format="csr", dtype=np.float32, random_state=seed)
    matrix.data[::5] = np.float32(1e-30)
    matrix = (matrix + sp.random(300, 200, density=0.02, format="csr", random_state=seed + 9)).astype(
        np.float32
    )
    scale = rng.uniform(1e-12, 2.0, 300).astype(np.float32)
    scale[::11] = np.float32(1e-20)
    scaled = item_graph.scaled_rows(matrix, scale)
    expected = sp.csr_matrix(sp.diags(scale) @ matrix, dtype=np.float32)
    for result in (scaled, expected):
        result.sum_duplicates()
    assert scaled.dtype == np.float32 and (scaled.data != 0).all() and expected.nnz < matrix.nnz
    np.testing.assert_array_equal(scaled.indptr, expected.indptr)
    np.testing.assert_array_equal(scaled.indices, expected.indices)
    np.testing.assert_array_equal(scaled.data, expected.data)


def test_validation_sample_is_the_one_np_unique_and_isin_chose(monkeypatch) -> None:
    """The same users (so the same transition_window and model), counted without a sort."""
    from allstore.personalize.recipes import tuning

    monkeypatch.setattr(tuning, "MAX_VALIDATION_USERS", 57)
    rows = np.flatnonzero(DATA.user_codes % 3 != 1)  # some users without interactions
    data = validation.subset(DATA, rows)
    present = np.unique(data.user_codes)
    chosen = np.random.default_rng(0).choice(present, size=57, replace=False)
    sample = tuning.validation_sample(data)
    np.testing.assert_array_equal(sample.user_codes, data.user_codes[np.isin(data.user_codes, chosen)])
    np.testing.assert_array_equal(sample.timestamps, data.timestamps[np.isin(data.user_codes, chosen)])
    monkeypatch.setattr(tuning, "MAX_VALIDATION_USERS", len(present))
    assert tuning.validation_sample(data) is data


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("repeats", [False, True])
def test_sparse_ranks_with_metadata_groups_match_dense_ranks_with_many_ties(seed, repeats) -> None:
    """Metadata similarity is computed per group of identical feature rows and counted by binary
    search in the group: with few feature values, few distinct priors (ties everywhere), items
    without metadata and repeated history items, every rank is still the dense score rows' rank."""
    rng = np.random.default_rng(seed)
    n_items, n_histories = 300, 60
    items = np.array([f"i{code}" for code in range(n_items)])
    neighbours = sp.random(n_items, n_items, density=0.02, random_state=seed, dtype=np.float32)
    neighbours.data = rng.integers(1, 4, len(neighbours.data)).astype(np.float32)
    prior = rng.choice(np.array([0.0, 0.0, 0.25, 0.5, 0.5], dtype=np.float32), n_items)
    metadata = {
        str(item): {"CATEGORY": f"c{rng.integers(3)}", "BRAND": f"b{rng.integers(4)}"}
        for item in items[rng.random(n_items) < 0.8]
    }
    features = item_features.categorical_features(items, metadata)
    model = item_model.ItemToItemModel(
        items,
        neighbours,
        prior,
        history_decay=0.5,
        max_history=6,
        repeat_rates=rng.choice(np.array([0.0, 0.5], dtype=np.float32), n_items) if repeats else None,
        repeat_decay=0.5,
        item_features=features,
        metadata_weight=0.7,
    )
    codes = [rng.integers(0, n_items, rng.integers(0, 8)) for _ in range(n_histories)]
    histories = [items[c].tolist() for c in codes]
    targets = rng.integers(0, n_items, n_histories)
    scores = model.score_histories(histories)
    validation.exclude_seen(scores, codes, keep=targets)
    np.testing.assert_array_equal(
        model.tied_ranks(histories, codes, targets), validation.tied_rank(scores, targets)
    )
