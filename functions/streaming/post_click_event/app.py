"""Forward the web store's click events from the Kinesis clickstream to an Amazon Personalize event tracker.

Every record of the batch is handled (the original stopped after the first). Valid events are grouped
per session and user into `put_events` calls of at most ten events; each event's `eventId` is its
Kinesis sequence number, so a retried call never counts an interaction twice. What happens to a
record depends on why it could not be sent:

- invalid payload (not JSON, no itemID/sessionID, over-long ids): logged, counted, acknowledged —
  retrying cannot fix it;
- Personalize rejects the events as invalid input: the same;
- throttling, 5xx, network or configuration errors: exactly the records of that call are reported
  as batch item failures, so Lambda retries them (and, after the mapping's retries, sends them to
  the on-failure queue);
- no tracking id wired (tracking off: the wiring parameter's `trackingId` is empty): acknowledged
  with a warning metric, instead of being retried until the stream expires;
- the wiring parameter cannot be read: every record is retried, like any configuration error.

The tracking id comes from the function's wiring parameter (`allstore_common.wiring`), which the
workshop notebook writes, so it survives redeploys.
"""

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3
from allstore_common.wiring import WiringParameter, WiringUnavailable
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
personalize_events = boto3.client("personalize-events", config=Config(retries={"mode": "standard"}))
wiring = WiringParameter()

MAX_EVENTS_PER_CALL = 10  # PutEvents' eventList limit
MAX_ID_LENGTH = 256  # PutEvents' limit for userId, sessionId, itemId and eventType
DEFAULT_EVENT_TYPE = "click"
PERMANENT_ERROR_CODES = {"InvalidInputException"}


class InvalidClickEvent(ValueError):
    """A clickstream payload that can never become a Personalize event."""


@dataclass(frozen=True)
class ClickEvent:
    sequence_number: str
    session_id: str
    user_id: str | None
    item_id: str
    event_type: str
    sent_at: datetime

    def as_personalize_event(self) -> dict[str, Any]:
        return {
            "eventId": self.sequence_number,
            "eventType": self.event_type,
            "itemId": self.item_id,
            "sentAt": self.sent_at,
        }


@dataclass
class BatchOutcome:
    """Why each record to retry was not sent, by sequence number; records not listed are acknowledged."""

    retry: dict[str, str] = field(default_factory=dict)


def _identifier(payload: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise InvalidClickEvent(f"{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidClickEvent(f"{name} must be a string")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidClickEvent(f"{name} is longer than {MAX_ID_LENGTH} characters")
    return text


def parse_click_event(record: KinesisStreamRecord, default_event_type: str) -> ClickEvent:
    """The event in one Kinesis record, or InvalidClickEvent saying why there is none."""
    payload_record = record.kinesis
    try:
        payload = json.loads(payload_record.data_as_bytes())
    except (ValueError, TypeError) as error:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        raise InvalidClickEvent(f"payload is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise InvalidClickEvent("payload is not a JSON object")
    arrival = payload_record.get("approximateArrivalTimestamp")
    return ClickEvent(
        sequence_number=payload_record.sequence_number,
        session_id=_identifier(payload, "sessionID", required=True),
        user_id=_identifier(payload, "userID", required=False),
        item_id=_identifier(payload, "itemID", required=True),
        event_type=_identifier(payload, "eventType", required=False) or default_event_type,
        sent_at=datetime.fromtimestamp(arrival, tz=UTC)
        if isinstance(arrival, int | float)
        else datetime.now(UTC),
    )


def group_events(events: list[ClickEvent]) -> list[list[ClickEvent]]:
    """Events of one session and user, in arrival order, cut into PutEvents-sized calls."""
    sessions: dict[tuple[str, str | None], list[ClickEvent]] = {}
    for event in events:
        sessions.setdefault((event.session_id, event.user_id), []).append(event)
    return [
        session[start : start + MAX_EVENTS_PER_CALL]
        for session in sessions.values()
        for start in range(0, len(session), MAX_EVENTS_PER_CALL)
    ]


def _send(tracking_id: str, events: list[ClickEvent]) -> None:
    first = events[0]
    request: dict[str, Any] = {
        "trackingId": tracking_id,
        "sessionId": first.session_id,
        "eventList": [event.as_personalize_event() for event in events],
    }
    if first.user_id is not None:
        request["userId"] = first.user_id
    personalize_events.put_events(**request)


@tracer.capture_method
def forward_batch(
    records: list[KinesisStreamRecord], tracking_id: str, default_event_type: str
) -> BatchOutcome:
    """Send every valid event of the batch; return the records to retry."""
    outcome = BatchOutcome()
    events: list[ClickEvent] = []
    for record in records:
        try:
            events.append(parse_click_event(record, default_event_type))
        except InvalidClickEvent as error:
            logger.warning(
                "Skipping invalid click event",
                sequence_number=record.kinesis.sequence_number,
                reason=str(error),
            )
    if len(events) < len(records):
        metrics.add_metric(name="InvalidClickEvents", unit=MetricUnit.Count, value=len(records) - len(events))
    for call in group_events(events):
        sequence_numbers = [event.sequence_number for event in call]
        try:
            _send(tracking_id, call)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in PERMANENT_ERROR_CODES:
                logger.warning(
                    "Personalize rejected events", sequence_numbers=sequence_numbers, error=str(error)
                )
                metrics.add_metric(name="RejectedClickEvents", unit=MetricUnit.Count, value=len(call))
                continue
            logger.warning(
                "PutEvents failed; will retry", sequence_numbers=sequence_numbers, error=str(error)
            )
            outcome.retry.update(dict.fromkeys(sequence_numbers, f"PutEvents failed: {code or error}"))
        except BotoCoreError as error:
            logger.warning(
                "PutEvents failed; will retry", sequence_numbers=sequence_numbers, error=str(error)
            )
            outcome.retry.update(dict.fromkeys(sequence_numbers, f"PutEvents failed: {error}"))
        else:
            metrics.add_metric(name="ClickEventsSent", unit=MetricUnit.Count, value=len(call))
    if outcome.retry:
        metrics.add_metric(name="ClickEventsToRetry", unit=MetricUnit.Count, value=len(outcome.retry))
    return outcome


def report_record(record: KinesisStreamRecord, outcome: BatchOutcome) -> None:
    """Raise for a record to retry, so BatchProcessor reports it as a batch item failure."""
    reason = outcome.retry.get(record.kinesis.sequence_number)
    if reason is not None:
        raise RuntimeError(reason)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = [KinesisStreamRecord(raw) for raw in event.get("Records") or []]
    try:
        tracking_id = wiring.current().tracking_id
    except WiringUnavailable as error:
        logger.error("Wiring parameter unreadable; the batch will be retried", reason=str(error))
        return {"batchItemFailures": [{"itemIdentifier": r.kinesis.sequence_number} for r in records]}
    if not tracking_id:
        logger.warning(
            "No tracking id wired: click tracking is off, acknowledging the batch", records=len(records)
        )
        metrics.add_metric(name="ClickEventsTrackingOff", unit=MetricUnit.Count, value=len(records))
        return {"batchItemFailures": []}
    default_event_type = os.environ.get("EVENT_TYPE", "").strip() or DEFAULT_EVENT_TYPE
    outcome = forward_batch(records, tracking_id, default_event_type)
    return process_partial_response(
        event=event,
        record_handler=partial(report_record, outcome=outcome),
        processor=processor,
        context=context,
    )
