"""Offline evaluation of recipes: Personalize's documented solution metrics, and leave-one-out.

Both protocols train a recipe on part of the data and rank the whole catalogue for held-out
histories, batched (one score matrix per chunk of users) so that tens of thousands of users take
seconds. Items a user already has are excluded from their ranking, as a store would.

- `solution_metrics` is GetSolutionMetrics: 90% of users train; for the other 10%, the oldest 90%
  of their interactions are the input and the newest 10% (items not in the input) are relevant.
- `leave_one_out` is the research protocol: every user's last item is the target, ranked against
  all items with the user's other items excluded; NDCG@10, HR@10 and MRR.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from allstore.personalize.protocols import PROTOCOLS, Protocol
from allstore.personalize.recipes.base import Model, Recipe, RecipeType, TrainingData

CHUNK_USERS = 1024
SOLUTION_METRIC_CUTOFFS = (5, 10, 25)
HOLDOUT_USER_FRACTION = 0.1
RELEVANT_FRACTION = 0.1


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


def _exclude(scores: np.ndarray, histories_codes: Sequence[np.ndarray], keep: np.ndarray | None = None):
    """Set each row's already-seen items to -inf, except `keep[row]` (the leave-one-out target)."""
    rows = np.repeat(np.arange(len(histories_codes)), [len(codes) for codes in histories_codes])
    cols = np.concatenate(histories_codes) if len(histories_codes) else np.zeros(0, dtype=np.int64)
    if keep is not None:
        mask = cols != keep[rows]
        rows, cols = rows[mask], cols[mask]
    scores[rows, cols] = -np.inf


def evaluate(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], protocol: Protocol
) -> tuple[dict[str, float], float]:
    """(metrics, training seconds) of `recipe` under `protocol`."""
    if protocol == "leave-one-out":
        return _leave_one_out(recipe, data, hyperparameters)
    if protocol == "personalize":
        return _solution_metrics(recipe, data, hyperparameters)
    raise ValueError(f"Unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")


def leave_one_out(recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]) -> dict[str, float]:
    """NDCG@10, HR@10 and MRR of every user's last item (users with at least two interactions)."""
    return _leave_one_out(recipe, data, hyperparameters)[0]


def solution_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> dict[str, float]:
    """GetSolutionMetrics' keys for `recipe` trained with `hyperparameters` on the training users."""
    return _solution_metrics(recipe, data, hyperparameters)[0]


def _fit(recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]) -> tuple[Model, float]:
    started = time.perf_counter()
    model = recipe.fit(data, hyperparameters)
    return model, time.perf_counter() - started


def _leave_one_out(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> tuple[dict[str, float], float]:
    """Tied scores count as half above the target (the expected rank under random tie-breaking),
    so a model cannot gain by scoring everything equal."""
    order, starts = user_sequences(data)
    lengths = np.diff(starts)
    last_rows = order[starts[1:][lengths >= 2] - 1]
    train_rows = np.ones(len(data.user_codes), dtype=bool)
    train_rows[last_rows] = False
    model, train_seconds = _fit(recipe, subset(data, np.flatnonzero(train_rows)), hyperparameters)

    evaluated = np.flatnonzero(lengths >= 2)
    targets = data.item_codes[last_rows]
    ndcg, hits, reciprocal = [], [], []
    for begin in range(0, len(evaluated), CHUNK_USERS):
        chunk = evaluated[begin : begin + CHUNK_USERS]
        codes = [data.item_codes[order[starts[user] : starts[user + 1] - 1]] for user in chunk]
        scores = score_batch(model, recipe.recipe_type, [data.items[c].tolist() for c in codes])
        chunk_targets = targets[begin : begin + CHUNK_USERS]
        _exclude(scores, codes, keep=chunk_targets)
        target_scores = scores[np.arange(len(chunk)), chunk_targets][:, None]
        above = (scores > target_scores).sum(axis=1)
        tied = (scores == target_scores).sum(axis=1) - 1
        rank = 1.0 + above + tied / 2.0
        in_top = rank <= 10
        ndcg.append(np.where(in_top, 1.0 / np.log2(rank + 1.0), 0.0))
        hits.append(in_top.astype(np.float64))
        reciprocal.append(1.0 / rank)
    if not ndcg:
        raise ValueError("Leave-one-out needs at least one user with two or more interactions")
    metrics = {
        "ndcg_at_10": float(np.concatenate(ndcg).mean()),
        "hr_at_10": float(np.concatenate(hits).mean()),
        "mrr": float(np.concatenate(reciprocal).mean()),
    }
    return metrics, train_seconds


def personalize_split(
    data: TrainingData, seed: int = 0
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(training rows, input item codes per held-out user, relevant item codes per held-out user).

    Held-out users are a seeded random 10% (at least one); each keeps the oldest 90% of their
    interactions as input (at least one) and the newest 10% (at least one) as relevant, minus any
    item already in the input. Users with nothing relevant left are dropped from the test."""
    order, starts = user_sequences(data)
    active = np.flatnonzero(np.diff(starts) >= 2)
    if len(active) < 2:
        raise ValueError("Solution metrics need at least two users with two or more interactions")
    rng = np.random.default_rng(seed)
    n_holdout = max(1, round(HOLDOUT_USER_FRACTION * len(active)))
    holdout = np.sort(rng.choice(active, size=n_holdout, replace=False))
    train = np.ones(len(data.user_codes), dtype=bool)
    train[np.isin(data.user_codes, holdout)] = False
    inputs, relevant = [], []
    for user in holdout:
        codes = data.item_codes[order[starts[user] : starts[user + 1]]]
        n_relevant = max(1, int(np.floor(RELEVANT_FRACTION * len(codes))))
        history, newest = codes[:-n_relevant], codes[-n_relevant:]
        new = np.setdiff1d(newest, history)
        if len(new):
            inputs.append(history)
            relevant.append(new)
    return np.flatnonzero(train), inputs, relevant


def _solution_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> tuple[dict[str, float], float]:
    train_rows, inputs, relevant = personalize_split(data)
    model, train_seconds = _fit(recipe, subset(data, train_rows), hyperparameters)
    depth = max(SOLUTION_METRIC_CUTOFFS)
    n_items = len(data.items)
    discounts = 1.0 / np.log2(np.arange(2, depth + 2))
    totals = {"mean_reciprocal_rank_at_25": 0.0}
    totals |= {f"normalized_discounted_cumulative_gain_at_{k}": 0.0 for k in SOLUTION_METRIC_CUTOFFS}
    totals |= {f"precision_at_{k}": 0.0 for k in SOLUTION_METRIC_CUTOFFS}
    recommended = np.zeros(n_items, dtype=bool)
    for begin in range(0, len(inputs), CHUNK_USERS):
        chunk_inputs = inputs[begin : begin + CHUNK_USERS]
        chunk_relevant = relevant[begin : begin + CHUNK_USERS]
        scores = score_batch(model, recipe.recipe_type, [data.items[c].tolist() for c in chunk_inputs])
        _exclude(scores, chunk_inputs)
        top = _top_items(scores, min(depth, n_items))
        recommended[top[np.isfinite(np.take_along_axis(scores, top, axis=1))]] = True
        is_relevant = np.zeros_like(scores, dtype=bool)
        rows = np.repeat(np.arange(len(chunk_relevant)), [len(r) for r in chunk_relevant])
        is_relevant[rows, np.concatenate(chunk_relevant)] = True
        hits = np.take_along_axis(is_relevant, top, axis=1).astype(np.float64)
        n_relevant = np.array([len(r) for r in chunk_relevant])
        for k in SOLUTION_METRIC_CUTOFFS:
            ideal = np.cumsum(discounts[:k])[np.minimum(n_relevant, k) - 1]
            totals[f"normalized_discounted_cumulative_gain_at_{k}"] += float(
                ((hits[:, :k] * discounts[: hits[:, :k].shape[1]]).sum(axis=1) / ideal).sum()
            )
            totals[f"precision_at_{k}"] += float((hits[:, :k].sum(axis=1) / k).sum())
        first_hit = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, np.inf)
        totals["mean_reciprocal_rank_at_25"] += float((1.0 / first_hit).sum())
    metrics = {name: total / max(len(inputs), 1) for name, total in totals.items()}
    metrics["coverage"] = float(recommended.sum() / n_items)
    return {"coverage": metrics.pop("coverage"), **metrics}, train_seconds


def _top_items(scores: np.ndarray, depth: int) -> np.ndarray:
    """Each row's `depth` best item codes, best first."""
    candidates = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    ranked = np.argsort(-np.take_along_axis(scores, candidates, axis=1), axis=1, kind="stable")
    return np.take_along_axis(candidates, ranked, axis=1)
