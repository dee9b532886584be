"""The events API (PutEvents, PutItems, PutUsers): recording interactions for real-time
recommendations and the next training, and adding or replacing item and user metadata.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from allstore.personalize.errors import invalid_input
from allstore.personalize.schemas import Field, parse_schema
from allstore.personalize.state.attribution import Interaction
from allstore.personalize.state.datasets import PUT, column
from allstore.personalize.state.events import MAX_SENT_AT, MIN_SENT_AT, readable_time
from allstore.personalize.state.kinds import Dataset, Schema
from allstore.personalize.state.service_state import ServiceState

MAX_FLOAT32 = 3.4028234663852886e38
# Keys the Event.properties map may not use (case-insensitive), as the API reference lists them.
RESERVED_PROPERTIES = frozenset(
    {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}
)
Event = dict[str, Any]  # one eventList entry, as the model's Event shape has it
_ID_FIELDS = {
    "ITEMS": ("ITEM_ID", "itemId", "items"),
    "USERS": ("USER_ID", "userId", "users"),
    "ACTIONS": ("ACTION_ID", "actionId", "actions"),
}


def _json_object(text: str | None, what: str) -> dict[str, Any]:
    """`properties` members are JSON documents in a string, as the API defines them."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise invalid_input(f"{what} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise invalid_input(f"{what} must be a JSON object")
    return value


def _seconds(value: Any, what: str) -> float:
    """sentAt as Unix seconds (botocore sends a number; an ISO 8601 string is read too), within the
    range a TIMESTAMP can hold, so one event can never make every later training fail."""
    if isinstance(value, bool):
        raise invalid_input(f"{what} is not a timestamp")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            try:
                seconds = datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise invalid_input(f"{what} is not a timestamp") from None
    if not readable_time(seconds):
        raise invalid_input(
            f"{what} {value!r} is not a Unix time in seconds between {MIN_SENT_AT:.0f} (1970-01-01) "
            f"and {MAX_SENT_AT:.0f} (9999-12-31)"
        )
    return seconds


def _event_value(value: Any, what: str) -> float | None:
    """eventValue is the API's 32-bit float: a finite number within its range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_input(f"{what}.eventValue must be a number")
    if not math.isfinite(value) or abs(value) > MAX_FLOAT32:
        raise invalid_input(f"{what}.eventValue {value!r} is not a finite 32-bit float")
    return float(value)


def _normalised(name: str) -> str:
    """camelCase property keys ("categoryL1") match schema fields ("CATEGORY_L1")."""
    return name.replace("_", "").lower()


class EventsApi:
    """PutEvents, PutItems and PutUsers, checked as the service checks them."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def put_events(
        self, tracking_id: str, session_id: str, event_list: list[Event], user_id: str | None = None
    ) -> dict[str, Any]:
        tracker = self.state.tracker(tracking_id)
        recorded = []
        for index, event in enumerate(event_list):
            what = f"eventList[{index}]"
            properties = _json_object(event.get("properties"), f"{what}.properties")
            reserved = sorted(key for key in properties if key.lower() in RESERVED_PROPERTIES)
            if reserved:
                raise invalid_input(f"{what}.properties may not have the key {reserved[0]!r}")
            item_id = event.get("itemId") or properties.get("itemId")  # the original demo sent it there
            if item_id is not None and not (isinstance(item_id, str | int) and 1 <= len(str(item_id)) <= 256):
                raise invalid_input(f"{what}.properties.itemId must be a string of 1 to 256 characters")
            if item_id is None and not event.get("impression"):
                raise invalid_input(
                    f"{what}.itemId is required: an interaction names the item (only an impression-only "
                    "event may leave it out)"
                )
            value = _event_value(event.get("eventValue", properties.get("eventValue")), what)
            recorded.append(
                {
                    "user_id": user_id,
                    "session_id": session_id,
                    "item_id": str(item_id) if item_id is not None else None,
                    "event_type": event["eventType"],
                    "event_value": value,
                    "sent_at": _seconds(event["sentAt"], f"{what}.sentAt"),
                    "event_id": event.get("eventId"),
                }
            )
        group_arn = tracker.dataset_group_arn
        new = self.state.events.record(group_arn, recorded)  # a retried eventId counts once
        self.state.attribution.publish_events(
            group_arn,
            [
                Interaction(
                    event_type=row["event_type"],
                    item_id=row["item_id"],
                    values={"EVENT_VALUE": row["event_value"]} if row["event_value"] is not None else {},
                    source=(event.get("metricAttribution") or {}).get("eventAttributionSource"),
                    recommendation_id=event.get("recommendationId"),
                )
                for row, event in ((recorded[index], event_list[index]) for index in new)
            ],
        )
        return {}

    def put_items(self, dataset_arn: str, items: list[dict[str, str]]) -> dict[str, Any]:
        return self._put_rows("ITEMS", dataset_arn, items)

    def put_users(self, dataset_arn: str, users: list[dict[str, str]]) -> dict[str, Any]:
        return self._put_rows("USERS", dataset_arn, users)

    def put_actions(self, dataset_arn: str, actions: list[dict[str, str]]) -> dict[str, Any]:
        return self._put_rows("ACTIONS", dataset_arn, actions)

    def _put_rows(self, dataset_type: str, dataset_arn: str, rows: list[dict[str, str]]) -> dict[str, Any]:
        """Items, Users or Actions rows ({"itemId"/"userId"/"actionId", "properties"}) appended to the dataset."""
        id_field, id_member, list_member = _ID_FIELDS[dataset_type]
        dataset = self.state.resources.usable(Dataset, dataset_arn)
        if dataset.dataset_type != dataset_type:
            raise invalid_input(
                f"Dataset {dataset.arn} is a {dataset.dataset_type} dataset, not {dataset_type}."
            )
        schema = parse_schema(self.state.resources.get(Schema, dataset.schema_arn).schema)
        by_key = {_normalised(field.name): field for field in schema.fields}
        values: dict[str, list[Any]] = {field.name: [] for field in schema.fields}
        for index, row in enumerate(rows):
            what = f"{list_member}[{index}]"
            properties = _json_object(row.get("properties"), f"{what}.properties")
            cells: dict[str, str] = {id_field: row[id_member]}
            for key, value in properties.items():
                field = by_key.get(_normalised(key))
                if field is None or field.name == id_field:
                    raise invalid_input(f"{what}.properties has {key!r}, which is not a field of the schema")
                cells[field.name] = (
                    "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                )
            for field in schema.fields:
                values[field.name].append(self._parse(field, cells.get(field.name, ""), what))
        self.state.datasets.append(
            dataset.arn, {field.name: column(field, values[field.name]) for field in schema.fields}, PUT
        )
        self.state.metadata.changed()
        return {}

    @staticmethod
    def _parse(field: Field, text: str, what: str) -> Any:
        try:
            return field.parse(text)
        except ValueError as error:
            raise invalid_input(f"{what}: {error}") from None
