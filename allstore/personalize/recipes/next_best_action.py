"""aws-next-best-action (PERSONALIZED_ACTIONS): the actions a user is most likely to take next.

Trained on the Action interactions dataset, given as `TrainingData` whose items are action ids,
whose event types are TAKEN / NOT_TAKEN / VIEWED, and whose item_metadata holds the Actions
dataset's rows (VALUE, EXPIRATION_TIMESTAMP, REPEAT_FREQUENCY, ...).

A user's propensity to take action a is a (smoothed) base rate — of the users who saw or were
offered a, the share who took it within `action_optimization_period` days — scaled by the lift of
each action the user already took ("people who joined the loyalty programme also install the
app") and lowered by each time this user turned a down. As the service documents, an action with
fewer than 50 TAKEN or fewer than 50 NOT_TAKEN/VIEWED interactions in the 6 weeks before the newest
interaction scores 0.0; ties are broken by the action's VALUE; expired actions are never
recommended, and a taken action only again after REPEAT_FREQUENCY days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_int
from allstore.personalize.recipes.item_graph import stable_argsort

TAKEN, NOT_TAKEN, VIEWED = "TAKEN", "NOT_TAKEN", "VIEWED"
MIN_INTERACTIONS = 50
SCORING_WINDOW_SECONDS = 6 * 7 * 86400
_SMOOTHING = 10.0  # pseudo-users at the overall take rate, so rare actions are not 0 or 1
_DAY = 86400


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _pairs(users: np.ndarray, actions: np.ndarray, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(users * n_actions + actions, return_inverse=True) in linear time: the rows sorted
    stably by action, then by user (radix sorts), put equal (user, action) pairs next to each other
    in increasing order, without np.unique's comparison sort of every row (9 of 28 s at 25M rows)."""
    order = stable_argsort(actions)
    order = order[stable_argsort(users[order])]
    pairs = users[order].astype(np.int64) * n_actions + actions[order]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    pair_of = np.empty(len(pairs), dtype=np.intp)
    pair_of[order] = np.cumsum(first) - 1
    return pairs[first], pair_of


class NextBestActionModel:
    """Base propensities, action-to-action lift and per-action decline factors."""

    def __init__(
        self,
        actions: np.ndarray,
        base: np.ndarray,
        together: sp.csr_matrix,
        taken_count: np.ndarray,
        decline_factor: np.ndarray,
        scoreable: np.ndarray,
        values: np.ndarray,
        expires: np.ndarray,
        repeat_seconds: np.ndarray,
    ) -> None:
        self.items = actions
        self.index = {action: code for code, action in enumerate(actions.tolist())}
        self.base, self.together, self.taken_count = base, together, taken_count
        self.decline_factor, self.scoreable, self.values = decline_factor, scoreable, values
        self.expires, self.repeat_seconds = expires, repeat_seconds

    def lift(self, codes: Sequence[int]) -> np.ndarray:
        """lift[b, a] = P(take a | took b) / P(take a) for the actions b in `codes`, shrunk towards
        1 for rarely taken b (rows computed when asked: actions × actions may be large)."""
        together = self.together[list(codes)].toarray()
        conditional = (together + _SMOOTHING * self.base) / (self.taken_count[list(codes), None] + _SMOOTHING)
        lift = conditional / np.maximum(self.base, 1e-9)
        lift[np.arange(len(codes)), list(codes)] = 1.0
        return lift

    def score_user(self, taken: Sequence[tuple[str, int]], declined: Sequence[str], now: int) -> np.ndarray:
        """Propensity per action in [0, 1] (0.0 where the data is too thin to score, as the
        service reports), or -inf for actions not to recommend now (expired, or taken within their
        repeat frequency — without one, taken once is done)."""
        propensity = self.base.copy()
        taken_codes = [(self.index[action], at) for action, at in taken if action in self.index]
        if taken_codes:
            propensity = propensity * self.lift([code for code, _ in taken_codes]).mean(axis=0)
        for action in declined:
            code = self.index.get(action)
            if code is not None:
                propensity[code] *= self.decline_factor[code]
        propensity = np.where(self.scoreable, np.clip(propensity, 0.0, 1.0), 0.0)
        # VALUE breaks ties without reordering distinct propensities.
        scores = propensity + 1e-9 * self.values
        scores[self.expires <= now] = -np.inf
        for code, at in taken_codes:
            repeat = self.repeat_seconds[code]
            if np.isnan(repeat) or now - at < repeat:
                scores[code] = -np.inf
        return scores


class NextBestAction:
    """Propensity to take each action, from action interactions."""

    name = "aws-next-best-action"
    recipe_type = "PERSONALIZED_ACTIONS"
    description = (
        "Next best actions: the actions a user is most likely to take within the action "
        "optimization period, from who took, turned down or saw each action."
    )
    default_hyperparameters: Mapping[str, str] = {"action_optimization_period": "14"}
    # The recipe page: the action optimization period is a featurization hyperparameter (integer
    # days, default 14, range [7, 28], "HPO tunable: No"), and the recipe "doesn't support
    # hyperparameter optimization". featureTransformationParameters sets it (algorithmHyperParameters
    # takes it too); CreateSolution checks the range, performHPO is refused.
    documented_ranges: Mapping[str, tuple] = {"action_optimization_period": ("integer", 7, 28)}
    featurization_parameters = ("action_optimization_period",)
    hpo_supported = False

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> NextBestActionModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        period = read_int(hp, "action_optimization_period", 7, 28) * _DAY
        n_users, n_actions = len(data.users), len(data.items)
        users, actions, times = data.user_codes, data.item_codes, data.timestamps
        took = data.event_types == TAKEN
        # One entry per (user, action) pair that occurs: its first offer and first take, if any.
        pair_ids, pair_of = _pairs(users, actions, n_actions)
        never = np.iinfo(np.int64).max
        first_offer = np.full(len(pair_ids), never, dtype=np.int64)
        np.minimum.at(first_offer, pair_of[~took], times[~took])
        first_take = np.full(len(pair_ids), never, dtype=np.int64)
        np.minimum.at(first_take, pair_of[took], times[took])
        # Taken within the period after first being offered (or taken without an offer on record).
        positive = (first_take < never) & (first_take - np.minimum(first_offer, first_take) <= period)
        pair_users, pair_actions = pair_ids // n_actions, pair_ids % n_actions
        exposed_count = np.bincount(pair_actions, minlength=n_actions).astype(np.float64)
        taken_count = np.bincount(pair_actions[positive], minlength=n_actions).astype(np.float64)
        overall = taken_count.sum() / max(exposed_count.sum(), 1.0)
        base = (taken_count + _SMOOTHING * overall) / (exposed_count + _SMOOTHING)

        # Actions taken together: (users × actions)ᵀ (users × actions), with the transpose built as
        # its own CSR matrix (a CSC transpose times CSR made scipy convert both, 4 of 17 s at 25M).
        taken_users, taken_actions = pair_users[positive], pair_actions[positive]
        ones = np.ones(len(taken_users))
        taken_matrix = sp.csr_matrix((ones, (taken_users, taken_actions)), shape=(n_users, n_actions))
        by_action = sp.csr_matrix((ones, (taken_actions, taken_users)), shape=(n_actions, n_users))
        together = sp.csr_matrix(by_action @ taken_matrix)

        # Users who turned an action down: how often they took it anyway, relative to the base.
        declined = np.zeros(len(pair_ids), dtype=bool)
        declined[pair_of[data.event_types == NOT_TAKEN]] = True
        declined_count = np.bincount(pair_actions[declined], minlength=n_actions).astype(np.float64)
        taken_anyway = np.bincount(pair_actions[declined & positive], minlength=n_actions).astype(np.float64)
        decline_rate = (taken_anyway + _SMOOTHING * base) / (declined_count + _SMOOTHING)
        decline_factor = np.minimum(decline_rate / np.maximum(base, 1e-9), 1.0)

        latest = int(times.max()) if len(times) else 0
        recent = times > latest - SCORING_WINDOW_SECONDS
        recent_taken = np.bincount(actions[recent & took], minlength=n_actions)
        recent_other = np.bincount(actions[recent & ~took], minlength=n_actions)
        scoreable = (recent_taken >= MIN_INTERACTIONS) & (recent_other >= MIN_INTERACTIONS)

        values = np.zeros(n_actions)
        expires = np.full(n_actions, np.inf)
        repeat_seconds = np.full(n_actions, np.nan)
        for code, action in enumerate(data.items.tolist()):
            fields = {key.upper(): value for key, value in (data.item_metadata.get(action) or {}).items()}
            values[code] = _number(fields.get("VALUE")) or 0.0
            if (expiry := _number(fields.get("EXPIRATION_TIMESTAMP"))) is not None:
                expires[code] = expiry
            if (repeat := _number(fields.get("REPEAT_FREQUENCY"))) is not None:
                repeat_seconds[code] = repeat * _DAY
        return NextBestActionModel(
            data.items,
            base,
            together,
            taken_count,
            decline_factor,
            scoreable,
            values,
            expires,
            repeat_seconds,
        )

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """The optimization period is the user's choice, not a quality knob: nothing to search."""
        return dict(self.default_hyperparameters) | dict(hyperparameters)
