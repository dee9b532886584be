"""aws-item-affinity and aws-item-attribute-affinity (USER_SEGMENTATION): the users most likely to
interact with an item, or with items that have given attributes.

A segment is the reverse of a recommendation: instead of scoring every item for one history, every
user is scored for one item. With User-Personalization's item-to-item matrix N (what people interact
with after each item) and each user's recency-weighted recent history H (users × items), a user's
affinity to item i is (H · N)[u, i] — one sparse column product for all users — plus their own
interactions with it (H[u, i], re-buying). An attribute query selects items by the Items dataset's
categorical fields and sums their columns. Users with no signal are ordered by how active they are,
the "most active users" baseline a segment must beat.

The service (the batch segment job) calls `users_for_item` / `users_for_attributes`, or the
`score_users_*` methods when it filters users itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from allstore.personalize.recipes import item_graph, latent_factors
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_float, read_int
from allstore.personalize.recipes.item_features import VALUE_SEPARATOR
from allstore.personalize.recipes.user_personalization import UserPersonalization, history_length_filter

# ITEMS.<field> = "<value>", joined by AND / OR (AND binds tighter), as Item-Attribute-Affinity's
# batch segment input writes it: {"itemAttributes": "ITEMS.genres = \"Comedy\" AND ..."}.
_CONDITION = re.compile(r'\s*ITEMS\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*', re.IGNORECASE)
_CONNECTOR = re.compile(r"(AND|OR)\b", re.IGNORECASE)


def parse_item_attributes(query: str) -> list[list[tuple[str, str]]]:
    """An itemAttributes query as OR-groups of AND-ed (FIELD, value) conditions; ValueError if it
    is not `ITEMS.<field> = "<value>"` conditions joined by AND / OR."""
    groups: list[list[tuple[str, str]]] = [[]]
    position = 0
    while True:
        match = _CONDITION.match(query, position)
        if match is None:
            raise ValueError(
                f'itemAttributes must be ITEMS.<field> = "<value>" conditions joined by AND or OR: {query!r}'
            )
        groups[-1].append((match.group(1).upper(), match.group(2).replace('\\"', '"').strip().lower()))
        position = match.end()
        if position == len(query):
            return groups
        connector = _CONNECTOR.match(query, position)
        if connector is None:
            raise ValueError(f"expected AND or OR at position {position} of itemAttributes {query!r}")
        if connector.group(1).upper() == "OR":
            groups.append([])
        position = connector.end()


class SegmentModel:
    """Users × items affinity from recent histories and the item-to-item matrix (plus, with
    `item_factors`, `latent_weight` × the histories' affinity in the latent space, H V Vᵀ)."""

    def __init__(
        self,
        users: np.ndarray,
        items: np.ndarray,
        history: sp.csr_matrix,
        neighbours: sp.csr_matrix,
        own_weight: float,
        activity: np.ndarray,
        item_values: Mapping[tuple[str, str], np.ndarray],
        item_factors: np.ndarray | None = None,
        latent_weight: float = 0.0,
    ) -> None:
        self.users = users
        self.items = items
        self.index = {item: code for code, item in enumerate(items.tolist())}
        self.history = sp.csr_matrix(history, dtype=np.float32)
        self.neighbours = sp.csr_matrix(neighbours, dtype=np.float32)
        self.own_weight = own_weight
        self.activity = np.asarray(activity, dtype=np.float32)
        # (FIELD, value) → the codes of the items that have it (models saved before kept a boolean
        # mask over the catalogue per value instead, which indexes the same items).
        self.item_values = dict(item_values)
        # With hidden_dimension: each user's recent history folded into the latent space (H V).
        self.item_factors = None if item_factors is None else np.asarray(item_factors, dtype=np.float32)
        self.user_factors = None if item_factors is None else np.asarray(self.history @ self.item_factors)
        self.latent_weight = latent_weight

    def _score(self, targets: np.ndarray) -> np.ndarray:
        """Affinity of every user to the target items (a weight per catalogue item)."""
        through_neighbours = self.neighbours @ targets
        scores = self.history @ through_neighbours
        top = scores.max() if len(scores) else 0.0
        if top > 0:
            scores /= top
        scores += self.own_weight * (self.history @ targets)
        if self.user_factors is not None and self.latent_weight > 0:
            latent = self.user_factors @ (self.item_factors.T @ targets)
            top = latent.max() if len(latent) else 0.0
            if top > 0:
                scores += self.latent_weight * latent / top
        return scores + self.activity

    def score_users_for_item(self, item_id: str) -> np.ndarray | None:
        """One affinity per user in `users`, or None when the model does not know the item."""
        code = self.index.get(item_id)
        if code is None:
            return None
        targets = np.zeros(len(self.items), dtype=np.float32)
        targets[code] = 1.0
        return self._score(targets)

    def matching_items(self, query: str) -> np.ndarray:
        """Boolean mask of the items an itemAttributes query selects (ValueError if malformed)."""
        matched = np.zeros(len(self.items), dtype=bool)
        for group in parse_item_attributes(query):
            in_group = np.ones(len(self.items), dtype=bool)
            for key in group:
                in_group &= self.items_with(key)
            matched |= in_group
        return matched

    def items_with(self, key: tuple[str, str]) -> np.ndarray:
        """Boolean mask of the items whose metadata has the (FIELD, lower-cased value) `key`."""
        mask = np.zeros(len(self.items), dtype=bool)
        codes = self.item_values.get(key)
        if codes is not None:
            mask[codes] = True
        return mask

    def score_users_for_attributes(self, query: str) -> np.ndarray:
        """One affinity per user to the items the query selects (ValueError if it is malformed)."""
        matched = self.matching_items(query)
        if not matched.any():
            return self.activity.copy()
        return self._score(matched.astype(np.float32) / matched.sum())

    def users_for_item(self, item_id: str, num_results: int) -> list[str]:
        """The `num_results` users with the highest affinity to the item, best first (most active
        users for an item the model does not know)."""
        scores = self.score_users_for_item(item_id)
        return self.top_users(self.activity if scores is None else scores, num_results)

    def users_for_attributes(self, query: str, num_results: int) -> list[str]:
        """The `num_results` users with the highest affinity to the query's items, best first."""
        return self.top_users(self.score_users_for_attributes(query), num_results)

    def top_users(self, scores: np.ndarray, num_results: int) -> list[str]:
        """The `num_results` best-scored users, best first."""
        n = min(num_results, len(scores))
        if n <= 0:
            return []
        best = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        return self.users[best[np.argsort(-scores[best], kind="stable")]].tolist()


def _item_values(
    items: np.ndarray, item_metadata: Mapping[str, Mapping[str, object]]
) -> dict[tuple[str, str], np.ndarray]:
    """(FIELD, lower-cased value) → the sorted int32 codes of the items that have it, `|`-separated
    values counted apart. (A boolean mask over the catalogue per value took values × items bytes:
    0.9 GB for 3,000 brands of 300k products.)"""
    position = {item: code for code, item in enumerate(items.tolist())}
    codes: dict[tuple[str, str], list[int]] = {}
    for item, fields in item_metadata.items():
        code = position.get(item)
        if code is None:
            continue
        for field, value in fields.items():
            name = field.upper()
            if name == "ITEM_ID" or value is None:
                continue
            for part in str(value).split(VALUE_SEPARATOR):
                key = (name, part.strip().lower())
                if key in codes:
                    codes[key].append(code)
                else:
                    codes[key] = [code]
    return {key: np.unique(np.array(found, dtype=np.int32)) for key, found in codes.items()}


class ItemAffinity:
    """User segments per item, from User-Personalization's item-to-item matrix."""

    name = "aws-item-affinity"
    recipe_type = "USER_SEGMENTATION"
    segment_queries = "items"  # what a batch segment job's input lines name (evaluation uses it)
    description = (
        "User segments: for each item, the users most likely to interact with it, from what people "
        "interact with after the items in each user's recent history. Used by batch segment jobs."
    )
    default_hyperparameters: Mapping[str, str] = {
        **UserPersonalization.default_hyperparameters,
        "own_interaction_weight": "1.0",
    }
    # The recipe pages document one hyperparameter, hidden_dimension (integer 32-256, default 149
    # there), and no HPO ("You can't use hyperparameter optimization"): performHPO is refused at
    # CreateSolution; hidden_dimension, when set, is the rank of a latent-factor component of the
    # affinity (latent_factors.py), none when unset. The other names are this model's own
    # (User-Personalization's item-to-item model underneath).
    documented_ranges: Mapping[str, tuple] = {"hidden_dimension": ("integer", 32, 256)}
    optional_parameters = ("hidden_dimension",)
    hpo_supported = False

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> SegmentModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        graph_only = {name: value for name, value in hp.items() if name != "hidden_dimension"}
        item_model = UserPersonalization().fit(data, {**graph_only, "metadata_weight": "0.0"})
        user_codes, item_codes = item_graph.user_ordered(data, history_length_filter(data, hp))
        history = _recent_history(
            user_codes,
            item_codes,
            len(data.users),
            len(data.items),
            depth=read_int(hp, "bptt", 1, 10_000),
            decay=read_float(hp, "history_decay", 0.0, 1.0),
        )
        counts = np.bincount(user_codes, minlength=len(data.users)).astype(np.float32)
        factors = None
        if "hidden_dimension" in hp:
            factors = latent_factors.item_factors(
                latent_factors.interaction_matrix(user_codes, item_codes, len(data.users), len(data.items)),
                read_int(hp, "hidden_dimension", 32, 256),
            )
        return SegmentModel(
            users=data.users,
            items=data.items,
            history=history,
            neighbours=item_model.neighbours,
            own_weight=read_float(hp, "own_interaction_weight", 0.0, 100.0),
            activity=1e-6 * counts / max(counts.max(), 1.0),
            item_values=_item_values(data.items, data.item_metadata),
            item_factors=factors,
            latent_weight=read_float(hp, "latent_weight", 0.0, 10.0),
        )

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """The item-to-item matrix is User-Personalization's, so its tuning carries over."""
        tuned = UserPersonalization().tune(data, hyperparameters, budget_seconds, space, max_trials)
        return {**self.default_hyperparameters, **hyperparameters, **tuned}


class ItemAttributeAffinity(ItemAffinity):
    """User segments per item-attribute query (the same model, queried by attributes)."""

    name = "aws-item-attribute-affinity"
    segment_queries = "attributes"
    description = (
        'User segments: for each item-attribute query (ITEMS.<field> = "<value>" ...), the users '
        "most likely to interact with items that have those attributes. Used by batch segment jobs."
    )


def _recent_history(
    user_codes: np.ndarray, item_codes: np.ndarray, n_users: int, n_items: int, depth: int, decay: float
) -> sp.csr_matrix:
    """Users × items: each user's last `depth` interactions, the newest weighing 1 and each older
    one `decay` times the next (rows sorted by user, then time)."""
    if len(user_codes) == 0:
        return sp.csr_matrix((n_users, n_items), dtype=np.float32)
    ends = np.searchsorted(user_codes, user_codes, side="right")
    age = ends - 1 - np.arange(len(user_codes))
    recent = age < depth
    return sp.csr_matrix(
        (decay ** age[recent].astype(np.float32), (user_codes[recent], item_codes[recent])),
        shape=(n_users, n_items),
        dtype=np.float32,
    )
