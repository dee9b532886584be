"""The ranking task: a re-ranker (Personalized-Ranking) is scored on per-user candidate lists, as it
is used — GetPersonalizedRanking orders the inputList it is given — not as a full-catalogue
recommender, which it is not.

The rule, in every protocol and for every model compared on the task (the baselines re-rank the
same lists): each test user's list is their relevant items (leave-one-out: the one target) plus
items drawn uniformly at random, without replacement, from those the user has not interacted with
(neither in the input nor relevant), RANKING_CANDIDATES in all (fewer when the catalogue has fewer
unseen items; only the relevant ones when there are more of those), shuffled. The draw is seeded
by the split seed (numpy's default_rng), so a run repeats and `--export-split`'s `ranking.json`,
the batch-inference input for the real service, holds exactly the lists the local models re-rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RANKING_CANDIDATES = 100  # per candidate list: the relevant items plus random unseen ones
CANDIDATE_RULE = (
    "each test user's relevant items plus uniformly random items they have not interacted with, "
    f"{RANKING_CANDIDATES} in all, shuffled; seeded by the split seed"
)


def candidate_lists(
    n_items: int, inputs: Sequence[np.ndarray], relevant: Sequence[np.ndarray], seed: int
) -> list[np.ndarray]:
    """Each test user's candidate list (item codes) by the module's rule."""
    rng = np.random.default_rng(seed)
    lists = []
    for history, wanted in zip(inputs, relevant, strict=True):
        unseen = np.ones(n_items, dtype=bool)
        unseen[history] = False
        unseen[wanted] = False
        pool = np.flatnonzero(unseen)
        size = min(len(pool), max(0, RANKING_CANDIDATES - len(wanted)))
        lists.append(rng.permutation(np.concatenate([wanted, rng.choice(pool, size=size, replace=False)])))
    return lists


def describe(seeds: Sequence[int]) -> dict:
    """The rule as the JSON and the report state it."""
    return {"per_user": RANKING_CANDIDATES, "rule": CANDIDATE_RULE, "seeds": list(seeds)}
