"""Next best actions: PutActionInteractions (personalize-events) records who took, turned down or
saw an action, and GetActionRecommendations (personalize-runtime) ranks the actions a user is most
likely to take, with a Next-Best-Action campaign's model and the interactions recorded since its
training (an action just taken is not recommended again until its REPEAT_FREQUENCY has passed), and
an action filter (INCLUDE/EXCLUDE ActionID) when the request names one."""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np

from allstore.personalize.errors import invalid_input
from allstore.personalize.state.events import readable_time
from allstore.personalize.state.inference import Query
from allstore.personalize.state.kinds import Campaign
from allstore.personalize.state.service_state import ServiceState

Result = dict[str, Any]
ACTION_EVENT_TYPES = ("TAKEN", "NOT_TAKEN", "VIEWED")  # the Action interactions dataset's event types
DEFAULT_NUM_ACTIONS = 5
MAX_NUM_ACTIONS = 100


class ActionsApi:
    """PutActionInteractions and GetActionRecommendations."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def put_action_interactions(self, tracking_id: str, action_interactions: list[Result]) -> Result:
        tracker = self.state.tracker(tracking_id)
        group_arn = tracker.dataset_group_arn
        if self.state.metadata.dataset_of(group_arn, "ACTION_INTERACTIONS") is None:
            raise invalid_input(f"Dataset group {group_arn} has no Action interactions dataset.")
        recorded = []
        for index, interaction in enumerate(action_interactions):
            what = f"actionInteractions[{index}]"
            if interaction["eventType"] not in ACTION_EVENT_TYPES:
                raise invalid_input(
                    f"{what}.eventType must be one of {', '.join(ACTION_EVENT_TYPES)}, not {interaction['eventType']!r}"
                )
            timestamp = interaction["timestamp"]
            if (
                isinstance(timestamp, bool)
                or not isinstance(timestamp, int | float)
                or not readable_time(timestamp)
            ):
                raise invalid_input(f"{what}.timestamp must be a Unix time in seconds")
            recorded.append(
                {
                    "user_id": interaction.get("userId"),
                    "session_id": interaction["sessionId"],
                    "item_id": interaction["actionId"],
                    "event_type": interaction["eventType"],
                    "event_value": None,
                    "sent_at": float(timestamp),
                    "event_id": interaction.get("eventId"),
                }
            )
        self.state.action_events.record(group_arn, recorded)
        return {}

    def get_action_recommendations(
        self,
        campaign_arn: str | None = None,
        user_id: str | None = None,
        num_results: int = DEFAULT_NUM_ACTIONS,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> Result:
        if not campaign_arn:
            raise invalid_input("campaignArn is required.")
        if not user_id:
            raise invalid_input("userId is required.")
        if not 1 <= num_results <= MAX_NUM_ACTIONS:
            raise invalid_input(f"numResults must be between 1 and {MAX_NUM_ACTIONS}.")
        if filter_values and not filter_arn:
            raise invalid_input("filterValues need a filterArn.")
        campaign = self.state.resources.active(Campaign, campaign_arn, not_active=invalid_input)
        bundle = self.state.models.load(campaign.solution_version_arn)
        if bundle.recipe_type != "PERSONALIZED_ACTIONS":
            raise invalid_input(
                "This campaign does not recommend actions: it needs an aws-next-best-action solution."
            )
        group_arn = self.state.inference.group_of(campaign.solution_version_arn)
        actions, timestamps, kinds = (column.tolist() for column in bundle.training_history(user_id))
        for event in self.state.action_events.history(group_arn, user_id, bundle.events_seq):
            actions.append(event.item_id)
            timestamps.append(int(event.sent_at))
            kinds.append(event.event_type)
        taken = [
            (action, at)
            for action, at, kind in zip(actions, timestamps, kinds, strict=True)
            if kind == "TAKEN"
        ]
        declined = [action for action, kind in zip(actions, kinds, strict=True) if kind == "NOT_TAKEN"]
        scores = np.asarray(bundle.model.score_user(taken, declined, int(time.time())), dtype=np.float64)
        if filter_arn:  # INCLUDE/EXCLUDE ActionID WHERE Actions.X / Action_Interactions.EVENT_TYPE
            query = Query(user_id=user_id, filter_arn=filter_arn, filter_values=filter_values)
            allowed = self.state.inference.action_filter(
                campaign.solution_version_arn, bundle, group_arn, query, (actions, timestamps, kinds)
            )
            scores = np.where(allowed, scores, -np.inf)
        order = np.argsort(-scores, kind="stable")
        best = [code for code in order[:num_results] if np.isfinite(scores[code])]
        action_list = [
            {"actionId": bundle.model.items[code], "score": round(float(np.clip(scores[code], 0.0, 1.0)), 7)}
            for code in best
        ]
        return {"actionList": action_list, "recommendationId": f"RID-{uuid.uuid4()}"}
