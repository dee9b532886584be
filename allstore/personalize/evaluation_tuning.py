"""`allstore evaluate --tune SECONDS`: each recipe's hyperparameters searched on a validation split
that has no test target in it, then evaluated once on the test split with what won.

A search scored on the test split reports the best of many tries, an optimistic figure. Here the
search sees only the test split's training part, split again by the same protocol (leave-one-out's
second-to-last items, the personalize protocol's users drawn among the training users, the
temporal protocol's training part cut at the same fraction), and is scored by NDCG@10 there (a
re-ranker: on the validation users' candidate lists). The search is performHPO's coordinate search
over the recipe's `search_space`, within the budget.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from allstore.personalize.evaluation import Task, primary_metric, rank_split, split_metrics, validation_split
from allstore.personalize.evaluation_candidates import candidate_lists
from allstore.personalize.evaluation_protocols import MAX_TEST_USERS, Protocol
from allstore.personalize.evaluation_splits import Split
from allstore.personalize.recipes.base import Recipe, TrainingData
from allstore.personalize.recipes.tuning import coordinate_search

VALIDATION_K = 10


@dataclass(frozen=True)
class Tuned:
    """The hyperparameters chosen, and how: the trials (values changed from the defaults, validation
    NDCG@10), the validation split's size and the search's seconds."""

    hyperparameters: dict[str, str]
    trials: list[dict]
    validation_users: int
    seconds: float

    def describe(self) -> dict:
        return {
            "trials": self.trials,
            "validation_users": self.validation_users,
            "seconds": round(self.seconds, 3),
        }


def tune(
    recipe: Recipe,
    data: TrainingData,
    protocol: Protocol,
    test: Split,
    budget_seconds: float,
    seed: int = 0,
    fixed: Mapping[str, str] | None = None,
    task: Task = "catalogue",
    max_users: int | None = MAX_TEST_USERS,
) -> Tuned:
    """The best of the recipe's `search_space` (starting from its defaults with `fixed` on top, which
    is not searched) on the validation split of `test`'s training part — for the ranking task, on
    the validation users' candidate lists, built by the same rule; the starting values when the
    recipe has nothing to search. At most `max_users` validation users (as `--max-users`)."""
    started = time.monotonic()
    fixed = dict(fixed or {})
    defaults = {**recipe.default_hyperparameters, **fixed}
    space = {
        name: values for name, values in getattr(recipe, "search_space", {}).items() if name not in fixed
    }
    if not space:
        return Tuned(defaults, [], 0, 0.0)
    training, validation = validation_split(data, protocol, test, seed, max_users)
    key = primary_metric(protocol)
    warm = np.array([len(history) > 0 for history in validation.inputs], dtype=bool)
    candidates = (
        candidate_lists(len(data.items), validation.inputs, validation.relevant, seed)
        if task == "ranking"
        else None
    )

    def score(hyperparameters: dict[str, str]) -> float:
        ranked = rank_split(recipe, training, hyperparameters, validation, VALIDATION_K, candidates)
        values = split_metrics(protocol, ranked, (VALIDATION_K,))[key]
        return float(values[warm].mean())

    best, trials = coordinate_search(defaults, space, score, started + budget_seconds)
    described = [
        {"changed": {name: value for name, value in values.items() if defaults[name] != value}, key: result}
        for values, result in trials
    ]
    return Tuned(best, described, int(sum(warm)), time.monotonic() - started)
