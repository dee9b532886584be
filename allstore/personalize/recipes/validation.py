"""Leave-one-out validation: the split and ranking code that tuning (performHPO) and the offline
evaluation protocols share, kept with the recipes so that recipes import nothing above them.

Histories are scored in batches (one score matrix per chunk of users), and items a user already has
are excluded from their ranking, as a store would.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from allstore.personalize.recipes.base import Model, Recipe, RecipeType, TrainingData

CHUNK_USERS = 1024
# A chunk's dense score matrix: 32 MiB of float32 at most (scoring holds about three of them).
SCORE_CELLS = 1 << 23


def chunk_users(n_items: int) -> int:
    """Users scored per chunk: CHUNK_USERS, fewer on catalogues over 8k items, where 1024 dense
    score rows (300k items: 1.2 GiB, three times over while scoring) were the peak of training with
    transition_window auto; the metrics are the same for any chunk size."""
    return max(1, min(CHUNK_USERS, SCORE_CELLS // max(n_items, 1)))


def subset(data: TrainingData, rows: np.ndarray) -> TrainingData:
    """The same catalogue and user list with only the selected interaction rows."""
    return TrainingData(
        users=data.users,
        items=data.items,
        user_codes=data.user_codes[rows],
        item_codes=data.item_codes[rows],
        timestamps=data.timestamps[rows],
        event_types=data.event_types[rows],
        event_values=data.event_values[rows],
        item_metadata=data.item_metadata,
        user_metadata=data.user_metadata,
        event_type_weights=data.event_type_weights,
    )


def user_sequences(data: TrainingData) -> tuple[np.ndarray, np.ndarray]:
    """(row order by user then time, offset of each user's first row in that order, plus the end)."""
    order = np.lexsort((data.timestamps, data.user_codes))
    starts = np.searchsorted(data.user_codes[order], np.arange(len(data.users) + 1))
    return order, starts


def score_batch(model: Model, recipe_type: RecipeType, histories: Sequence[Sequence[str]]) -> np.ndarray:
    """One score row per history. Related-items recipes score from the newest item, as SIMS is
    queried with an itemId; the others score the whole history."""
    if recipe_type == "RELATED_ITEMS":
        rows = []
        for history in histories:
            scores = model.score_item(history[-1]) if history else None
            rows.append(model.score_history(history) if scores is None else scores)
        return np.vstack(rows).astype(np.float32)
    if hasattr(model, "score_histories"):
        return np.asarray(model.score_histories(histories), dtype=np.float32)
    return np.vstack([model.score_history(history) for history in histories]).astype(np.float32)


def exclude_seen(scores: np.ndarray, histories_codes: Sequence[np.ndarray], keep: np.ndarray | None = None):
    """Set each row's already-seen items to -inf, except `keep[row]` (the leave-one-out target)."""
    rows = np.repeat(np.arange(len(histories_codes)), [len(codes) for codes in histories_codes])
    cols = np.concatenate(histories_codes) if len(histories_codes) else np.zeros(0, dtype=np.int64)
    if keep is not None:
        mask = cols != keep[rows]
        rows, cols = rows[mask], cols[mask]
    scores[rows, cols] = -np.inf


def fit_timed(recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]) -> tuple[Model, float]:
    started = time.perf_counter()
    model = recipe.fit(data, hyperparameters)
    return model, time.perf_counter() - started


def leave_one_out(recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]) -> dict[str, float]:
    """NDCG@10, HR@10 and MRR of every user's last item (users with at least two interactions)."""
    return leave_one_out_timed(recipe, data, hyperparameters)[0]


def leave_one_out_timed(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> tuple[dict[str, float], float]:
    """(mean metrics, training seconds) of `leave_one_out_per_user` (without the top-item counts,
    which means do not use: finding every user's top items cost two thirds of choosing
    transition_window on a 100k-item catalogue)."""
    result = leave_one_out_per_user(recipe, data, hyperparameters, top_counts=False)
    return {name: float(values.mean()) for name, values in result.per_user.items()}, result.train_seconds


@dataclass(frozen=True)
class PerUser:
    """One evaluation's metrics for each evaluated user (`users`: user codes, in order), so that
    intervals and paired tests can be computed over users rather than only a mean."""

    users: np.ndarray
    per_user: dict[str, np.ndarray]
    train_seconds: float
    score_seconds: float
    top_counts: np.ndarray | None = None  # how many users got each item in their top TOP_K


TOP_K = 10  # the list length beyond-accuracy metrics look at


def count_top(counts: np.ndarray, scores: np.ndarray) -> None:
    """Add each row's TOP_K best items (finite scores only) to `counts`."""
    depth = min(TOP_K, scores.shape[1])
    top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    finite = np.isfinite(np.take_along_axis(scores, top, axis=1))
    np.add.at(counts, top[finite], 1)


def leave_one_out_per_user(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], top_counts: bool = True
) -> PerUser:
    """Every user's last item ranked against the catalogue. Tied scores count as half above the
    target (the expected rank under random tie-breaking), so a model cannot gain by scoring
    everything equal. `top_counts`: also count how many users get each item in their top TOP_K
    (PerUser.top_counts, else None)."""
    order, starts = user_sequences(data)
    lengths = np.diff(starts)
    last_rows = order[starts[1:][lengths >= 2] - 1]
    train_rows = np.ones(len(data.user_codes), dtype=bool)
    train_rows[last_rows] = False
    model, train_seconds = fit_timed(recipe, subset(data, np.flatnonzero(train_rows)), hyperparameters)

    started = time.perf_counter()
    evaluated = np.flatnonzero(lengths >= 2)
    targets = data.item_codes[last_rows]
    if len(evaluated) == 0:
        raise ValueError("Leave-one-out needs at least one user with two or more interactions")
    if not top_counts and recipe.recipe_type != "RELATED_ITEMS" and hasattr(model, "tied_ranks"):
        # The same ranks from the items each history reaches, without dense score rows.
        codes = [data.item_codes[order[starts[user] : starts[user + 1] - 1]] for user in evaluated]
        rank = model.tied_ranks([data.items[c].tolist() for c in codes], codes, targets)
        return PerUser(evaluated, _metrics(rank), train_seconds, time.perf_counter() - started, None)
    ranks = []
    counts = np.zeros(len(data.items), dtype=np.int64)
    step = chunk_users(len(data.items))
    for begin in range(0, len(evaluated), step):
        chunk = evaluated[begin : begin + step]
        codes = [data.item_codes[order[starts[user] : starts[user + 1] - 1]] for user in chunk]
        scores = score_batch(model, recipe.recipe_type, [data.items[c].tolist() for c in codes])
        chunk_targets = targets[begin : begin + step]
        exclude_seen(scores, codes, keep=chunk_targets)
        ranks.append(tied_rank(scores, chunk_targets))
        if top_counts:
            count_top(counts, scores)
    seconds = time.perf_counter() - started
    return PerUser(
        evaluated, _metrics(np.concatenate(ranks)), train_seconds, seconds, counts if top_counts else None
    )


def _metrics(rank: np.ndarray) -> dict[str, np.ndarray]:
    """NDCG@10, HR@10 and MRR of each 1-based target rank."""
    in_top = rank <= 10
    return {
        "ndcg_at_10": np.where(in_top, 1.0 / np.log2(rank + 1.0), 0.0),
        "hr_at_10": in_top.astype(np.float64),
        "mrr": 1.0 / rank,
    }


def tied_rank(scores: np.ndarray, targets: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Each row's 1-based rank of its target column, ties counting half (the expected rank under
    random tie-breaking); both protocols rank this way. With `rows`, the i-th target is ranked in
    score row rows[i] (several targets may share a row) instead of row i.

    One score row at a time: a row's comparisons stay in cache and np.count_nonzero of a whole
    row is several times faster than summing a 2-D mask along its rows (300k-item rows: about 4x)."""
    ranks = np.empty(len(targets))
    indices = range(len(targets)) if rows is None else rows.tolist()
    for position, (row, target) in enumerate(zip(indices, targets.tolist(), strict=True)):
        values = scores[row]
        score = values[target]
        above = np.count_nonzero(values > score)
        tied = np.count_nonzero(values == score) - 1
        ranks[position] = 1.0 + above + tied / 2.0
    return ranks
