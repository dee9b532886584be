"""Campaigns, event trackers and filters (AmazonPersonalize.<Operation>): deploying a trained
version (and switching a campaign to another without a gap), recording events, filtering results."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from allstore.personalize.errors import already_exists, in_use, invalid_input, limit_exceeded
from allstore.personalize.filters import parse_filter
from allstore.personalize.schemas import parse_schema
from allstore.personalize.state.resources import ACCOUNT_ID, make_arn
from allstore.personalize.state.service_state import ServiceState
from allstore.workshop.statuses import ACTIVE, CREATE_FAILED, CREATE_PENDING, IN_PROGRESS

Result = dict[str, Any]
MAX_FILTERS_PER_DATASET_GROUP = 10


class CampaignsApi:
    """Campaigns, event trackers and filters."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- campaigns --------------------------------------------------------------------------------

    def create_campaign(self, params: Result) -> Result:
        version = self.store.active("solution-version", params["solutionVersionArn"])
        arn = make_arn("campaign", params["name"])
        self.store.new(
            "campaign",
            arn,
            {
                "name": params["name"],
                "campaignArn": arn,
                "solutionVersionArn": version["solutionVersionArn"],
                "minProvisionedTPS": params.get("minProvisionedTPS", 1),
                "campaignConfig": params.get("campaignConfig") or {},
            },
        )
        self.state.jobs.activate(
            "campaign", arn, lambda: self.state.models.load(version["solutionVersionArn"])
        )
        return {"campaignArn": arn}

    def update_campaign(self, params: Result) -> Result:
        campaign = self.store.active("campaign", params["campaignArn"])
        update = campaign.get("latestCampaignUpdate") or {}
        if update.get("status") in IN_PROGRESS:
            raise in_use(f"Campaign {campaign['campaignArn']} is already being updated.")
        version_arn = params.get("solutionVersionArn") or campaign["solutionVersionArn"]
        self.store.active("solution-version", version_arn)
        now = time.time()
        update = {
            "solutionVersionArn": version_arn,
            "minProvisionedTPS": params.get("minProvisionedTPS", campaign["minProvisionedTPS"]),
            "campaignConfig": params.get("campaignConfig") or campaign["campaignConfig"],
            "status": CREATE_PENDING,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        self.store.update("campaign", campaign["campaignArn"], latestCampaignUpdate=update)
        self.state.jobs.run(lambda: self._apply_campaign_update(campaign["campaignArn"], update))
        return {"campaignArn": campaign["campaignArn"]}

    def _apply_campaign_update(self, campaign_arn: str, update: Result) -> None:
        """Deploy the new version, then switch traffic to it; the old one serves until then."""
        try:
            self.state.models.load(update["solutionVersionArn"])
        except Exception as error:
            self.store.update(
                "campaign",
                campaign_arn,
                latestCampaignUpdate={
                    **update,
                    "status": CREATE_FAILED,
                    "failureReason": f"{type(error).__name__}: {error}",
                    "lastUpdatedDateTime": time.time(),
                },
            )
            return
        finished = {**update, "status": ACTIVE, "lastUpdatedDateTime": time.time()}
        self.store.update(
            "campaign",
            campaign_arn,
            solutionVersionArn=update["solutionVersionArn"],
            minProvisionedTPS=update["minProvisionedTPS"],
            campaignConfig=update["campaignConfig"],
            latestCampaignUpdate=finished,
        )
        self.state.unload_unserved()

    def describe_campaign(self, params: Result) -> Result:
        return {"campaign": self.store.get("campaign", params["campaignArn"])}

    def list_campaigns(self, params: Result) -> Result:
        solution = params.get("solutionArn")
        return self.store.list_page(
            "campaign",
            "campaigns",
            params,
            lambda campaign: solution is None or campaign["solutionVersionArn"].startswith(solution + "/"),
        )

    def delete_campaign(self, params: Result) -> Result:
        self.store.usable("campaign", params["campaignArn"])
        return self.state.delete("campaign", params["campaignArn"])

    # -- event trackers and filters ---------------------------------------------------------------

    def create_event_tracker(self, params: Result) -> Result:
        group = self.store.usable("dataset-group", params["datasetGroupArn"])
        if self.store.select(
            "event-tracker", lambda tracker: tracker["datasetGroupArn"] == group["datasetGroupArn"]
        ):
            raise already_exists(f"Dataset group {group['datasetGroupArn']} already has an event tracker.")
        arn = make_arn("event-tracker", secrets.token_hex(4))
        tracking_id = str(uuid.uuid4())
        self.store.new(
            "event-tracker",
            arn,
            {
                "name": params["name"],
                "eventTrackerArn": arn,
                "accountId": ACCOUNT_ID,
                "trackingId": tracking_id,
                "datasetGroupArn": group["datasetGroupArn"],
            },
        )
        self.state.jobs.activate("event-tracker", arn)
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def describe_event_tracker(self, params: Result) -> Result:
        return {"eventTracker": self.store.get("event-tracker", params["eventTrackerArn"])}

    def list_event_trackers(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self.store.list_page(
            "event-tracker",
            "eventTrackers",
            params,
            lambda tracker: group in (None, tracker["datasetGroupArn"]),
        )

    def delete_event_tracker(self, params: Result) -> Result:
        self.store.usable("event-tracker", params["eventTrackerArn"])
        return self.state.delete("event-tracker", params["eventTrackerArn"])

    def create_filter(self, params: Result) -> Result:
        group = self.store.usable("dataset-group", params["datasetGroupArn"])
        expression = parse_filter(params["filterExpression"])
        items_dataset = self.state.metadata.dataset_of(group["datasetGroupArn"], "ITEMS")
        fields = expression.item_fields() - {"ITEM_ID"}
        if fields:
            if items_dataset is None:
                raise invalid_input(
                    f"The filter uses Items.{sorted(fields)[0]} but dataset group has no Items dataset."
                )
            schema = parse_schema(self.store.get("schema", items_dataset["schemaArn"])["schema"])
            known = {field.name.upper() for field in schema.fields}
            if fields - known:
                raise invalid_input(
                    f"Items has no field {sorted(fields - known)[0]}; fields: {', '.join(sorted(known))}."
                )
        existing = self.store.select(
            "filter", lambda document: document["datasetGroupArn"] == group["datasetGroupArn"]
        )
        if len(existing) >= MAX_FILTERS_PER_DATASET_GROUP:
            raise limit_exceeded(f"A dataset group can have at most {MAX_FILTERS_PER_DATASET_GROUP} filters.")
        arn = make_arn("filter", params["name"])
        self.store.new(
            "filter",
            arn,
            {
                "name": params["name"],
                "filterArn": arn,
                "datasetGroupArn": group["datasetGroupArn"],
                "filterExpression": params["filterExpression"],
            },
        )
        self.state.jobs.activate("filter", arn)
        return {"filterArn": arn}

    def describe_filter(self, params: Result) -> Result:
        return {"filter": self.store.get("filter", params["filterArn"])}

    def list_filters(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self.store.list_page(
            "filter", "Filters", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_filter(self, params: Result) -> Result:
        self.store.usable("filter", params["filterArn"])
        return self.state.delete("filter", params["filterArn"])
