"""Domain use cases (the recipes of ECOMMERCE and VIDEO_ON_DEMAND recommenders), each backed by
one of our recipes trained on the event types the use case learns from.

What each use case needs and does is the service's documentation (developer guide, "ECOMMERCE use
cases" and "VIDEO_ON_DEMAND use cases"): the event types it trains on (at least 1000 of the
required one), whether GetRecommendations needs a userId and an itemId, which datasets training
reads, and which items it removes automatically (e-commerce: what the user purchased; video:
what the user watched), before any filter of the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from allstore.personalize.recipes.base import Recipe
from allstore.personalize.recipes.frequently_bought_together import FrequentlyBoughtTogether
from allstore.personalize.recipes.popularity import PopularityCount, TrendingNow
from allstore.personalize.recipes.similar_items import SimilarItems
from allstore.personalize.recipes.sims import Sims
from allstore.personalize.recipes.v2 import UserPersonalizationV2

DOMAINS = ("ECOMMERCE", "VIDEO_ON_DEMAND")
MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25  # users with at least two interactions
MIN_EVENTS_OF_REQUIRED_TYPE = 1000


@dataclass(frozen=True)
class UseCase:
    """One use case: its recipe name, the recipe behind it, and the service's rules for it."""

    name: str  # e.g. aws-ecomm-recommended-for-you
    domain: str
    description: str
    recipe: Recipe
    required_event_type: str | None  # at least MIN_EVENTS_OF_REQUIRED_TYPE of these
    training_event_types: tuple[str, ...] | None  # None: every event type
    user_id_required: bool
    item_id_required: bool
    excluded_event_types: tuple[str, ...] = ()  # the user's items of these types are filtered out
    items_dataset_required: bool = False
    hyperparameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def recipe_type(self) -> str:
        return self.recipe.recipe_type


_UP, _SIMS, _SIMILAR = UserPersonalizationV2(), Sims(), SimilarItems()
_POPULAR, _TRENDING, _FBT = PopularityCount(), TrendingNow(), FrequentlyBoughtTogether()

USE_CASES: dict[str, UseCase] = {
    use_case.name: use_case
    for use_case in (
        UseCase(
            "aws-ecomm-recommended-for-you",
            "ECOMMERCE",
            "Personalized item recommendations for a user; items the user purchased are filtered out.",
            _UP,
            "View",
            None,
            user_id_required=True,
            item_id_required=False,
            excluded_event_types=("Purchase",),
        ),
        UseCase(
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            "ECOMMERCE",
            "Items customers also viewed after viewing the given item; the user's purchases are filtered out.",
            _SIMS,
            "View",
            ("View",),
            user_id_required=True,
            item_id_required=True,
            excluded_event_types=("Purchase",),
        ),
        UseCase(
            "aws-ecomm-frequently-bought-together",
            "ECOMMERCE",
            "Items customers frequently buy together with the given item (co-purchases).",
            _FBT,
            "Purchase",
            ("Purchase",),
            user_id_required=False,
            item_id_required=True,
        ),
        UseCase(
            "aws-ecomm-popular-items-by-purchases",
            "ECOMMERCE",
            "Best sellers: items purchased most often.",
            _POPULAR,
            "Purchase",
            ("Purchase",),
            user_id_required=True,
            item_id_required=False,
        ),
        UseCase(
            "aws-ecomm-popular-items-by-views",
            "ECOMMERCE",
            "Most viewed: items viewed most often.",
            _POPULAR,
            "View",
            ("View",),
            user_id_required=True,
            item_id_required=False,
        ),
        UseCase(
            "aws-vod-top-picks",
            "VIDEO_ON_DEMAND",
            "Top picks for you: personalized videos for a user; videos the user watched are filtered out.",
            _UP,
            "Watch",
            None,
            user_id_required=True,
            item_id_required=False,
            excluded_event_types=("Watch",),
            items_dataset_required=True,
        ),
        UseCase(
            "aws-vod-because-you-watched-x",
            "VIDEO_ON_DEMAND",
            "Videos other users also watched after the given video; watched videos are filtered out.",
            _SIMS,
            "Watch",
            ("Watch",),
            user_id_required=True,
            item_id_required=True,
            excluded_event_types=("Watch",),
        ),
        UseCase(
            "aws-vod-more-like-x",
            "VIDEO_ON_DEMAND",
            "Videos similar to the given video, by co-interactions and metadata; watched videos are filtered out.",
            _SIMILAR,
            None,
            None,
            user_id_required=True,
            item_id_required=True,
            excluded_event_types=("Watch",),
            items_dataset_required=True,
        ),
        UseCase(
            "aws-vod-trending-now",
            "VIDEO_ON_DEMAND",
            "Videos gaining popularity fastest among all users.",
            _TRENDING,
            None,
            None,
            user_id_required=True,
            item_id_required=False,
        ),
        UseCase(
            "aws-vod-most-popular",
            "VIDEO_ON_DEMAND",
            "Most popular: videos watched most often.",
            _POPULAR,
            "Watch",
            ("Watch",),
            user_id_required=True,
            item_id_required=False,
        ),
    )
}
