"""Frequently bought together (the e-commerce use case): items purchased by the same customer close
together in time — in one order or one shopping trip — discounted by popularity.

Unlike "customers who viewed X also viewed" (SIMS over views, any distance in the sequence), a pair
counts only when both purchases fall within `co_purchase_seconds` of each other, because a tent
bought in May and a stove bought in October were not bought together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from allstore.personalize.recipes import item_graph
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_float, read_int
from allstore.personalize.recipes.item_model import ItemToItemModel

MAX_BASKET_STEPS = 20  # pairs further apart in a customer's purchases than this are not looked at


class FrequentlyBoughtTogether:
    """Symmetric co-purchase counts within a time window, popularity-discounted."""

    name = "aws-ecomm-frequently-bought-together"
    recipe_type = "RELATED_ITEMS"
    description = "Items customers buy together with an item: co-purchases within a short time window."
    default_hyperparameters: Mapping[str, str] = {
        "co_purchase_seconds": "86400",
        "popularity_discount_factor": "0.5",
        "neighbours": "200",
    }

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        window = read_int(hp, "co_purchase_seconds", 1, 365 * 86400)
        order = np.lexsort((data.timestamps, data.user_codes))
        users, items, times = data.user_codes[order], data.item_codes[order], data.timestamps[order]
        n_items = len(data.items)
        rows, cols = [], []
        for distance in range(1, min(MAX_BASKET_STEPS, len(items) - 1) + 1):
            together = (users[:-distance] == users[distance:]) & (
                times[distance:] - times[:-distance] <= window
            )
            together &= items[:-distance] != items[distance:]
            rows += [items[:-distance][together], items[distance:][together]]
            cols += [items[distance:][together], items[:-distance][together]]
        pairs = sp.csr_matrix(
            (
                np.ones(sum(len(r) for r in rows), dtype=np.float32),
                (np.concatenate(rows or [np.zeros(0, int)]), np.concatenate(cols or [np.zeros(0, int)])),
            ),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        counts = np.bincount(items, minlength=n_items).astype(np.float32)
        discount = read_float(hp, "popularity_discount_factor", 0.0, 1.0)
        scaled = item_graph.popularity_normalised(pairs, counts, 0.0, discount)
        neighbours = item_graph.top_k_per_row(scaled, read_int(hp, "neighbours", 1, 5000))
        return ItemToItemModel.related_items(data.items, neighbours, counts)

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """The basket window is a definition of "together", not a quality knob: nothing to search."""
        return dict(self.default_hyperparameters) | dict(hyperparameters)
