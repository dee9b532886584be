"""aws-similar-items: items similar to a given item, from co-interactions *and* item metadata.

Personalize's Similar-Items differs from SIMS in weighing what items are (the Items dataset's
categorical fields) alongside who interacted with them, so items with few or no interactions
still get, and appear in, similar-item lists. Here that is SIMS' co-interaction graph with a
stronger metadata pull; an item nobody has interacted with is answered from metadata alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from allstore.personalize.recipes.sims import Sims


class SimilarItems(Sims):
    """SIMS' proximity-weighted co-interactions plus metadata similarity (cold items included)."""

    name = "aws-similar-items"
    description = (
        "Similar items from co-interactions and item metadata: items with few or no interactions "
        "are related by their categories, brands and other categorical fields. Needs retraining "
        "to learn from new events."
    )
    default_hyperparameters: Mapping[str, str] = {**Sims.default_hyperparameters, "metadata_weight": "0.3"}
    search_space: Mapping[str, Sequence[str]] = {
        **Sims.search_space,
        "metadata_weight": ("0.1", "0.3", "1.0"),
    }
    # Similar-Items documents only the sizes of its own network's embeddings (integers 30-200, set
    # through HPO), none of them SIMS' names: this co-interaction and metadata model has no
    # embeddings for them to size, so they are refused with a 400 naming them.
    documented_ranges: Mapping[str, tuple] = {}
    featurization_parameters = ()
    unhonoured_parameters: Mapping[str, str] = {
        "item_id_hidden_dimension": "it sizes the service's item ID embeddings; the local model is "
        "co-interactions plus metadata similarity and has no embeddings",
        "item_metadata_hidden_dimension": "it sizes the service's item metadata embeddings; the local "
        "model compares categorical metadata directly and has no embeddings",
    }
