"""performHPO: a small, bounded search of hpoConfig's ranges (else a recipe's `search_space`) on a
validation split.

The validation split is leave-one-out on the training data itself (each user's newest interaction
is held out), on a sample of users when the data is large, so a search step costs about one
training. Coordinate search — one hyperparameter at a time, keeping the best so far — finds most of
the gain in few steps, and stopping at the time budget or at hpoResourceConfig's
maxNumberOfTrainingJobs trainings keeps CreateSolutionVersion's time predictable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from allstore.personalize.recipes.base import Recipe, TrainingData
from allstore.personalize.recipes.validation import leave_one_out, subset


class TunableRecipe(Recipe, Protocol):
    """A recipe that lists candidate values (strings) for the hyperparameters worth searching."""

    search_space: Mapping[str, Sequence[str]]


MAX_VALIDATION_USERS = 10_000


def validation_sample(data: TrainingData, seed: int = 0) -> TrainingData:
    """At most MAX_VALIDATION_USERS users (all their interactions), chosen at random."""
    # np.unique and np.isin, counted and looked up by user code (linear: at 25M interactions the
    # sort or hash of every row's code was 6 of the 13 CPU seconds choosing transition_window).
    present = np.flatnonzero(np.bincount(data.user_codes, minlength=len(data.users)))
    if len(present) <= MAX_VALIDATION_USERS:
        return data
    chosen = np.random.default_rng(seed).choice(present, size=MAX_VALIDATION_USERS, replace=False)
    is_chosen = np.zeros(max(len(data.users), int(present[-1]) + 1), dtype=bool)
    is_chosen[chosen] = True
    return subset(data, np.flatnonzero(is_chosen[data.user_codes]))


def best_value(
    recipe: Recipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    name: str,
    candidates: Sequence[str],
) -> str:
    """The candidate value of one hyperparameter with the best validation NDCG@10 (the first one
    when there is nobody to validate on, or on a tie)."""
    validation = validation_sample(data)
    if not _can_validate(validation):
        return candidates[0]
    scores = [
        leave_one_out(recipe, validation, {**hyperparameters, name: value})["ndcg_at_10"]
        for value in candidates
    ]
    return candidates[int(np.argmax(scores))]


def tune_on_validation(
    recipe: TunableRecipe,
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    budget_seconds: float,
    space: Mapping[str, Sequence[str]] | None = None,
    max_trials: int | None = None,
) -> dict[str, str]:
    """The best hyperparameters found by NDCG@10 within `budget_seconds` and `max_trials` trainings
    (the starting values when nothing beats them). `space` is hpoConfig's ranges as candidate values
    per name, searched in that order from each name's first candidate; without it, the recipe's own
    `search_space` is searched for the hyperparameters the caller did not set. A trial that starts
    before the deadline runs to its end, so the search can overrun by one training."""
    deadline = time.monotonic() + budget_seconds
    validation = validation_sample(data)
    best = {**recipe.default_hyperparameters, **hyperparameters}
    if space is None:
        space = {name: values for name, values in recipe.search_space.items() if name not in hyperparameters}
    else:
        best.update({name: values[0] for name, values in space.items()})
    if not _can_validate(validation):
        return best
    return coordinate_search(
        best,
        space,
        lambda candidate: leave_one_out(recipe, validation, candidate)["ndcg_at_10"],
        deadline,
        max_trials,
    )[0]


def coordinate_search(
    start: Mapping[str, str],
    space: Mapping[str, Sequence[str]],
    score: Callable[[dict[str, str]], float],
    deadline: float,
    max_trials: int | None = None,
) -> tuple[dict[str, str], list[tuple[dict[str, str], float]]]:
    """(the best values, every trial with its score): one hyperparameter at a time, keeping the best
    so far, until `deadline` (time.monotonic()) or `max_trials` trainings. A trial that starts
    before the deadline runs to its end, so the search can overrun by one training."""
    best = dict(start)
    best_score = score(best)
    trials = [(best, best_score)]
    for name, values in space.items():
        for value in values:
            if time.monotonic() >= deadline or (max_trials is not None and len(trials) >= max_trials):
                return best, trials
            if value == best[name]:
                continue
            candidate = {**best, name: value}
            trials.append((candidate, score(candidate)))
            if trials[-1][1] > best_score:
                best, best_score = candidate, trials[-1][1]
    return best, trials


def _can_validate(validation: TrainingData) -> bool:
    """Whether some user has an interaction to hold out and one to keep."""
    return bool((np.bincount(validation.user_codes) >= 2).any())
