"""The runtime API (GetRecommendations, GetPersonalizedRanking): a deployed campaign's model asked
through the state layer's `Inference`, which batch inference jobs share."""

from __future__ import annotations

import uuid
from typing import Any

from allstore.personalize.errors import invalid_input
from allstore.personalize.state.inference import DEFAULT_NUM_RESULTS, Query
from allstore.personalize.state.kinds import Campaign
from allstore.personalize.state.service_state import ServiceState


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

    def get_recommendations(
        self,
        campaign_arn: str | None = None,
        user_id: str | None = None,
        item_id: str | None = None,
        num_results: int = DEFAULT_NUM_RESULTS,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        campaign = self._campaign(campaign_arn)
        query = Query(
            user_id=user_id,
            item_id=item_id,
            num_results=num_results,
            filter_arn=filter_arn,
            filter_values=filter_values,
            exploration=_exploration(campaign),
        )
        item_list = self.state.inference.recommend(campaign.solution_version_arn, query)
        return {"itemList": item_list, "recommendationId": f"RID-{uuid.uuid4()}"}

    def get_personalized_ranking(
        self,
        campaign_arn: str,
        input_list: list[str],
        user_id: str,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        campaign = self._campaign(campaign_arn)
        query = Query(
            user_id=user_id,
            filter_arn=filter_arn,
            filter_values=filter_values,
            exploration=_exploration(campaign),
        )
        ranking = self.state.inference.rank(campaign.solution_version_arn, query, input_list)
        return {"personalizedRanking": ranking, "recommendationId": f"RID-{uuid.uuid4()}"}


def _exploration(campaign: Campaign) -> dict[str, str] | None:
    """The campaign's itemExplorationConfig, when it was given one."""
    return campaign.campaign_config.get("itemExplorationConfig")
