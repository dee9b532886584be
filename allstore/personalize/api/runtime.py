"""The runtime API (GetRecommendations, GetPersonalizedRanking): a deployed campaign's or
recommender's model asked through the state layer's `Inference`, which batch inference jobs share.
A recommender adds its use case's rules: which of userId / itemId it needs, the items it removes
automatically, and item metadata in the answer when its configuration enables it."""

from __future__ import annotations

import uuid
from typing import Any

from allstore.personalize.errors import invalid_input
from allstore.personalize.recipes.use_cases import USE_CASES
from allstore.personalize.state.inference import DEFAULT_NUM_RESULTS, Query
from allstore.personalize.state.kinds import Campaign, Recommender
from allstore.personalize.state.service_state import ServiceState


class RuntimeApi:
    """GetRecommendations and GetPersonalizedRanking over the deployed models."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def _campaign(self, campaign_arn: str | None) -> Campaign:
        """The ACTIVE campaign (the runtime answers InvalidInputException otherwise)."""
        if not campaign_arn:
            raise invalid_input("campaignArn or recommenderArn is required.")
        return self.state.resources.active(Campaign, campaign_arn, not_active=invalid_input)

    def get_recommendations(
        self,
        campaign_arn: str | None = None,
        recommender_arn: str | None = None,
        user_id: str | None = None,
        item_id: str | None = None,
        num_results: int = DEFAULT_NUM_RESULTS,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
        metadata_columns: dict[str, list[str]] | None = None,
        promotions: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        if recommender_arn:
            if campaign_arn:
                raise invalid_input("Specify either campaignArn or recommenderArn, not both.")
            recommender = self.state.resources.active(Recommender, recommender_arn, not_active=invalid_input)
            query = Query(
                user_id=user_id,
                item_id=item_id,
                num_results=num_results,
                filter_arn=filter_arn,
                filter_values=filter_values,
                exploration=recommender.recommender_config.get("itemExplorationConfig"),
                promotions=promotions,
            )
            item_list = self._from_recommender(recommender, query, metadata_columns or {})
            source = recommender.arn
        else:
            if metadata_columns:
                raise invalid_input(
                    "metadataColumns need a recommender with enableMetadataWithRecommendations."
                )
            campaign = self._campaign(campaign_arn)
            query = Query(
                user_id=user_id,
                item_id=item_id,
                num_results=num_results,
                filter_arn=filter_arn,
                filter_values=filter_values,
                exploration=_exploration(campaign),
                ranking_influence=campaign.campaign_config.get("rankingInfluence"),
                promotions=promotions,
            )
            item_list = self.state.inference.recommend(campaign.solution_version_arn, query)
            source = campaign.arn
        return {"itemList": item_list, "recommendationId": self._recommendation_id(source)}

    def _from_recommender(
        self, recommender: Recommender, query: Query, columns: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        use_case = USE_CASES[recommender.recipe_arn.rsplit("/", 1)[-1]]
        for member, given, required in (
            ("userId", query.user_id, use_case.user_id_required),
            ("itemId", query.item_id, use_case.item_id_required),
        ):
            if required and not given:
                raise invalid_input(f"{member} is required for a {use_case.name} recommender.")
        if columns and not recommender.metadata_enabled:
            raise invalid_input(
                "metadataColumns need the recommender's recommenderConfig.enableMetadataWithRecommendations."
            )
        if set(columns) - {"ITEMS"}:
            raise invalid_input("metadataColumns can only name Items dataset columns (key ITEMS).")
        item_list = self.state.inference.recommend(
            recommender.arn,
            query,
            group_arn=recommender.dataset_group_arn,
            excluded_event_types=use_case.excluded_event_types,
        )
        if columns.get("ITEMS"):
            rows = self.state.metadata.rows(recommender.dataset_group_arn, "ITEMS")
            for entry in item_list:
                row = {key.upper(): value for key, value in (rows.get(entry["itemId"]) or {}).items()}
                entry["metadata"] = {
                    column: str(row[column.upper()])
                    for column in columns["ITEMS"]
                    if row.get(column.upper()) is not None
                }
        return item_list

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
        return {"personalizedRanking": ranking, "recommendationId": self._recommendation_id(campaign.arn)}

    def _recommendation_id(self, source_arn: str) -> str:
        """A new recommendationId, remembered so events naming it are attributed to its campaign or
        recommender (metric attributions)."""
        recommendation_id = f"RID-{uuid.uuid4()}"
        self.state.attribution.remember(recommendation_id, source_arn)
        return recommendation_id


def _exploration(campaign: Campaign) -> dict[str, str] | None:
    """The campaign's itemExplorationConfig, when it was given one."""
    return campaign.campaign_config.get("itemExplorationConfig")
