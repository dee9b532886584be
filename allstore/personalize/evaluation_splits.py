"""The offline protocols' splits: which interactions train, and for each test user the input history
the model sees and the items it should find.

- leave-one-out: every user's last item is the target (a repeat of an earlier item stays rankable);
- personalize (GetSolutionMetrics): a seeded 10% of users are held out; the oldest 90% of their
  interactions are the input, the newest 10% minus items already in the input are relevant;
- temporal: everything before a cut-off trains; each user active after it is tested with their
  history before it as the input (empty for a cold user, who is reported apart) and the items
  they interacted with from the cut-off on, minus those in the input, as relevant. A validation
  split is the same cut at the same fraction of the training part, so tuning never sees the test
  period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from allstore.personalize.recipes import validation
from allstore.personalize.recipes.base import TrainingData

HOLDOUT_USER_FRACTION = 0.1
RELEVANT_FRACTION = 0.1


@dataclass(frozen=True)
class Split:
    """Training rows, and per test user (`users`: user codes) the input item codes and the relevant
    item codes. `keep_repeats`: a relevant item that is also in the input is ranked rather than
    excluded (leave-one-out, where the target may be a repeat purchase)."""

    train_rows: np.ndarray
    users: np.ndarray
    inputs: list[np.ndarray]
    relevant: list[np.ndarray]
    keep_repeats: bool = False
    cutoff: int | None = None  # temporal: the first second of the test period

    def training(self, data: TrainingData) -> TrainingData:
        return validation.subset(data, self.train_rows)


def leave_one_out_split(data: TrainingData) -> Split:
    """Every user with two or more interactions: their last one is the target, the rest the input."""
    order, starts = validation.user_sequences(data)
    lengths = np.diff(starts)
    users = np.flatnonzero(lengths >= 2)
    if not len(users):
        raise ValueError("Leave-one-out needs at least one user with two or more interactions")
    last_rows = order[starts[1:][lengths >= 2] - 1]
    train = np.ones(len(data.user_codes), dtype=bool)
    train[last_rows] = False
    inputs = [data.item_codes[order[starts[user] : starts[user + 1] - 1]] for user in users]
    relevant = [data.item_codes[row : row + 1] for row in last_rows]
    return Split(np.flatnonzero(train), users, inputs, relevant, keep_repeats=True)


def personalize_split_with_users(
    data: TrainingData, seed: int
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(training rows, input item codes per held-out user, relevant item codes per held-out user,
    the held-out users' codes).

    Held-out users are a seeded random 10% (at least one); each keeps the oldest 90% of their
    interactions as input (at least one) and the newest 10% (at least one) as relevant, minus any
    item already in the input. Users with nothing relevant left are dropped from the test."""
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


def personalize_split(data: TrainingData, seed: int = 0) -> Split:
    train_rows, inputs, relevant, users = personalize_split_with_users(data, seed)
    return Split(train_rows, users, inputs, relevant)


def cutoff_seconds(data: TrainingData, cutoff: float | int) -> int:
    """The cut-off as unix seconds: a fraction is the timestamp of the first test interaction when
    that share of the interactions, in time order, trains."""
    if isinstance(cutoff, float):
        ordered = np.sort(data.timestamps)
        return int(ordered[min(len(ordered) - 1, int(np.floor(cutoff * len(ordered))))])
    return int(cutoff)


def temporal_split(data: TrainingData, cutoff: float | int) -> Split:
    """Everything before `cutoff` trains; every user with interactions from it on is tested."""
    seconds = cutoff_seconds(data, cutoff)
    before = data.timestamps < seconds
    if not before.any() or before.all():
        when = dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
        raise ValueError(f"cut-off {when}: the temporal protocol needs interactions before and after it")
    order, starts = validation.user_sequences(data)
    inputs, relevant, users = [], [], []
    for user in np.unique(data.user_codes[~before]):
        rows = order[starts[user] : starts[user + 1]]
        history = data.item_codes[rows[before[rows]]]
        new = np.setdiff1d(data.item_codes[rows[~before[rows]]], history)
        if len(new):
            inputs.append(history)
            relevant.append(new)
            users.append(user)
    return Split(np.flatnonzero(before), np.array(users, dtype=np.int64), inputs, relevant, cutoff=seconds)


def validation_cutoff(data: TrainingData, split: Split) -> float:
    """The fraction of the training part that trains a validation run: the test's own share, so the
    validation period is to the training part what the test period is to the whole."""
    return len(split.train_rows) / len(data.timestamps)
