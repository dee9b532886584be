"""aws-personalized-ranking: orders a given list of items for a user.

Ranking a list is scoring the catalogue for the user's history and reading off the listed items,
so it shares User-Personalization's model (and its real-time updates from PutEvents); the service
picks the listed items' scores.
"""

from __future__ import annotations

from allstore.personalize.recipes.user_personalization import UserPersonalization


class PersonalizedRanking(UserPersonalization):
    """User-Personalization's model, registered for ranking."""

    name = "aws-personalized-ranking"
    recipe_type = "PERSONALIZED_RANKING"
    description = (
        "Re-ranks a list of items for a user by the same history-based scores as "
        "User-Personalization, updated in real time from PutEvents."
    )
