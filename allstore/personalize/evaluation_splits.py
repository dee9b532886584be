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
    sampled_from: int | None = None  # the whole split's number of test users, when these are a sample

    def training(self, data: TrainingData) -> TrainingData:
        return validation.subset(data, self.train_rows)


def sample_indices(n_users: int, max_users: int | None, seed: int = 0) -> np.ndarray | None:
    """Which of a split's `n_users` test users (their indices, in order) a run with at most
    `max_users` ranks: all of them (None) when they are that few, else `max_users` drawn uniformly
    without replacement with numpy's default_rng(seed)."""
    if max_users is None or n_users <= max_users:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_users, size=max_users, replace=False))


def _ranges(begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of range(begin, end) for each pair, without a Python loop."""
    lengths = ends - begins
    offsets = np.cumsum(lengths) - lengths  # where each range starts in the result
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(begins - offsets, lengths)


def _new_items(
    n_items: int, owners: np.ndarray, history: np.ndarray, later: np.ndarray, n_owners: int
) -> tuple[np.ndarray, np.ndarray]:
    """(new item codes, sorted within each owner; each owner's count of them): per owner (an index
    below `n_owners`, `owners[0]` for the history's rows and `owners[1]` for the later rows), the
    distinct `later` items not in their `history` — np.setdiff1d(later, history) for every owner at
    once, on (owner, item) keys."""
    history_owners, later_owners = owners
    history_keys = history_owners.astype(np.int64) * n_items + history
    later_keys = np.unique(later_owners.astype(np.int64) * n_items + later)
    new = later_keys[~np.isin(later_keys, history_keys)]
    return new % n_items, np.bincount(new // n_items, minlength=n_owners)


def _split(
    data: TrainingData,
    train_rows: np.ndarray,
    users: np.ndarray,
    sequence: np.ndarray,
    input_bounds: tuple[np.ndarray, np.ndarray],
    relevant: np.ndarray,
    relevant_counts: np.ndarray,
    max_users: int | None,
    seed: int,
    **options,
) -> Split:
    """The Split of test `users` whose inputs are `sequence[begin:end]` (`input_bounds`) and whose
    relevant items are `relevant`'s runs of `relevant_counts`, with only the sampled users' lists
    built (`sample_indices`)."""
    begins, ends = input_bounds
    relevant_ends = np.cumsum(relevant_counts)
    relevant_begins = relevant_ends - relevant_counts
    kept = sample_indices(len(users), max_users, seed)
    if kept is not None:
        options["sampled_from"] = len(users)
        users, begins, ends = users[kept], begins[kept], ends[kept]
        relevant_begins, relevant_ends = relevant_begins[kept], relevant_ends[kept]
    dtype = data.item_codes.dtype
    sequence, relevant = sequence.astype(dtype, copy=False), relevant.astype(dtype, copy=False)
    inputs = [sequence[b:e] for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]
    wanted = [relevant[b:e] for b, e in zip(relevant_begins.tolist(), relevant_ends.tolist(), strict=True)]
    return Split(train_rows, users.astype(np.int64), inputs, wanted, **options)


def leave_one_out_split(data: TrainingData, max_users: int | None = None, seed: int = 0) -> Split:
    """Every user with two or more interactions: their last one is the target, the rest the input
    (at most `max_users` of them, a sample seeded by `seed`: `sample_indices`)."""
    order, starts = validation.user_sequences(data)
    lengths = np.diff(starts)
    users = np.flatnonzero(lengths >= 2)
    if not len(users):
        raise ValueError("Leave-one-out needs at least one user with two or more interactions")
    last_rows = order[starts[users + 1] - 1]
    train = np.ones(len(data.user_codes), dtype=bool)
    train[last_rows] = False
    sequence = data.item_codes[order]
    return _split(
        data,
        np.flatnonzero(train),
        users,
        sequence,
        (starts[users], starts[users + 1] - 1),
        data.item_codes[last_rows],
        np.ones(len(users), dtype=np.int64),
        max_users,
        seed,
        keep_repeats=True,
    )


def _personalize(data: TrainingData, seed: int, max_users: int | None = None) -> Split:
    """The personalize protocol's Split (`personalize_split_with_users`), at most `max_users` test
    users (a second draw of default_rng(seed), among those the first one held out)."""
    order, starts = validation.user_sequences(data)
    active = np.flatnonzero(np.diff(starts) >= 2)
    if len(active) < 2:
        raise ValueError("Solution metrics need at least two users with two or more interactions")
    rng = np.random.default_rng(seed)
    n_holdout = max(1, round(HOLDOUT_USER_FRACTION * len(active)))
    holdout = np.sort(rng.choice(active, size=n_holdout, replace=False))
    held = np.zeros(len(data.users), dtype=bool)
    held[holdout] = True
    train = ~held[data.user_codes]
    begins, ends = starts[holdout], starts[holdout + 1]
    n_relevant = np.maximum(1, np.floor(RELEVANT_FRACTION * (ends - begins)).astype(np.int64))
    cuts = ends - n_relevant
    sequence = data.item_codes[order]
    owners = np.arange(n_holdout)
    new, counts = _new_items(
        len(data.items),
        (np.repeat(owners, cuts - begins), np.repeat(owners, n_relevant)),
        sequence[_ranges(begins, cuts)],
        sequence[_ranges(cuts, ends)],
        n_holdout,
    )
    tested = counts > 0  # users with nothing relevant left are dropped from the test
    return _split(
        data,
        np.flatnonzero(train),
        holdout[tested],
        sequence,
        (begins[tested], cuts[tested]),
        new,
        counts[tested],
        max_users,
        seed,
    )


def personalize_split_with_users(
    data: TrainingData, seed: int
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(training rows, input item codes per held-out user, relevant item codes per held-out user,
    the held-out users' codes).

    Held-out users are a seeded random 10% (at least one); each keeps the oldest 90% of their
    interactions as input (at least one) and the newest 10% (at least one) as relevant, minus any
    item already in the input. Users with nothing relevant left are dropped from the test."""
    split = _personalize(data, seed)
    return split.train_rows, split.inputs, split.relevant, split.users


def personalize_split(data: TrainingData, seed: int = 0, max_users: int | None = None) -> Split:
    """`personalize_split_with_users` as a Split, with at most `max_users` test users."""
    return _personalize(data, seed, max_users)


def cutoff_seconds(data: TrainingData, cutoff: float | int) -> int:
    """The cut-off as unix seconds: a fraction is the timestamp of the first test interaction when
    that share of the interactions, in time order, trains."""
    if isinstance(cutoff, float):
        ordered = np.sort(data.timestamps)
        return int(ordered[min(len(ordered) - 1, int(np.floor(cutoff * len(ordered))))])
    return int(cutoff)


def temporal_split(
    data: TrainingData, cutoff: float | int, max_users: int | None = None, seed: int = 0
) -> Split:
    """Everything before `cutoff` trains; every user with interactions from it on is tested (at
    most `max_users` of them, a sample seeded by `seed`)."""
    seconds = cutoff_seconds(data, cutoff)
    before = data.timestamps < seconds
    if not before.any() or before.all():
        when = dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
        raise ValueError(f"cut-off {when}: the temporal protocol needs interactions before and after it")
    order, starts = validation.user_sequences(data)
    # Each user's rows are in time order, so the ones before the cut-off come first.
    n_before = np.bincount(data.user_codes[before], minlength=len(data.users))
    cuts = starts[:-1] + n_before
    ordered_before = before[order]
    sequence = data.item_codes[order]
    user_of = data.user_codes[order]
    new, counts = _new_items(
        len(data.items),
        (user_of[ordered_before], user_of[~ordered_before]),
        sequence[ordered_before],
        sequence[~ordered_before],
        len(data.users),
    )
    users = np.flatnonzero(counts)
    return _split(
        data,
        np.flatnonzero(before),
        users,
        sequence,
        (starts[users], cuts[users]),
        new,
        counts[users],
        max_users,
        seed,
        cutoff=seconds,
    )


def validation_cutoff(data: TrainingData, split: Split) -> float:
    """The fraction of the training part that trains a validation run: the test's own share, so the
    validation period is to the training part what the test period is to the whole."""
    return len(split.train_rows) / len(data.timestamps)
