"""aws-similar-items: items similar to a given item, from co-interactions *and* item metadata.

Personalize's Similar-Items differs from SIMS in weighing what items are (the Items dataset's
categorical fields) alongside who interacted with them, so items with few or no interactions
still get, and appear in, similar-item lists. Here that is SIMS' co-interaction graph with a
stronger metadata pull; an item nobody has interacted with is answered from metadata alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from allstore.personalize.recipes import item_features, item_graph, latent_factors
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_float, read_int
from allstore.personalize.recipes.item_model import ItemToItemModel
from allstore.personalize.recipes.latent_factors import LatentBlend
from allstore.personalize.recipes.sims import Sims
from allstore.personalize.recipes.user_personalization import history_length_filter


class SimilarItems(Sims):
    """SIMS' proximity-weighted co-interactions plus metadata similarity (cold items included)."""

    name = "aws-similar-items"
    description = (
        "Similar items from co-interactions and item metadata: items with few or no interactions "
        "are related by their categories, brands and other categorical fields. Needs retraining "
        "to learn from new events."
    )
    default_hyperparameters: Mapping[str, str] = {
        **Sims.default_hyperparameters,
        "metadata_weight": "0.3",
        "latent_weight": "0.3",
    }
    search_space: Mapping[str, Sequence[str]] = {
        **Sims.search_space,
        "metadata_weight": ("0.1", "0.3", "1.0"),
    }
    # Similar-Items documents only the sizes of its own embeddings, item_id_hidden_dimension and
    # item_metadata_hidden_dimension (integers 30-200, default 100 there, "HPO tunable: Yes"; the page
    # sets them through hpoConfig ranges). They have no default here: unset, the model is SIMS'
    # co-interactions plus direct metadata similarity; set (or chosen by HPO), item_id_hidden_dimension
    # adds a latent component of that rank from the interactions, weighed by our latent_weight, and
    # item_metadata_hidden_dimension compares metadata through that many hidden variables (the
    # rank-k approximation of the metadata similarity) instead of directly (latent_factors.py).
    documented_ranges: Mapping[str, tuple] = {
        "item_id_hidden_dimension": ("integer", 30, 200),
        "item_metadata_hidden_dimension": ("integer", 30, 200),
    }
    optional_parameters = ("item_id_hidden_dimension", "item_metadata_hidden_dimension")
    featurization_parameters = ()

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel | LatentBlend:
        hp = {**self.default_hyperparameters, **hyperparameters}
        features = item_features.categorical_features(data.items, data.item_metadata)
        if "item_metadata_hidden_dimension" in hp:
            rank = read_int(hp, "item_metadata_hidden_dimension", 30, 200)
            features = latent_factors.metadata_embedding(features, rank)
        model = self.related_model(data, hp, features)
        if "item_id_hidden_dimension" not in hp:
            return model
        user_codes, item_codes = item_graph.user_ordered(data, history_length_filter(data, hp))
        factors = latent_factors.item_factors(
            latent_factors.interaction_matrix(user_codes, item_codes, len(data.users), len(data.items)),
            read_int(hp, "item_id_hidden_dimension", 30, 200),
        )
        return LatentBlend(model, factors, read_float(hp, "latent_weight", 0.0, 10.0))
