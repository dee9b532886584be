"""One history scored alone gives the same scores as the batch path evaluation uses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from allstore.personalize.recipes.item_model import ItemToItemModel

ITEMS = 400
RNG = np.random.default_rng(7)
NEIGHBOURS = sp.random(ITEMS, ITEMS, density=0.03, random_state=1, format="csr", dtype=np.float32)
FEATURES = sp.random(ITEMS, 25, density=0.1, random_state=2, format="csr", dtype=np.float32)
REPEAT_RATES = RNG.random(ITEMS)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"repeat_rates": REPEAT_RATES, "repeat_decay": 0.9},
        {"item_features": FEATURES, "metadata_weight": 0.3},
        {
            "repeat_rates": REPEAT_RATES,
            "repeat_decay": 0.8,
            "item_features": FEATURES,
            "metadata_weight": 0.3,
        },
    ],
)
@pytest.mark.parametrize(
    "history",
    [[], ["i1"], ["i3", "unknown", "i7", "i3"], [f"i{code}" for code in RNG.integers(0, ITEMS, 40)]],
)
def test_single_history_matches_the_batch_scores(options: dict, history: list[str]) -> None:
    items = np.array([f"i{code}" for code in range(ITEMS)])
    model = ItemToItemModel(items, NEIGHBOURS, RNG.random(ITEMS) * 0.01, 0.8, 20, **options)
    alone = model.score_history(history)
    batch = model.score_histories([history])[0]
    assert alone.shape == (ITEMS,)
    np.testing.assert_allclose(alone, batch, rtol=1e-5, atol=1e-6)
