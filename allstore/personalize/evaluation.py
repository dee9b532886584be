"""Offline evaluation of recipes: Personalize's documented solution metrics, and leave-one-out.

Both protocols train a recipe on part of the data and rank the whole catalogue for held-out
histories, batched (one score matrix per chunk of users) so that tens of thousands of users take
seconds. Items a user already has are excluded from their ranking, as a store would.

- `solution_metrics` is GetSolutionMetrics: 90% of users train; for the other 10%, the oldest 90%
  of their interactions are the input and the newest 10% (items not in the input) are relevant.
- `leave_one_out` is the research protocol: every user's last item is the target, ranked against
  all items with the user's other items excluded; NDCG@10, HR@10 and MRR.
- In every protocol a re-ranker (Personalized-Ranking) is scored on the "ranking" task, each test
  user's candidate list (`evaluation_candidates`) rather than the catalogue; other models can be
  scored on the same lists too, from the same fitted model, for comparison.
- User-segmentation recipes rank users, not items (`segment_metrics`): for each held-out item (or,
  for Item-Attribute-Affinity, each attribute value), the users who interact with it in the test
  part should be near the top of the segment. Personalize's split for these recipes is per user
  (80% of each user's interactions train, 20% test); leave-one-out holds out each user's last one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import scipy.sparse as sp

from allstore.personalize import evaluation_beyond, evaluation_slices
from allstore.personalize.evaluation_candidates import candidate_lists
from allstore.personalize.evaluation_protocols import (
    DEFAULT_CUTOFF,
    MAX_TEST_USERS,
    PROTOCOLS,
    Protocol,
    parse_cutoff,
)
from allstore.personalize.evaluation_splits import (
    Split,
    leave_one_out_split,
    personalize_split,
    temporal_split,
    validation_cutoff,
)
from allstore.personalize.recipes import validation
from allstore.personalize.recipes.base import Recipe, TrainingData
from allstore.personalize.recipes.validation import leave_one_out as leave_one_out  # one protocol of two

SOLUTION_METRIC_CUTOFFS = (5, 10, 25)


def evaluate(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], protocol: Protocol
) -> tuple[dict[str, float], float]:
    """(metrics, training seconds) of `recipe` under `protocol`."""
    run = evaluate_per_user(recipe, data, hyperparameters, protocol)
    return run.metrics, run.train_seconds


@dataclass(frozen=True)
class Run:
    """One recipe under one protocol and split seed: the reported means, and the per-user rows
    behind them (None for user-segmentation recipes, whose metrics are per query); `slices`: the
    same metrics by history length, for cold users and for cold items; `settled`: what the model's
    "auto" hyperparameters became in this fit (a baseline's `settled_hyperparameters`)."""

    metrics: dict[str, float]
    per_user: validation.PerUser | None
    train_seconds: float
    score_seconds: float
    beyond_accuracy: dict[str, float] | None = None
    slices: dict | None = None
    settled: Mapping[str, str] | None = None


def default_cutoffs(protocol: Protocol) -> tuple[int, ...]:
    """The K of each metric when `--k` is not given: the research protocol's 10, the service's 5/10/25."""
    return (validation.TOP_K,) if protocol == "leave-one-out" else SOLUTION_METRIC_CUTOFFS


def primary_metric(protocol: Protocol) -> str:
    """The metric models are ranked and tuned by: NDCG@10 under the protocol's name."""
    return "ndcg_at_10" if protocol == "leave-one-out" else "normalized_discounted_cumulative_gain_at_10"


def protocol_split(
    data: TrainingData,
    protocol: Protocol,
    seed: int = 0,
    cutoff: float | int | None = None,
    max_users: int | None = MAX_TEST_USERS,
) -> Split:
    """The test split of `protocol` (`seed`: the personalize protocol's held-out users and the
    sample of test users; `cutoff`: the temporal protocol's, a fraction or unix seconds), with at
    most `max_users` test users (None: all): a sample drawn uniformly without replacement with
    numpy's default_rng(seed), kept in their order (`evaluation_splits.sample_indices`). The
    training rows stay the same, so each kept user's metrics are exactly what the whole split gives
    them, and with no more test users than `max_users` the split is the whole one."""
    if protocol == "leave-one-out":
        return leave_one_out_split(data, max_users, seed)
    if protocol == "personalize":
        return personalize_split(data, seed, max_users)
    return temporal_split(data, parse_cutoff(DEFAULT_CUTOFF) if cutoff is None else cutoff, max_users, seed)


def validation_split(
    data: TrainingData, protocol: Protocol, test: Split, seed: int = 0, max_users: int | None = MAX_TEST_USERS
) -> tuple[TrainingData, Split]:
    """(the training part, the same protocol's split of it, with at most `max_users` validation
    users): what tuning may look at, with the test targets out of sight. The temporal one cuts the
    training part at the same fraction."""
    training = test.training(data)
    cutoff = validation_cutoff(data, test) if protocol == "temporal" else None
    return training, protocol_split(training, protocol, seed, cutoff, max_users)


Task = Literal["catalogue", "ranking"]
# The stage each task's scoring is announced as (the progress bars' names).
TASK_STAGES: dict[str, str] = {"catalogue": "scoring", "ranking": "re-ranking"}
# ... and the stage its metrics (per-user metrics, slices, beyond-accuracy) are computed in.
METRIC_STAGES: dict[str, str] = {"catalogue": "metrics", "ranking": "re-ranking metrics"}


def task_stages(tasks: Sequence[Task]) -> tuple[str, ...]:
    """The stages after training, in order, of one model ranking `tasks` from one fit: each task's
    scoring and metrics, or with several tasks one scoring pass (the catalogue's scores, and the
    candidate lists from the same rows) and each task's metrics."""
    if len(tasks) == 1:
        return (TASK_STAGES[tasks[0]], METRIC_STAGES[tasks[0]])
    return (TASK_STAGES["catalogue"], *(METRIC_STAGES[task] for task in tasks))


FitIdentity = tuple
# Recipe attributes that name and describe a recipe, or say how it is queried, not how it fits.
NOT_FITTING = frozenset({"name", "description", "recipe_type", "segment_queries"})


class SharedFits:
    """Fitted models kept for the rows of one run whose fits are the same — the same fit method
    (`type(recipe).fit`) with the same hyperparameters on the same training part — so each is
    trained once: Personalized-Ranking's model is User-Personalization's, Item-Attribute-Affinity's
    Item-Affinity's (the -v2 pairs likewise). `planned`: every row's (recipe, hyperparameters), to
    know how many rows will ask for each fit; a fit is dropped once the last of them has it."""

    def __init__(self, planned: Sequence[tuple[Recipe, Mapping[str, str]]]) -> None:
        self._rows: dict[FitIdentity, int] = {}
        for recipe, hyperparameters in planned:
            identity = self.identity(recipe, hyperparameters)
            self._rows[identity] = self._rows.get(identity, 0) + 1
        self._kept: dict[tuple, tuple[object, float, int]] = {}

    @staticmethod
    def identity(recipe: Recipe, hyperparameters: Mapping[str, str]) -> FitIdentity:
        """What a fit depends on: the fit method and the hyperparameters — and the recipe's class
        too when it (or a class between it and the one defining `fit`, or the instance) sets
        anything a fit could read, i.e. more than how the recipe is named and served
        (`NOT_FITTING`). Related-items recipes are told apart: a fit's own validation
        (transition_window "auto") scores them from the last item, other types from the history."""
        kind = type(recipe)
        defining = next(cls for cls in kind.__mro__ if "fit" in vars(cls))
        between = kind.__mro__[: kind.__mro__.index(defining)]
        own = {name for cls in between for name in vars(cls) if not name.startswith("__")}
        own |= set(getattr(recipe, "__dict__", {}))
        return (
            kind.fit,
            kind if own - NOT_FITTING else None,
            recipe.recipe_type == "RELATED_ITEMS",
            tuple(sorted(hyperparameters.items())),
        )

    def fit(
        self,
        recipe: Recipe,
        training: Callable[[], TrainingData],
        hyperparameters: Mapping[str, str],
        part: object,
    ) -> tuple[object, float]:
        """(model, training seconds) of `recipe` on `training()` (`part` names that training part,
        e.g. the split seed): fitted here, or the model an earlier row fitted the same way."""
        identity = self.identity(recipe, hyperparameters)
        rows = self._rows.get(identity, 0)
        key = (identity, part)
        if key in self._kept:
            model, seconds, served = self._kept.pop(key)
        else:
            model, seconds = validation.fit_timed(recipe, training(), hyperparameters)
            served = 0
        if served + 1 < rows:
            self._kept[key] = (model, seconds, served + 1)
        return model, seconds


def default_task(recipe: Recipe) -> Task:
    """A re-ranker's task is ranking candidate lists; every other model's is the whole catalogue."""
    return "ranking" if recipe.recipe_type == "PERSONALIZED_RANKING" else "catalogue"


def evaluate_per_user(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    protocol: Protocol,
    seed: int = 0,
    *,
    ks: Sequence[int] | None = None,
    cutoff: float | int | None = None,
    stage: Callable[[str], None] | None = None,
    task: Task | None = None,
    max_users: int | None = MAX_TEST_USERS,
    fits: SharedFits | None = None,
) -> Run:
    """`recipe` under `protocol`, with metrics at each of `ks`; `seed` draws the Personalize
    protocol's held-out users and the candidate lists (leave-one-out and temporal have no other
    random part); `stage` hears the stages as they start (a user-segmentation recipe's:
    "splitting", "training", "scoring"); `task` (default: the recipe's own, `default_task`) ranks
    the whole catalogue or each test user's candidate list; `fits`: models to share with other
    rows of the run."""
    if recipe.recipe_type == "USER_SEGMENTATION":
        if protocol not in PROTOCOLS:
            raise ValueError(f"Unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
        if protocol == "temporal":
            raise ValueError(
                "user-segmentation recipes are evaluated with the personalize or leave-one-out protocol"
            )
        started = time.perf_counter()
        metrics, train_seconds = segment_metrics(recipe, data, hyperparameters, protocol, stage, fits)
        return Run(metrics, None, train_seconds, time.perf_counter() - started - train_seconds)
    chosen = task or default_task(recipe)
    runs = evaluate_tasks(
        recipe,
        data,
        hyperparameters,
        protocol,
        seed,
        ks=ks,
        cutoff=cutoff,
        stage=stage,
        tasks=(chosen,),
        max_users=max_users,
        fits=fits,
    )
    return runs[chosen]


def evaluate_tasks(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    protocol: Protocol,
    seed: int = 0,
    *,
    ks: Sequence[int] | None = None,
    cutoff: float | int | None = None,
    stage: Callable[[str], None] | None = None,
    tasks: Sequence[Task] = ("catalogue",),
    max_users: int | None = MAX_TEST_USERS,
    split: Split | None = None,
    fits: SharedFits | None = None,
) -> dict[str, Run]:
    """One Run per task from one fitted model: the baselines of a run with a re-ranker rank both the
    catalogue and the candidate lists, trained once and scored once. `stage` hears "splitting"
    (unless `split` is given), "training", and `task_stages(tasks)` as they start; `split`: the
    protocol's split when the caller has it already (the same as `protocol_split(data, protocol,
    seed, cutoff, max_users)`); `fits`: models to share with other rows of the run (the training
    part is named by `seed`, so give it only with the run's one split per seed)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"Unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    ks = tuple(ks or default_cutoffs(protocol))
    if split is None:
        if stage:
            stage("splitting")
        split = protocol_split(data, protocol, seed, cutoff, max_users)
    depth = max(*ks, validation.TOP_K, max(SOLUTION_METRIC_CUTOFFS))
    if stage:
        stage("training")
    if fits is None:
        model, train_seconds = validation.fit_timed(recipe, split.training(data), hyperparameters)
    else:
        model, train_seconds = fits.fit(
            recipe, lambda: split.training(data), hyperparameters, ("split", seed)
        )
    stages = task_stages(tasks)
    if stage:
        stage(stages[0])
    lists = {
        task: candidate_lists(len(data.items), split.inputs, split.relevant, seed)
        if task == "ranking"
        else None
        for task in tasks
    }
    ranked = rank_tasks(model, recipe.recipe_type, data, split, depth, lists)
    runs = {}
    for task, metric_stage in zip(tasks, stages[-len(tasks) :], strict=True):
        if stage:
            stage(metric_stage)
        run = summarise(replace(ranked[task], train_seconds=train_seconds), split, data, protocol, ks)
        runs[task] = replace(run, settled=getattr(model, "settled_hyperparameters", None))
    return runs


def summarise(ranked: Ranked, split: Split, data: TrainingData, protocol: Protocol, ks: Sequence[int]) -> Run:
    """The Run of ranked test users: metrics over users with an input history (cold users, who have
    none, only in their slice), coverage for the service's protocols, beyond-accuracy at each K —
    neither of these two for re-ranked candidate lists, where they would describe the lists."""
    per_user = split_metrics(protocol, ranked, ks)
    lengths = np.array([len(history) for history in split.inputs], dtype=np.int64)
    warm = lengths > 0
    pairs = warm[ranked.rows]
    trained = np.zeros(len(data.items), dtype=bool)
    trained[data.item_codes[split.train_rows]] = True
    slices: dict = {
        "history_length": evaluation_slices.by_history_length(
            lengths[warm], {n: v[warm] for n, v in per_user.items()}
        ),
        **evaluation_slices.by_item_warmth(
            ranked.ranks[pairs], np.concatenate(split.relevant)[pairs], trained, ks
        ),
    }
    if protocol == "temporal":
        slices["cold_users"] = {"users": int((~warm).sum())} | {
            name: float(values[~warm].mean()) if (~warm).any() else None for name, values in per_user.items()
        }
        slices["cutoff"] = split.cutoff
    if not warm.any():
        raise ValueError("no test user has a history before the test period")
    top = ranked.top[warm]
    metrics: dict[str, float] = {}
    if protocol != "leave-one-out" and not ranked.reranked:
        listed = top[:, : max(SOLUTION_METRIC_CUTOFFS)]
        metrics["coverage"] = float(len(np.unique(listed[listed >= 0])) / len(data.items))
    metrics |= {name: float(values[warm].mean()) for name, values in per_user.items()}
    beyond: dict[str, float] = {}
    categories = evaluation_beyond.item_categories(data)
    for k in () if ranked.reranked else ks if ks != default_cutoffs(protocol) else (validation.TOP_K,):
        beyond |= evaluation_beyond.beyond_accuracy(
            evaluation_beyond.top_counts(top, len(data.items), k), data, k
        )
        if categories is not None:
            diversity = evaluation_beyond.intra_list_diversity(top, categories, k)
            if np.isfinite(diversity).any():
                beyond[f"intra_list_diversity_at_{k}"] = float(np.nanmean(diversity))
    result = validation.PerUser(
        split.users[warm],
        {n: v[warm] for n, v in per_user.items()},
        ranked.train_seconds,
        ranked.score_seconds,
    )
    return Run(metrics, result, ranked.train_seconds, ranked.score_seconds, beyond, slices)


def split_metrics(protocol: Protocol, ranked: Ranked, ks: Sequence[int]) -> dict[str, np.ndarray]:
    """Per test user: leave-one-out's NDCG@K, HR@K and MRR of the one target, or the service's
    MRR@25, NDCG@K and precision@K over the relevant items."""
    if protocol != "leave-one-out":
        return ranked_metrics(ranked.ranks, ranked.rows, ranked.n_relevant, ks)
    rank = ranked.ranks
    metrics = {f"ndcg_at_{k}": np.where(rank <= k, 1.0 / np.log2(rank + 1.0), 0.0) for k in ks}
    metrics |= {f"hr_at_{k}": (rank <= k).astype(np.float64) for k in ks}
    metrics["mrr"] = 1.0 / rank
    return metrics


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
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    protocol: Protocol,
    stage: Callable[[str], None] | None = None,
    fits: SharedFits | None = None,
) -> tuple[dict[str, float], float]:
    """(metrics, training seconds) of a USER_SEGMENTATION recipe: `recall_at_{1,5}_percent` (the
    share of a query's test users found in the top 1% / 5% of all users) and
    `mean_reciprocal_rank_of_users`, averaged over at most MAX_SEGMENT_QUERIES queries.
    Users who already had a query's items in training are not counted either way. `stage` hears
    "splitting", "training" and "scoring" (the queries) as they start."""
    if stage:
        stage("splitting")
    order, starts = validation.user_sequences(data)
    test = np.zeros(len(data.user_codes), dtype=bool)
    for user in np.flatnonzero(np.diff(starts) >= 2):
        rows = order[starts[user] : starts[user + 1]]
        n_test = (
            1 if protocol == "leave-one-out" else max(1, int(np.floor(SEGMENT_TEST_FRACTION * len(rows))))
        )
        test[rows[-n_test:]] = True
    if stage:
        stage("training")
    if fits is None:
        model, train_seconds = validation.fit_timed(
            recipe, validation.subset(data, np.flatnonzero(~test)), hyperparameters
        )
    else:
        model, train_seconds = fits.fit(
            recipe,
            lambda: validation.subset(data, np.flatnonzero(~test)),
            hyperparameters,
            ("segments", protocol),
        )
    if stage:
        stage("scoring")
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
    # By item: a query's users are its columns' rows (a CSR column slice reads every row).
    trained_by_item, tested_by_item = trained.tocsc(), tested.tocsc()
    for query, items in queries:
        had = _users_of(trained_by_item, items)
        relevant = _users_of(tested_by_item, items) & ~had
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
        ranks = _ranks_of(scores, np.flatnonzero(relevant))
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


def _users_of(by_item: sp.csc_matrix, items: np.ndarray) -> np.ndarray:
    """Whether each user (row) has an entry in any of the `items` columns."""
    users = np.zeros(by_item.shape[0], dtype=bool)
    users[by_item[:, items].indices] = True
    return users


def _ranks_of(scores: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """`_ranks(scores)[entries]` from one sorted copy of the scores, without ranking every entry."""
    descending = np.sort(-scores)  # the negated scores in _ranks' order (NaN last, as there)
    wanted = -scores[entries]
    first = np.searchsorted(descending, wanted, side="left")
    last = np.searchsorted(descending, wanted, side="right")
    return 1.0 + first + (last - first - 1) / 2.0


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every entry (ties count half, as in leave-one-out)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    first = np.searchsorted(-sorted_scores, -sorted_scores, side="left")
    last = np.searchsorted(-sorted_scores, -sorted_scores, side="right")
    ranks = np.empty(len(scores))
    ranks[order] = 1.0 + first + (last - first - 1) / 2.0
    return ranks


def _solution_metrics(
    recipe: Recipe, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0
) -> tuple[dict[str, float], float]:
    result, coverage = solution_metrics_per_user(recipe, data, hyperparameters, seed)
    metrics = {name: float(values.mean()) for name, values in result.per_user.items()}
    return {"coverage": coverage, **metrics}, result.train_seconds


@dataclass(frozen=True)
class Ranked:
    """A split's test users ranked by a model: the 1-based rank of every (user, relevant item)
    pair (`rows`: the pair's test-user index; ties count half), each user's number of relevant
    items, and each user's top items (-1 past the last finite score)."""

    ranks: np.ndarray
    rows: np.ndarray
    n_relevant: np.ndarray
    top: np.ndarray
    train_seconds: float
    score_seconds: float
    reranked: bool = False  # ranked within candidate lists


def rank_split(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    split: Split,
    depth: int,
    candidates: list[np.ndarray] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Ranked:
    """Fit `recipe` on the split's training rows and rank the catalogue for every test user's
    input, with the input's items excluded (but a relevant repeat kept when `split.keep_repeats`)
    and, with `candidates`, only each user's candidate list ranked (a re-ranker)."""
    if stage:
        stage("training")
    model, train_seconds = validation.fit_timed(recipe, split.training(data), hyperparameters)
    if stage:
        stage(TASK_STAGES["catalogue" if candidates is None else "ranking"])
    ranked = rank_fitted(model, recipe.recipe_type, data, split, depth, candidates)
    return replace(ranked, train_seconds=train_seconds)


def rank_fitted(
    model, recipe_type: str, data: TrainingData, split: Split, depth: int, candidates: list[np.ndarray] | None
) -> Ranked:
    """`rank_split` with a model already fitted on the split's training rows (train_seconds 0)."""
    return rank_tasks(model, recipe_type, data, split, depth, {"catalogue": candidates})["catalogue"]


def rank_tasks(
    model,
    recipe_type: str,
    data: TrainingData,
    split: Split,
    depth: int,
    lists: Mapping[str, list[np.ndarray] | None],
) -> dict[str, Ranked]:
    """`rank_fitted` for each of `lists` (a task's candidate lists, None: the catalogue) from one
    score matrix per chunk of test users: scoring is the expensive part, and every task ranks the
    same scores (the catalogue's, with the inputs excluded) — the lists only keep their items'.
    Each Ranked's score_seconds is the shared scoring plus its own ranking."""
    n_items = len(data.items)
    depth = min(depth, n_items)
    n_relevant = np.array([len(r) for r in split.relevant], dtype=np.int64)
    pair_rows = np.repeat(np.arange(len(split.relevant)), n_relevant)
    targets = np.concatenate(split.relevant) if split.relevant else np.zeros(0, dtype=np.int64)
    ranks = {task: np.empty(len(pair_rows)) for task in lists}
    top = {task: np.full((len(split.inputs), depth), -1, dtype=np.int32) for task in lists}
    seconds = dict.fromkeys(lists, 0.0)
    shared = 0.0
    step = validation.chunk_users(n_items)
    offsets = np.concatenate([[0], np.cumsum(n_relevant)])
    for begin in range(0, len(split.inputs), step):
        started = time.perf_counter()
        end = min(begin + step, len(split.inputs))
        chunk_inputs = split.inputs[begin:end]
        scores = validation.score_batch(model, recipe_type, [data.items[c].tolist() for c in chunk_inputs])
        pairs = slice(offsets[begin], offsets[end])
        rows, wanted = pair_rows[pairs] - begin, targets[pairs]
        kept = scores[rows, wanted].copy() if split.keep_repeats else None
        validation.exclude_seen(scores, chunk_inputs)
        if kept is not None:
            scores[rows, wanted] = kept
        shared += time.perf_counter() - started
        for task, candidates in lists.items():
            started = time.perf_counter()
            if candidates is None:
                top[task][begin:end] = _top_items(scores, depth)
                ranks[task][pairs] = validation.tied_rank(scores, wanted, rows)
            else:
                top[task][begin:end], ranks[task][pairs] = _rank_lists(
                    scores, candidates[begin:end], rows, wanted, depth
                )
            seconds[task] += time.perf_counter() - started
    return {
        task: Ranked(
            ranks[task],
            pair_rows,
            n_relevant,
            top[task],
            0.0,
            shared + seconds[task],
            reranked=candidates is not None,
        )
        for task, candidates in lists.items()
    }


def solution_metrics_per_user(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int = 0,
) -> tuple[validation.PerUser, float]:
    """(each held-out user's metrics, coverage) on `personalize_split(data, seed)`, as
    GetSolutionMetrics reports them: relevant items ranked as in leave-one-out (ties count half);
    coverage is the share of the catalogue in somebody's top 25."""
    split = personalize_split(data, seed)
    ranked = rank_split(recipe, data, hyperparameters, split, max(SOLUTION_METRIC_CUTOFFS))
    per_user = ranked_metrics(ranked.ranks, ranked.rows, ranked.n_relevant)
    counts = evaluation_beyond.top_counts(ranked.top, len(data.items), validation.TOP_K)
    result = validation.PerUser(split.users, per_user, ranked.train_seconds, ranked.score_seconds, counts)
    listed = ranked.top[ranked.top >= 0]
    return result, float(len(np.unique(listed)) / len(data.items))


def ranked_metrics(
    ranks: np.ndarray,
    rows: np.ndarray,
    n_relevant: np.ndarray,
    cutoffs: Sequence[int] = SOLUTION_METRIC_CUTOFFS,
) -> dict[str, np.ndarray]:
    """The service's per-user metrics from the 1-based rank of each relevant item (`rows`: its
    user's index; np.inf when it is not ranked at all) and each user's number of relevant items:
    MRR@25, then NDCG and precision at each of `cutoffs`. Local models and scored batch-inference
    output both go through here."""
    n_users = len(n_relevant)
    depth = max(SOLUTION_METRIC_CUTOFFS)
    discounts = 1.0 / np.log2(np.arange(2, max(*cutoffs, depth) + 2))
    metrics: dict[str, np.ndarray] = {}
    first = np.full(n_users, np.inf)
    np.minimum.at(first, rows, ranks)
    metrics["mean_reciprocal_rank_at_25"] = np.where(first <= depth, 1.0 / first, 0.0)
    for k in cutoffs:
        gain = np.bincount(rows, np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0), n_users)
        ideal = np.cumsum(discounts[:k])[np.minimum(n_relevant, k) - 1]
        metrics[f"normalized_discounted_cumulative_gain_at_{k}"] = gain / ideal
    for k in cutoffs:
        metrics[f"precision_at_{k}"] = np.bincount(rows, (ranks <= k).astype(np.float64), n_users) / k
    return metrics


def _rank_lists(
    scores: np.ndarray, lists: Sequence[np.ndarray], rows: np.ndarray, targets: np.ndarray, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """(`_top_items`, `validation.tied_rank`) of score rows that keep only each row's list (its
    item codes, distinct) and are -inf elsewhere — computed from the listed scores alone, not
    from catalogue-wide rows of which all but a hundred entries are -inf. A target outside its
    list scores -inf there; a -inf target ties with every unlisted item as well."""
    n_rows, n_items = scores.shape
    lengths = np.array([len(codes) for codes in lists], dtype=np.int64)
    width = int(lengths.max()) if n_rows else 0
    codes = np.full((n_rows, width), -1, dtype=np.int64)
    values = np.full((n_rows, width), np.nan, dtype=scores.dtype)  # NaN: neither above nor tied
    filled = np.arange(width) < lengths[:, None]
    codes[filled] = np.concatenate(lists) if n_rows else []
    values[filled] = scores[np.nonzero(filled)[0], codes[filled]]
    # The top: listed scores that are not -inf (nor NaN), by score, then by lower code.
    listed = filled & (values > -np.inf)
    flat_rows, flat_codes, flat_values = np.nonzero(listed)[0], codes[listed], values[listed]
    order = np.lexsort((flat_codes, -flat_values, flat_rows))
    flat_rows, flat_codes = flat_rows[order], flat_codes[order]
    place = np.arange(len(flat_rows)) - np.searchsorted(flat_rows, np.arange(n_rows))[flat_rows]
    keep = place < min(depth, n_items)
    top = np.full((n_rows, min(depth, n_items)), -1, dtype=np.int64)
    top[flat_rows[keep], place[keep]] = flat_codes[keep]
    # Each target's tied rank in its row, as validation.tied_rank counts it over the whole row.
    in_list = (codes[rows] == targets[:, None]).any(axis=1)
    score = np.where(in_list, scores[rows, targets], -np.inf).astype(scores.dtype)
    row_values = values[rows]
    above = np.count_nonzero(row_values > score[:, None], axis=1)
    tied = np.count_nonzero(row_values == score[:, None], axis=1) - 1
    tied = tied + np.where(score == -np.inf, n_items - lengths[rows], 0)
    return top, 1.0 + above + tied / 2.0


TOP_BLOCK = 256  # items per block when bounding each row's depth-th best score
TOP_CANDIDATES = 4096  # a row with more scores at or above its bound (ties) is partitioned instead


def _top_items(scores: np.ndarray, depth: int) -> np.ndarray:
    """Each row's `depth` best item codes, best first, equal scores by lower item code, -1 past the
    row's last finite score.

    Exact without partitioning every whole row (the dominant cost of scoring 300k-item rows): the
    depth-th largest of a row's block maxima (TOP_BLOCK items a block) is at most its depth-th
    largest score, since depth blocks each hold a score at least that high, so only the few scores
    at or above that bound are sorted. A row where ties make them many is partitioned on keys that
    order by score, then by code, so the result is the same either way."""
    n_rows, n_items = scores.shape
    depth = min(depth, n_items)
    top = np.full((n_rows, depth), -1, dtype=np.int64)
    if n_rows == 0 or depth == 0:
        return top
    full = n_items // TOP_BLOCK * TOP_BLOCK
    maxima = [scores[:, :full].reshape(n_rows, -1, TOP_BLOCK).max(axis=2)] if full else []
    if full < n_items:
        maxima.append(scores[:, full:].max(axis=1, keepdims=True))
    blocks = np.concatenate(maxima, axis=1)
    if blocks.shape[1] >= depth:
        bound = np.partition(blocks, blocks.shape[1] - depth, axis=1)[:, blocks.shape[1] - depth]
    else:
        bound = np.full(n_rows, -np.inf, dtype=scores.dtype)
    # A row with fewer than depth finite blocks: every finite score is a candidate (NaN never is).
    lowest = -np.finfo(scores.dtype).max if scores.dtype.kind == "f" else np.iinfo(scores.dtype).min
    bound = np.where(np.isfinite(bound), bound, lowest).astype(scores.dtype)
    # np.nonzero is ten times slower here, and counting along rows slower than counting the codes.
    rows, cols = np.divmod(np.flatnonzero(scores >= bound[:, None]), n_items)
    heavy = np.bincount(rows, minlength=n_rows) > TOP_CANDIDATES
    if heavy.any():
        light = ~heavy[rows]
        rows, cols = rows[light], cols[light]
    values = scores[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    place = np.arange(len(rows)) - starts[rows]
    keep = place < depth
    top[rows[keep], place[keep]] = cols[keep]
    for row in np.flatnonzero(heavy):
        top[row] = _top_by_keys(scores[row], depth)
    return top


def _top_by_keys(row: np.ndarray, depth: int) -> np.ndarray:
    """`_top_items` of one row by partitioning distinct keys: the score's order-preserving integer
    image, then the code reversed (equal scores: the lower code first); -1 past the finite scores."""
    bits = np.asarray(row, dtype=np.float32).view(np.int32).astype(np.int64)
    ordered = np.where(bits < 0, bits ^ 0x7FFFFFFF, bits)  # sorts as the floats do
    keys = (ordered << 32) | (len(row) - 1 - np.arange(len(row), dtype=np.int64))
    chosen = np.argpartition(-keys, depth - 1)[:depth]
    chosen = chosen[np.argsort(-keys[chosen])]
    return np.where(np.isfinite(row[chosen]), chosen, -1)
