"""The latent component the recipe pages' hidden_dimension hyperparameters size: the randomized SVD
finds the top singular subspace, and each recipe's scores change when (and only when) one is set."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from allstore.personalize.recipes import TrainingData, get_recipe
from allstore.personalize.recipes.item_model import ItemToItemModel
from allstore.personalize.recipes.latent_factors import LatentBlend, item_factors, metadata_embedding

from .test_recipes import CLUSTER_SIZE, N_ITEMS, sequential_interactions


@pytest.fixture(scope="module")
def clustered() -> TrainingData:
    """Users stay within one cluster of items; the Items dataset names each item's cluster, which
    half of it, and a tag two items share (48 metadata values in all)."""
    metadata = {
        f"item-{k}": {
            "GENRES": f"cluster-{k // CLUSTER_SIZE}",
            "STYLE": f"half-{k // (CLUSTER_SIZE // 2)}",
            "TAGS": f"tag-{k % 30}",
        }
        for k in range(N_ITEMS)
    }
    metadata["brand-new"] = {"GENRES": "cluster-2", "STYLE": "half-4", "TAGS": "tag-21"}
    return TrainingData.from_columns(
        *sequential_interactions(), catalogue=[*metadata], item_metadata=metadata
    )


def test_randomized_svd_finds_the_top_singular_subspace() -> None:
    random = np.random.default_rng(3)
    # Rank 6 plus a little noise: the top 6 right singular vectors are well separated.
    dense = (
        random.standard_normal((300, 6)) @ np.diag([50, 40, 30, 20, 15, 10]) @ random.standard_normal((6, 80))
    )
    dense += 0.01 * random.standard_normal(dense.shape)
    factors = item_factors(sp.csr_matrix(dense), 6)
    assert factors.shape == (80, 6) and factors.dtype == np.float32
    assert np.allclose(factors.T @ factors, np.eye(6), atol=1e-4)  # orthonormal
    exact = np.linalg.svd(dense, full_matrices=False)[2][:6].T
    assert np.linalg.norm(factors.T @ exact) ** 2 / 6 > 0.999  # the same subspace
    # No more directions than the matrix has: a rank-2 matrix gives 2 factors, not 10.
    assert item_factors(sp.csr_matrix(dense[:, :2] @ np.ones((2, 80)) + 0.0), 10).shape[1] <= 2
    assert item_factors(sp.csr_matrix((5, 7)), 3).shape == (7, 0)


def test_hidden_dimension_changes_user_personalization_only_when_set(clustered) -> None:
    recipe = get_recipe("aws-user-personalization")
    plain = recipe.fit(clustered, {})
    assert isinstance(plain, ItemToItemModel)  # unset: the item-to-item model, nothing more
    latent = recipe.fit(clustered, {"hidden_dimension": "32"})
    assert isinstance(latent, LatentBlend) and latent.factors.shape[1] == 32
    history = ["item-3", "item-4", "item-41"]
    assert not np.allclose(plain.score_history(history), latent.score_history(history))
    # The recommendations themselves move, and more with a larger latent weight.
    histories = [[f"item-{k}", f"item-{k + 1}"] for k in range(0, N_ITEMS - 1, 7)]

    def tops(model) -> list[list[int]]:
        return [np.argsort(-model.score_history(h), kind="stable")[:10].tolist() for h in histories]

    strong = recipe.fit(clustered, {"hidden_dimension": "32", "latent_weight": "5.0"})
    moved = sum(a != b for a, b in zip(tops(plain), tops(strong), strict=True))
    assert moved >= len(histories) // 2
    # The rank is what hidden_dimension sets.
    assert recipe.fit(clustered, {"hidden_dimension": "48"}).factors.shape[1] == 48
    # Batch scoring agrees with one-at-a-time, and a grown history changes the latent part at once.
    assert np.allclose(
        latent.score_histories(histories), np.stack([latent.score_history(h) for h in histories]), atol=1e-5
    )
    assert not np.allclose(latent.score_history(history), latent.score_history([*history, "item-50"]))
    restored = pickle.loads(pickle.dumps(latent))  # noqa: S301 - our own bytes
    assert np.array_equal(restored.score_history(history), latent.score_history(history))
    with pytest.raises(ValueError, match="hidden_dimension must be between 32 and 256"):
        recipe.fit(clustered, {"hidden_dimension": "16"})


def test_similar_items_embedding_sizes_change_similar_items(clustered) -> None:
    recipe = get_recipe("aws-similar-items")
    plain = recipe.fit(clustered, {})
    by_id = recipe.fit(clustered, {"item_id_hidden_dimension": "30", "latent_weight": "3.0"})
    assert isinstance(by_id, LatentBlend)
    scores = by_id.score_item("item-12")
    assert scores[clustered.items.tolist().index("item-12")] == -np.inf  # never itself
    assert not np.allclose(plain.score_item("item-12"), scores)
    # The metadata compared through fewer hidden variables (30) than it has values (48): the
    # similarity blurs, so the cold item's scores change (only metadata reaches it).
    by_metadata = recipe.fit(clustered, {"item_metadata_hidden_dimension": "30"})
    assert by_metadata.item_features.shape[1] <= 30
    assert not np.allclose(plain.score_item("brand-new"), by_metadata.score_item("brand-new"))
    best = {clustered.items[code] for code in np.argsort(-by_metadata.score_item("brand-new"))[:5]}
    assert best <= {*(f"item-{k}" for k in range(20, 30)), "item-51"}  # its genre, or its tag
    with pytest.raises(ValueError, match="item_id_hidden_dimension must be between 30 and 200"):
        recipe.fit(clustered, {"item_id_hidden_dimension": "201"})


def test_metadata_embedding_keeps_the_similarity_at_full_rank() -> None:
    features = sp.csr_matrix(np.random.default_rng(1).random((40, 12)).astype(np.float32))
    embedded = metadata_embedding(features, 12)
    exact = (features @ features.T).toarray()
    assert np.allclose((embedded @ embedded.T).toarray(), exact, atol=1e-3)
    assert metadata_embedding(features, 3).shape == (40, 3)


@pytest.mark.parametrize("recipe_name", ["aws-item-affinity", "aws-item-attribute-affinity"])
def test_hidden_dimension_changes_user_segments(clustered, recipe_name: str) -> None:
    recipe = get_recipe(recipe_name)
    plain = recipe.fit(clustered, {})
    latent = recipe.fit(clustered, {"hidden_dimension": "32", "latent_weight": "5.0"})
    assert plain.item_factors is None and latent.item_factors.shape[1] == 32
    assert not np.allclose(plain.score_users_for_item("item-7"), latent.score_users_for_item("item-7"))
    query = 'ITEMS.GENRES = "cluster-1"'
    assert not np.allclose(plain.score_users_for_attributes(query), latent.score_users_for_attributes(query))
