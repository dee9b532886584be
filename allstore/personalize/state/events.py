"""Events recorded with PutEvents: an append-only log per dataset group plus in-memory histories.

The log is what the next training reads (events become interactions); the per-user and per-session
histories are what the runtime adds to a trained model's history so recommendations change as soon
as an event arrives. Every event has a sequence number, so a model knows which events it was
trained on (those up to its `events_seq`) and only later ones are added in real time. As in
Personalize, an event whose eventId was already recorded is not recorded again, so a client that
retries a batch (a stream consumer, say) never counts an interaction twice.
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allstore.state_dir import write_atomically

# sentAt is Unix time in seconds (the Interactions dataset's TIMESTAMP): from the epoch to the end of
# year 9999, the last instant a timestamp has a calendar date. Milliseconds (1.7e12) are outside it.
MIN_SENT_AT = 0.0
MAX_SENT_AT = 253_402_300_799.0


def readable_time(seconds: float) -> bool:
    """Whether a timestamp can be trained on: finite and within [MIN_SENT_AT, MAX_SENT_AT]."""
    return math.isfinite(seconds) and MIN_SENT_AT <= seconds <= MAX_SENT_AT


@dataclass(frozen=True)
class RecordedEvent:
    """One PutEvents event as recorded, with the sequence number that orders it among the rest."""

    seq: int
    user_id: str | None
    session_id: str
    item_id: str | None
    event_type: str
    event_value: float | None
    sent_at: float
    event_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "userId": self.user_id,
            "sessionId": self.session_id,
            "itemId": self.item_id,
            "eventType": self.event_type,
            "eventValue": self.event_value,
            "sentAt": self.sent_at,
            "eventId": self.event_id,
        }

    def unreadable(self) -> str | None:
        """Why training cannot use this event (an event recorded before PutEvents checked it), or None."""
        if not isinstance(self.sent_at, int | float) or not readable_time(self.sent_at):
            return f"event {self.seq}: sentAt {self.sent_at!r} is not a Unix time in seconds"
        if self.event_value is not None and not math.isfinite(self.event_value):
            return f"event {self.seq}: eventValue {self.event_value!r} is not a finite number"
        return None


@dataclass
class _GroupLog:
    events: list[RecordedEvent] = field(default_factory=list)
    by_key: dict[str, list[RecordedEvent]] = field(default_factory=lambda: defaultdict(list))
    event_ids: set[str] = field(default_factory=set)

    def add(self, event: RecordedEvent) -> None:
        self.events.append(event)
        if event.event_id is not None:
            self.event_ids.add(event.event_id)
        if event.item_id is None:
            return
        self.by_key[event.session_id].append(event)
        if event.user_id is not None and event.user_id != event.session_id:
            self.by_key[event.user_id].append(event)


class EventStore:
    """All recorded events, under `<state>/events/<dataset group name>.jsonl`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._groups: dict[str, _GroupLog] = {}

    def _path(self, group_arn: str) -> Path:
        return self.root / (group_arn.rsplit("/", 1)[-1] + ".jsonl")

    def _group(self, group_arn: str) -> _GroupLog:
        """The group's log, read from disk on first use; a line cut short by a crash is skipped."""
        group = self._groups.get(group_arn)
        if group is None:
            group = _GroupLog()
            path = self._path(group_arn)
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        raw = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    group.add(
                        RecordedEvent(
                            raw["seq"],
                            raw["userId"],
                            raw["sessionId"],
                            raw["itemId"],
                            raw["eventType"],
                            raw["eventValue"],
                            raw["sentAt"],
                            raw.get("eventId"),
                        )
                    )
            self._groups[group_arn] = group
        return group

    def record(self, group_arn: str, events: list[dict[str, Any]]) -> list[int]:
        """Append events (dicts with the RecordedEvent fields except seq) durably, then index them.
        Returns the positions in `events` of the new ones (an already recorded eventId is skipped)."""
        with self._lock:
            group = self._group(group_arn)
            in_batch: set[str] = set()
            fresh, positions = [], []
            for position, event in enumerate(events):
                event_id = event.get("event_id")
                if event_id is not None:
                    if event_id in group.event_ids or event_id in in_batch:
                        continue
                    in_batch.add(event_id)
                fresh.append(event)
                positions.append(position)
            if not fresh:
                return []
            next_seq = group.events[-1].seq + 1 if group.events else 1
            recorded = [RecordedEvent(seq=next_seq + offset, **event) for offset, event in enumerate(fresh)]
            with self._path(group_arn).open("a", encoding="utf-8") as log:
                log.write("".join(json.dumps(event.to_json()) + "\n" for event in recorded))
                log.flush()  # in the OS once PutEvents answers: a crash of the service loses nothing
            for event in recorded:
                group.add(event)
            return positions

    def last_seq(self, group_arn: str) -> int:
        with self._lock:
            group = self._group(group_arn)
            return group.events[-1].seq if group.events else 0

    def events(self, group_arn: str, up_to_seq: int | None = None) -> list[RecordedEvent]:
        with self._lock:
            events = list(self._group(group_arn).events)
        return events if up_to_seq is None else [event for event in events if event.seq <= up_to_seq]

    def history(self, group_arn: str, key: str, after_seq: int) -> list[RecordedEvent]:
        """Events with an item for a user id or session id (sessions count as users, as for
        anonymous visitors), newer than `after_seq`, oldest first."""
        with self._lock:
            events = self._group(group_arn).by_key.get(key, [])
            return [event for event in events if event.seq > after_seq]

    def delete_users(self, group_arn: str, user_ids: set[str]) -> int:
        """Drop every event of these users (a data deletion job): the log is rewritten without them
        and reindexed. Returns how many events went."""
        with self._lock:
            group = self._group(group_arn)
            kept = [event for event in group.events if event.user_id not in user_ids]
            removed = len(group.events) - len(kept)
            if removed:
                write_atomically(self._path(group_arn), "".join(json.dumps(e.to_json()) + "\n" for e in kept))
                fresh = _GroupLog()
                for event in kept:
                    fresh.add(event)
                self._groups[group_arn] = fresh
            return removed

    def delete(self, group_arn: str) -> None:
        with self._lock:
            self._groups.pop(group_arn, None)
            self._path(group_arn).unlink(missing_ok=True)
