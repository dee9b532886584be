"""Offline evaluation of recipes: Personalize's documented solution metrics, and leave-one-out.

Both protocols train a recipe on part of the data and rank the whole catalogue for held-out
histories, batched (one score matrix per chunk of users) so that tens of thousands of users take
seconds. Items a user already has are excluded from their ranking, as a store would.

- `solution_metrics` is GetSolutionMetrics: 90% of users train; for the other 10%, the oldest 90%
  of their interactions are the input and the newest 10% (items not in the input) are relevant.
- `leave_one_out` is the research protocol: every user's last item is the target, ranked against
  all items with the user's other items excluded; NDCG@10, HR@10 and MRR.
- User-segmentation recipes rank users, not items (`segment_metrics`): for each held-out item (or,
  for Item-Attribute-Affinity, each attribute value), the users who interact with it in the test
  part should be near the top of the segment. Personalize's split for these recipes is per user
  (80% of each user's interactions train, 20% test); leave-one-out holds out each user's last one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from allstore.personalize.evaluation_protocols import PROTOCOLS, Protocol
from allstore.personalize.recipes import validation
from allstore.personalize.recipes.base import Recipe, TrainingData
from allstore.personalize.recipes.validation import leave_one_out as leave_one_out  # one protocol of two

SOLUTION_METRIC_CUTOFFS = (5, 10, 25)
HOLDOUT_USER_FRACTION = 0.1
RELEVANT_FRACTION = 0.1


def evaluate(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], protocol: Protocol
) -> tuple[dict[str, float], float]:
    """(metrics, training seconds) of `recipe` under `protocol`."""
    run = evaluate_per_user(recipe, data, hyperparameters, protocol)
    return run.metrics, run.train_seconds


@dataclass(frozen=True)
class Run:
    """One recipe under one protocol and split seed: the reported means, and the per-user rows
    behind them (None for user-segmentation recipes, whose metrics are per query)."""

    metrics: dict[str, float]
    per_user: validation.PerUser | None
    train_seconds: float
    score_seconds: float
    beyond_accuracy: dict[str, float] | None = None


def evaluate_per_user(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], protocol: Protocol, seed: int = 0
) -> Run:
    """`recipe` under `protocol`; `seed` draws the Personalize protocol's held-out users (leave-one-out
    has no random part)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"Unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    if recipe.recipe_type == "USER_SEGMENTATION":
        started = time.perf_counter()
        metrics, train_seconds = segment_metrics(recipe, data, hyperparameters, protocol)
        return Run(metrics, None, train_seconds, time.perf_counter() - started - train_seconds)
    if protocol == "leave-one-out":
        result = validation.leave_one_out_per_user(recipe, data, hyperparameters)
        coverage: dict[str, float] = {}
    else:
        rerank = recipe.recipe_type == "PERSONALIZED_RANKING"
        result, covered = solution_metrics_per_user(recipe, data, hyperparameters, seed, rerank=rerank)
        coverage = {"coverage": covered}
    metrics = coverage | {name: float(values.mean()) for name, values in result.per_user.items()}
    assert result.top_counts is not None
    return Run(
        metrics, result, result.train_seconds, result.score_seconds, beyond_accuracy(result.top_counts, data)
    )


LONG_TAIL_HEAD_SHARE = 0.5  # the head: the most popular items that together have half the interactions


def beyond_accuracy(counts: np.ndarray, data: TrainingData) -> dict[str, float]:
    """What the top-10 lists recommend, from how many users got each item (`counts`) and the items'
    popularity in `data`: the share of the catalogue recommended (`catalogue_coverage_at_10`), the
    Gini index of the recommendation counts (0: every item equally often, 1: one item only), the mean
    number of interactions of a recommended item, the share of recommendations from the long tail
    (beyond the most popular items that have half the interactions), and novelty (mean -log2 of the
    share of users who interacted with a recommended item; items nobody had count as one user)."""
    k = validation.TOP_K
    total = counts.sum()
    if not total:
        return {}
    popularity = np.bincount(data.item_codes, minlength=len(data.items)).astype(np.float64)
    pairs = np.unique(data.user_codes.astype(np.int64) * len(data.items) + data.item_codes)
    user_share = np.maximum(np.bincount(pairs % len(data.items), minlength=len(data.items)), 1) / len(
        data.users
    )
    by_popularity = np.argsort(-popularity, kind="stable")
    head_size = int(
        np.searchsorted(np.cumsum(popularity[by_popularity]), LONG_TAIL_HEAD_SHARE * popularity.sum())
    )
    in_tail = np.ones(len(data.items), dtype=bool)
    in_tail[by_popularity[: head_size + 1]] = False
    ascending = np.sort(counts).astype(np.float64)
    n = len(ascending)
    gini = float(((2 * np.arange(1, n + 1) - n - 1) * ascending).sum() / (n * ascending.sum()))
    return {
        f"catalogue_coverage_at_{k}": float((counts > 0).mean()),
        f"gini_at_{k}": gini,
        f"mean_popularity_at_{k}": float((counts * popularity).sum() / total),
        f"long_tail_share_at_{k}": float(counts[in_tail].sum() / total),
        f"novelty_at_{k}": float((counts * -np.log2(user_share)).sum() / total),
    }


def solution_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> dict[str, float]:
    """GetSolutionMetrics' keys for `recipe` trained with `hyperparameters` on the training users."""
    if recipe.recipe_type == "USER_SEGMENTATION":
        return segment_metrics(recipe, data, hyperparameters, "personalize")[0]
    if recipe.recipe_type == "PERSONALIZED_ACTIONS":
        return action_metrics(recipe, data, hyperparameters)
    return _solution_metrics(recipe, data, hyperparameters)[0]


def action_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str]
) -> dict[str, float]:
    """A PERSONALIZED_ACTIONS recipe's metrics: each user's last TAKEN action is held out, the model
    is fitted on the rest, and the held-out action's rank among the user's scores (given what they
    took and turned down before it) gives hit rate (precision) at 5/10, MRR and NDCG at 25, and
    coverage (the share of actions some user gets in their top 5)."""
    taken = np.flatnonzero(data.event_types == "TAKEN")
    last_taken: dict[int, int] = {}
    for row in taken:  # rows are in time order: the last one per user wins
        last_taken[int(data.user_codes[row])] = int(row)
    test_rows = np.array(sorted(last_taken.values()), dtype=np.int64)
    keep = np.ones(len(data.user_codes), dtype=bool)
    keep[test_rows] = False
    model = recipe.fit(validation.subset(data, np.flatnonzero(keep)), hyperparameters)
    totals = dict.fromkeys(
        (
            "precision_at_5",
            "precision_at_10",
            "mean_reciprocal_rank_at_25",
            "normalized_discounted_cumulative_gain_at_25",
        ),
        0.0,
    )
    shown: set[int] = set()
    for row in test_rows:
        user = data.user_codes[row]
        before = np.flatnonzero((data.user_codes == user) & keep & (data.timestamps <= data.timestamps[row]))
        took = [
            (data.items[data.item_codes[r]], int(data.timestamps[r]))
            for r in before
            if data.event_types[r] == "TAKEN"
        ]
        declined = [data.items[data.item_codes[r]] for r in before if data.event_types[r] == "NOT_TAKEN"]
        scores = np.asarray(model.score_user(took, declined, int(data.timestamps[row])), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")
        shown.update(order[:5][np.isfinite(scores[order[:5]])].tolist())
        target = int(np.flatnonzero(model.items == data.items[data.item_codes[row]])[0])
        rank = int(np.flatnonzero(order == target)[0]) + 1 if np.isfinite(scores[target]) else len(scores) + 1
        totals["precision_at_5"] += (rank <= 5) / 5
        totals["precision_at_10"] += (rank <= 10) / 10
        totals["mean_reciprocal_rank_at_25"] += 1 / rank if rank <= 25 else 0.0
        totals["normalized_discounted_cumulative_gain_at_25"] += 1 / np.log2(rank + 1) if rank <= 25 else 0.0
    count = max(len(test_rows), 1)
    metrics = {name: round(float(total / count), 4) for name, total in totals.items()}
    metrics["coverage"] = round(len(shown) / max(len(model.items), 1), 4)
    return metrics


SEGMENT_TEST_FRACTION = 0.2
SEGMENT_CUTOFFS = (1, 5)  # percent of all users
MAX_SEGMENT_QUERIES = 500  # a batch segment job's limit for Item-Affinity input


def segment_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], protocol: Protocol
) -> tuple[dict[str, float], float]:
    """(metrics, training seconds) of a USER_SEGMENTATION recipe: `recall_at_{1,5}_percent` (the
    share of a query's test users found in the top 1% / 5% of all users) and
    `mean_reciprocal_rank_of_users`, averaged over at most MAX_SEGMENT_QUERIES queries.
    Users who already had a query's items in training are not counted either way."""
    order, starts = validation.user_sequences(data)
    test = np.zeros(len(data.user_codes), dtype=bool)
    for user in np.flatnonzero(np.diff(starts) >= 2):
        rows = order[starts[user] : starts[user + 1]]
        n_test = (
            1 if protocol == "leave-one-out" else max(1, int(np.floor(SEGMENT_TEST_FRACTION * len(rows))))
        )
        test[rows[-n_test:]] = True
    model, train_seconds = validation.fit_timed(
        recipe, validation.subset(data, np.flatnonzero(~test)), hyperparameters
    )
    n_users, n_items = len(data.users), len(data.items)
    trained = sp.csr_matrix(
        (np.ones(int((~test).sum()), dtype=np.float32), (data.user_codes[~test], data.item_codes[~test])),
        shape=(n_users, n_items),
    )
    tested = sp.csr_matrix(
        (np.ones(int(test.sum()), dtype=np.float32), (data.user_codes[test], data.item_codes[test])),
        shape=(n_users, n_items),
    )
    queries = _segment_queries(recipe, data, tested)
    cutoffs = {k: max(1, round(n_users * k / 100)) for k in SEGMENT_CUTOFFS}
    totals = {f"recall_at_{k}_percent": 0.0 for k in SEGMENT_CUTOFFS} | {"mean_reciprocal_rank_of_users": 0.0}
    counted = 0
    for query, items in queries:
        had = np.asarray(trained[:, items].sum(axis=1)).ravel() > 0
        relevant = (np.asarray(tested[:, items].sum(axis=1)).ravel() > 0) & ~had
        if not relevant.any():
            continue  # every test user of it had it before: nothing new to find
        counted += 1
        scores = np.asarray(
            model.score_users_for_attributes(query)
            if query
            else model.score_users_for_item(data.items[items[0]]),
            dtype=np.float64,
        )
        scores[had] = -np.inf
        ranks = _ranks(scores)[relevant]
        for k, size in cutoffs.items():
            totals[f"recall_at_{k}_percent"] += float((ranks <= size).mean())
        totals["mean_reciprocal_rank_of_users"] += float((1.0 / ranks).mean())
    if not counted:
        raise ValueError("Segment metrics need test interactions with items that have new users")
    return {name: total / counted for name, total in totals.items()}, train_seconds


def _segment_queries(recipe: Recipe, data: TrainingData, tested: sp.csr_matrix):
    """(itemAttributes query or "", item codes) pairs: attribute values for Item-Attribute-Affinity
    when the data has item metadata, single items otherwise; the most tested first."""
    tested_items = np.asarray((tested > 0).sum(axis=0)).ravel()
    if getattr(recipe, "segment_queries", "items") == "attributes" and data.item_metadata:
        position = {item: code for code, item in enumerate(data.items.tolist())}
        by_value: dict[tuple[str, str], list[int]] = {}
        for item, fields in data.item_metadata.items():
            for field, value in fields.items():
                if field.upper() != "ITEM_ID" and isinstance(value, str) and item in position:
                    for part in value.split("|"):
                        by_value.setdefault((field.upper(), part.strip()), []).append(position[item])
        candidates = [
            (f'ITEMS.{field} = "{value}"', np.array(codes))
            for (field, value), codes in by_value.items()
            if 1 < len(codes) < len(data.items) // 2 and tested_items[codes].sum() > 0
        ]
        candidates.sort(key=lambda pair: -tested_items[pair[1]].sum())
        return candidates[:MAX_SEGMENT_QUERIES]
    popular = np.argsort(-tested_items, kind="stable")[:MAX_SEGMENT_QUERIES]
    return [("", np.array([code])) for code in popular if tested_items[code] > 0]


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every entry (ties count half, as in leave-one-out)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    first = np.searchsorted(-sorted_scores, -sorted_scores, side="left")
    last = np.searchsorted(-sorted_scores, -sorted_scores, side="right")
    ranks = np.empty(len(scores))
    ranks[order] = 1.0 + first + (last - first - 1) / 2.0
    return ranks


def personalize_split(
    data: TrainingData, seed: int = 0
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(training rows, input item codes per held-out user, relevant item codes per held-out user).

    Held-out users are a seeded random 10% (at least one); each keeps the oldest 90% of their
    interactions as input (at least one) and the newest 10% (at least one) as relevant, minus any
    item already in the input. Users with nothing relevant left are dropped from the test."""
    return personalize_split_with_users(data, seed)[:3]


def personalize_split_with_users(
    data: TrainingData, seed: int
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """personalize_split plus the user code of each test user."""
    order, starts = validation.user_sequences(data)
    active = np.flatnonzero(np.diff(starts) >= 2)
    if len(active) < 2:
        raise ValueError("Solution metrics need at least two users with two or more interactions")
    rng = np.random.default_rng(seed)
    n_holdout = max(1, round(HOLDOUT_USER_FRACTION * len(active)))
    holdout = np.sort(rng.choice(active, size=n_holdout, replace=False))
    train = np.ones(len(data.user_codes), dtype=bool)
    train[np.isin(data.user_codes, holdout)] = False
    inputs, relevant, users = [], [], []
    for user in holdout:
        codes = data.item_codes[order[starts[user] : starts[user + 1]]]
        n_relevant = max(1, int(np.floor(RELEVANT_FRACTION * len(codes))))
        history, newest = codes[:-n_relevant], codes[-n_relevant:]
        new = np.setdiff1d(newest, history)
        if len(new):
            inputs.append(history)
            relevant.append(new)
            users.append(user)
    return np.flatnonzero(train), inputs, relevant, np.array(users, dtype=np.int64)


def _solution_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0
) -> tuple[dict[str, float], float]:
    result, coverage = solution_metrics_per_user(recipe, data, hyperparameters, seed)
    metrics = {name: float(values.mean()) for name, values in result.per_user.items()}
    return {"coverage": coverage, **metrics}, result.train_seconds


RANKING_CANDIDATES = 100  # per candidate list: the relevant items plus random unseen ones


def candidate_lists(
    data: TrainingData, inputs: list[np.ndarray], relevant: list[np.ndarray], seed: int
) -> list[np.ndarray]:
    """Each held-out user's list for a re-ranker (Personalized-Ranking): their relevant items among
    seeded random items they have not seen, RANKING_CANDIDATES in all, shuffled."""
    rng = np.random.default_rng(seed)
    lists = []
    for history, wanted in zip(inputs, relevant, strict=True):
        unseen = np.setdiff1d(np.arange(len(data.items)), np.concatenate([history, wanted]))
        size = min(len(unseen), max(0, RANKING_CANDIDATES - len(wanted)))
        lists.append(rng.permutation(np.concatenate([wanted, rng.choice(unseen, size=size, replace=False)])))
    return lists


def solution_metrics_per_user(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int = 0,
    rerank: bool = False,
) -> tuple[validation.PerUser, float]:
    """(each held-out user's metrics, coverage) on `personalize_split(data, seed)`. Relevant items
    are ranked as in leave-one-out (ties count half); coverage is the share of the catalogue in
    somebody's top 25. With `rerank` (Personalized-Ranking in `allstore evaluate`) each user's
    items are ranked within their `candidate_lists` only, as the recipe is used."""
    train_rows, inputs, relevant, users = personalize_split_with_users(data, seed)
    candidates = candidate_lists(data, inputs, relevant, seed) if rerank else None
    model, train_seconds = validation.fit_timed(recipe, validation.subset(data, train_rows), hyperparameters)
    started = time.perf_counter()
    depth = max(SOLUTION_METRIC_CUTOFFS)
    n_items = len(data.items)
    chunks: list[dict[str, np.ndarray]] = []
    recommended = np.zeros(n_items, dtype=bool)
    counts = np.zeros(n_items, dtype=np.int64)
    step = validation.chunk_users(n_items)
    for begin in range(0, len(inputs), step):
        chunk_inputs = inputs[begin : begin + step]
        chunk_relevant = relevant[begin : begin + step]
        scores = validation.score_batch(
            model, recipe.recipe_type, [data.items[c].tolist() for c in chunk_inputs]
        )
        validation.exclude_seen(scores, chunk_inputs)
        if candidates is not None:
            listed = np.full(scores.shape, -np.inf, dtype=scores.dtype)
            for row, codes in enumerate(candidates[begin : begin + step]):
                listed[row, codes] = scores[row, codes]
            scores = listed
        top = _top_items(scores, min(depth, n_items))
        recommended[top[np.isfinite(np.take_along_axis(scores, top, axis=1))]] = True
        validation.count_top(counts, scores)
        n_relevant = np.array([len(r) for r in chunk_relevant])
        rows = np.repeat(np.arange(len(chunk_relevant)), n_relevant)
        targets = np.concatenate(chunk_relevant)
        ranks = np.empty(len(rows))
        for part in range(0, len(rows), step):  # bounded memory: one row per pair
            pairs = slice(part, part + step)
            ranks[pairs] = validation.tied_rank(scores[rows[pairs]], targets[pairs])
        chunks.append(ranked_metrics(ranks, rows, n_relevant))
    per_user = {
        name: np.concatenate([chunk[name] for chunk in chunks]) if chunks else np.zeros(0)
        for name in SOLUTION_METRIC_NAMES
    }
    result = validation.PerUser(users, per_user, train_seconds, time.perf_counter() - started, counts)
    return result, float(recommended.sum() / n_items)


SOLUTION_METRIC_NAMES = (
    "mean_reciprocal_rank_at_25",
    *(f"normalized_discounted_cumulative_gain_at_{k}" for k in SOLUTION_METRIC_CUTOFFS),
    *(f"precision_at_{k}" for k in SOLUTION_METRIC_CUTOFFS),
)


def ranked_metrics(ranks: np.ndarray, rows: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """The service's per-user metrics from the 1-based rank of each relevant item (`rows`: its
    user's index; np.inf when it is not ranked at all) and each user's number of relevant items.
    Local models and scored batch-inference output both go through here."""
    n_users = len(n_relevant)
    depth = max(SOLUTION_METRIC_CUTOFFS)
    discounts = 1.0 / np.log2(np.arange(2, depth + 2))
    metrics: dict[str, np.ndarray] = {}
    first = np.full(n_users, np.inf)
    np.minimum.at(first, rows, ranks)
    metrics["mean_reciprocal_rank_at_25"] = np.where(first <= depth, 1.0 / first, 0.0)
    for k in SOLUTION_METRIC_CUTOFFS:
        gain = np.bincount(rows, np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0), n_users)
        ideal = np.cumsum(discounts[:k])[np.minimum(n_relevant, k) - 1]
        metrics[f"normalized_discounted_cumulative_gain_at_{k}"] = gain / ideal
    for k in SOLUTION_METRIC_CUTOFFS:
        metrics[f"precision_at_{k}"] = np.bincount(rows, (ranks <= k).astype(np.float64), n_users) / k
    return metrics


def _top_items(scores: np.ndarray, depth: int) -> np.ndarray:
    """Each row's `depth` best item codes, best first."""
    candidates = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    ranked = np.argsort(-np.take_along_axis(scores, candidates, axis=1), axis=1, kind="stable")
    return np.take_along_axis(candidates, ranked, axis=1)
