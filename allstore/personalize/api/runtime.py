"""The runtime API (GetRecommendations, GetPersonalizedRanking): a deployed campaign's model asked
through the state layer's `Inference`, which batch inference jobs share."""

from __future__ import annotations

import uuid
from typing import Any

from allstore.personalize.errors import invalid_input
from allstore.personalize.state.inference import DEFAULT_NUM_RESULTS, Query
from allstore.personalize.state.kinds import Campaign
from allstore.personalize.state.service_state import ServiceState


def _query(params: dict[str, Any], campaign: Campaign) -> Query:
    """The request, with the campaign's itemExplorationConfig when it was given one."""
    return Query(
        user_id=params.get("userId"),
        item_id=params.get("itemId"),
        num_results=params.get("numResults", DEFAULT_NUM_RESULTS),
        filter_arn=params.get("filterArn"),
        filter_values=params.get("filterValues"),
        exploration=campaign.campaign_config.get("itemExplorationConfig"),
    )


class RuntimeApi:
    """GetRecommendations and GetPersonalizedRanking over the deployed models."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def _campaign(self, campaign_arn: str | None) -> Campaign:
        """The ACTIVE campaign (the runtime answers InvalidInputException otherwise)."""
        if not campaign_arn:
            raise invalid_input(
                "campaignArn is required (recommenders are not supported by the local service)."
            )
        return self.state.resources.active(Campaign, campaign_arn, not_active=invalid_input)

    def get_recommendations(self, params: dict[str, Any]) -> dict[str, Any]:
        campaign = self._campaign(params.get("campaignArn"))
        item_list = self.state.inference.recommend(campaign.solution_version_arn, _query(params, campaign))
        return {"itemList": item_list, "recommendationId": f"RID-{uuid.uuid4()}"}

    def get_personalized_ranking(self, params: dict[str, Any]) -> dict[str, Any]:
        campaign = self._campaign(params.get("campaignArn"))
        ranking = self.state.inference.rank(
            campaign.solution_version_arn, _query(params, campaign), params["inputList"]
        )
        return {"personalizedRanking": ranking, "recommendationId": f"RID-{uuid.uuid4()}"}
