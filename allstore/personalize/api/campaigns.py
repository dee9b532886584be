"""Campaigns, event trackers and filters (AmazonPersonalize.<Operation>): deploying a trained
version (and switching a campaign to another without a gap), recording events, filtering results."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from allstore.personalize.errors import already_exists, in_use, invalid_input, limit_exceeded
from allstore.personalize.filters import DATASETS, ID_FIELDS, parse_filter
from allstore.personalize.recipes import get_recipe
from allstore.personalize.schemas import parse_schema
from allstore.personalize.state.inference import campaign_config_with_defaults
from allstore.personalize.state.kinds import (
    Campaign,
    CampaignUpdate,
    DatasetGroup,
    EventTracker,
    Filter,
    Schema,
    SolutionVersion,
)
from allstore.personalize.state.resources import ACCOUNT_ID, make_arn
from allstore.personalize.state.service_state import ServiceState
from allstore.workshop.statuses import IN_PROGRESS

Result = dict[str, Any]
MAX_FILTERS_PER_DATASET_GROUP = 10


class CampaignsApi:
    """Campaigns, event trackers and filters."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- campaigns --------------------------------------------------------------------------------

    def create_campaign(
        self,
        name: str,
        solution_version_arn: str,
        min_provisioned_tps: int = 1,
        campaign_config: Result | None = None,
    ) -> Result:
        version = self.store.active(SolutionVersion, solution_version_arn)
        if version.recipe_arn and get_recipe(version.recipe_arn).recipe_type == "USER_SEGMENTATION":
            raise invalid_input(
                f"{version.recipe_arn} makes user segments: use it in a batch segment job, not a campaign."
            )
        arn = make_arn(Campaign.kind, name)
        self.store.new(
            Campaign(
                arn=arn,
                name=name,
                solution_version_arn=version.arn,
                min_provisioned_tps=min_provisioned_tps,
                campaign_config=campaign_config_with_defaults(campaign_config, _recipe_type(version)),
            )
        )
        self.state.jobs.activate(Campaign, arn, lambda: self.state.models.load(version.arn))
        return {"campaignArn": arn}

    def update_campaign(
        self,
        campaign_arn: str,
        solution_version_arn: str | None = None,
        min_provisioned_tps: int | None = None,
        campaign_config: Result | None = None,
    ) -> Result:
        """Changes what the campaign serves; members left out keep the campaign's current values."""
        campaign = self.store.active(Campaign, campaign_arn)
        if (
            campaign.latest_campaign_update is not None
            and campaign.latest_campaign_update.status in IN_PROGRESS
        ):
            raise in_use(f"Campaign {campaign.arn} is already being updated.")
        version_arn = solution_version_arn or campaign.solution_version_arn
        version = self.store.active(SolutionVersion, version_arn)
        update = CampaignUpdate(
            solution_version_arn=version_arn,
            min_provisioned_tps=campaign.min_provisioned_tps
            if min_provisioned_tps is None
            else min_provisioned_tps,
            campaign_config=campaign_config_with_defaults(
                campaign_config or campaign.campaign_config, _recipe_type(version)
            ),
        )
        self.store.update(Campaign, campaign.arn, latest_campaign_update=update)

        def prepare() -> Callable[[], None]:
            """Deploy the new version, then switch traffic to it; the old one serves until then."""
            self.state.models.load(update.solution_version_arn)

            def apply() -> None:
                self.store.update(
                    Campaign,
                    campaign.arn,
                    solution_version_arn=update.solution_version_arn,
                    min_provisioned_tps=update.min_provisioned_tps,
                    campaign_config=update.campaign_config,
                )
                self.state.unload_unserved()

            return apply

        self.state.jobs.update(Campaign, campaign.arn, "latest_campaign_update", update, prepare)
        return {"campaignArn": campaign.arn}

    def describe_campaign(self, campaign_arn: str) -> Result:
        return {"campaign": self.store.get(Campaign, campaign_arn).wire()}

    def list_campaigns(
        self, solution_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Result:
        return self.store.list_page(
            Campaign,
            "campaigns",
            next_token,
            max_results,
            lambda campaign: (
                solution_arn is None or campaign.solution_version_arn.startswith(solution_arn + "/")
            ),
        )

    def delete_campaign(self, campaign_arn: str) -> Result:
        return self.state.delete(Campaign, campaign_arn)

    # -- event trackers and filters ---------------------------------------------------------------

    def create_event_tracker(self, name: str, dataset_group_arn: str) -> Result:
        group = self.store.usable(DatasetGroup, dataset_group_arn)
        if existing := self.store.select(
            EventTracker, lambda tracker: tracker.dataset_group_arn == group.arn
        ):
            # The existing tracker's ARN first, then a space: the original workshop takes the first
            # ARN of this message as the tracker to use.
            raise already_exists(
                f"Event tracker {existing[0].arn} already exists for dataset group {group.arn}"
            )
        arn = make_arn(EventTracker.kind, secrets.token_hex(4))
        tracking_id = str(uuid.uuid4())
        self.store.new(
            EventTracker(
                arn=arn,
                name=name,
                account_id=ACCOUNT_ID,
                tracking_id=tracking_id,
                dataset_group_arn=group.arn,
            )
        )
        self.state.jobs.activate(EventTracker, arn)
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def describe_event_tracker(self, event_tracker_arn: str) -> Result:
        return {"eventTracker": self.store.get(EventTracker, event_tracker_arn).wire()}

    def list_event_trackers(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            EventTracker, "eventTrackers", next_token, max_results, dataset_group_arn=dataset_group_arn
        )

    def delete_event_tracker(self, event_tracker_arn: str) -> Result:
        return self.state.delete(EventTracker, event_tracker_arn)

    def create_filter(self, name: str, dataset_group_arn: str, filter_expression: str) -> Result:
        group = self.store.usable(DatasetGroup, dataset_group_arn)
        expression = parse_filter(filter_expression)
        metadata_type = DATASETS[expression.target][0].upper()  # ITEMS, USERS or ACTIONS
        fields = expression.metadata_fields() - {ID_FIELDS[expression.target]}
        if fields:
            metadata = self.state.metadata.dataset_of(group.arn, metadata_type)
            label = metadata_type.capitalize()
            if metadata is None:
                raise invalid_input(
                    f"The filter uses {label}.{sorted(fields)[0]} but the dataset group has no {label} dataset."
                )
            schema = parse_schema(self.store.get(Schema, metadata.schema_arn).schema)
            known = {field.name.upper() for field in schema.fields}
            if fields - known:
                raise invalid_input(
                    f"{label} has no field {sorted(fields - known)[0]}; fields: {', '.join(sorted(known))}."
                )
        existing = self.store.select(Filter, lambda filter_: filter_.dataset_group_arn == group.arn)
        if len(existing) >= MAX_FILTERS_PER_DATASET_GROUP:
            raise limit_exceeded(f"A dataset group can have at most {MAX_FILTERS_PER_DATASET_GROUP} filters.")
        arn = make_arn(Filter.kind, name)
        self.store.new(
            Filter(arn=arn, name=name, dataset_group_arn=group.arn, filter_expression=filter_expression)
        )
        self.state.jobs.activate(Filter, arn)
        return {"filterArn": arn}

    def describe_filter(self, filter_arn: str) -> Result:
        return {"filter": self.store.get(Filter, filter_arn).wire()}

    def list_filters(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            Filter, "Filters", next_token, max_results, dataset_group_arn=dataset_group_arn
        )

    def delete_filter(self, filter_arn: str) -> Result:
        return self.state.delete(Filter, filter_arn)


def _recipe_type(version: SolutionVersion) -> str:
    return get_recipe(version.recipe_arn).recipe_type if version.recipe_arn else ""
