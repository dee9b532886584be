"""What a training reads: a dataset group's imported interactions plus its recorded events as
`TrainingData`, restricted as the solution asks, with rows training cannot read left out and named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from allstore.personalize.errors import JobFailed
from allstore.personalize.recipes import TrainingData, event_weights
from allstore.personalize.state.datasets import Columns
from allstore.personalize.state.events import RecordedEvent


def readable_events(events: Sequence[RecordedEvent]) -> tuple[list[RecordedEvent], list[str]]:
    """The interactions among `events` that training can use, and why each other one was skipped
    (events recorded before PutEvents checked sentAt and eventValue as the service does)."""
    kept, skipped = [], []
    for event in events:
        if event.item_id is None:
            continue  # an impression-only event: not an interaction
        reason = event.unreadable()
        if reason is None:
            kept.append(event)
        else:
            skipped.append(reason)
    return kept, skipped


def training_data(
    interactions: Columns | None,
    events: Sequence[RecordedEvent],
    item_metadata: Mapping[str, Mapping[str, Any]],
    user_metadata: Mapping[str, Mapping[str, Any]],
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    skipped: list[str] | None = None,
    events_config: Sequence[event_weights.EventParameters] | None = None,
) -> TrainingData:
    """Imported interactions plus recorded events, restricted as the solution asks: only `event_type`
    when set, only events whose value is at least `event_value_threshold` when set, and with an
    `events_config` only the event types it lists (each above its own threshold), weighted as it
    says. Rows training cannot read are left out and their reasons appended to `skipped`, so one bad
    row never fails every training of the dataset group."""
    columns = interactions or {}
    recorded, unreadable = readable_events(events)
    users = np.concatenate(
        [
            columns.get("USER_ID", np.array([], dtype=str)),
            np.array([event.user_id or event.session_id for event in recorded], dtype=str),
        ]
    )
    items = np.concatenate(
        [
            columns.get("ITEM_ID", np.array([], dtype=str)),
            np.array([event.item_id for event in recorded], dtype=str),
        ]
    )
    timestamps = np.concatenate(
        [
            columns.get("TIMESTAMP", np.array([], dtype=np.int64)).astype(np.int64),
            np.array([int(event.sent_at) for event in recorded], dtype=np.int64),
        ]
    )
    n_imported = len(columns.get("USER_ID", []))
    types = np.concatenate(
        [
            columns.get("EVENT_TYPE", np.full(n_imported, "")).astype(str),
            np.array([event.event_type for event in recorded], dtype=str),
        ]
    )
    values = np.concatenate(
        [
            columns.get("EVENT_VALUE", np.full(n_imported, np.nan)).astype(np.float64),
            np.array(
                [np.nan if event.event_value is None else event.event_value for event in recorded],
                dtype=np.float64,
            ),
        ]
    )
    keep = ~np.isinf(values)  # an EVENT_VALUE of ±inf imported before the import refused it
    unreadable += [f"imported row {row + 1}: EVENT_VALUE is not finite" for row in np.flatnonzero(~keep)]
    if skipped is not None:
        skipped.extend(unreadable)
    if event_type:
        keep &= types == event_type
    if event_value_threshold is not None:
        with np.errstate(invalid="ignore"):
            keep &= values >= event_value_threshold
    if events_config is not None:
        keep &= event_weights.kept(events_config, types, values)
    if not keep.any():
        raise JobFailed(
            "no interactions to train on (import interactions, or check eventType / eventValueThreshold"
            + (" / eventsConfig)" if events_config is not None else ")")
        )
    return TrainingData.from_columns(
        users[keep],
        items[keep],
        timestamps[keep],
        types[keep],
        values[keep],
        catalogue=list(item_metadata),
        item_metadata=item_metadata,
        user_metadata=user_metadata,
        event_type_weights=event_weights.type_weights(events_config or ()),
    )
