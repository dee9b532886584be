"""Keep the product search index in step with the Items table, from its DynamoDB stream.

A batch is applied with ONE `_bulk` request (INSERT/MODIFY index the new image, REMOVE deletes),
then Powertools' BatchProcessor reports exactly the records whose bulk item failed, so the event
source retries (or bisects) only those. A record that can never be applied (malformed) is logged
with its sequence number and reported as failed too: after the mapping's retries it lands in the
on-failure queue instead of vanishing.
"""

import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from allstore_common.search_client import index_name, search_client
from allstore_common.search_index import ensure_index, search_document
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from boto3.dynamodb.types import TypeDeserializer
from opensearchpy.exceptions import OpenSearchException

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
deserializer = TypeDeserializer()

KEY_ATTRIBUTE = "asin"
_index_ready: set[str] = set()  # indexes known to exist, per warm container


# What reading a broken DynamoDB-JSON image may raise.
_UNREADABLE = (KeyError, TypeError, AttributeError, ValueError, ArithmeticError)


class MalformedRecord(ValueError):
    """A stream record that no retry can apply."""


@dataclass
class BatchOutcome:
    """Why each failed record failed, by sequence number; records not listed were applied."""

    failures: dict[str | None, str] = field(default_factory=dict)


def bulk_operation(record: dict[str, Any], index: str) -> list[dict[str, Any]]:
    """The `_bulk` lines (action, and the document for index actions) for one stream record."""
    stream_record = record.get("dynamodb")
    if not isinstance(stream_record, dict):
        raise MalformedRecord("record has no 'dynamodb' section")
    try:
        keys = {name: deserializer.deserialize(value) for name, value in stream_record["Keys"].items()}
        document_id = keys[KEY_ATTRIBUTE]
    except _UNREADABLE as error:
        raise MalformedRecord(f"record has no readable {KEY_ATTRIBUTE!r} key: {error!r}") from error
    if not isinstance(document_id, str) or not document_id:
        raise MalformedRecord(f"key {KEY_ATTRIBUTE!r} is not a non-empty string")
    event_name = record.get("eventName")
    if event_name == "REMOVE":
        return [{"delete": {"_index": index, "_id": document_id}}]
    if event_name not in {"INSERT", "MODIFY"}:
        raise MalformedRecord(f"unknown eventName {event_name!r}")
    try:
        image = {name: deserializer.deserialize(value) for name, value in stream_record["NewImage"].items()}
    except _UNREADABLE as error:
        raise MalformedRecord(f"{event_name} record has no readable NewImage: {error!r}") from error
    return [{"index": {"_index": index, "_id": document_id}}, search_document(image)]


def _bulk_item_failure(item: dict[str, Any]) -> str | None:
    """Why one `_bulk` response item failed, or None when it succeeded."""
    action, result = next(iter(item.items()))
    status = int(result.get("status", 500))
    if 200 <= status < 300 or (action == "delete" and status == 404):  # deleting a missing doc is done
        return None
    return f"{action} failed with status {status}: {result.get('error')}"


@tracer.capture_method
def apply_batch(records: list[dict[str, Any]], index: str) -> BatchOutcome:
    """Send the batch as one `_bulk` request and attribute each result to its record."""
    outcome = BatchOutcome()
    body: list[dict[str, Any]] = []
    sent: list[str | None] = []  # sequence number of each bulk operation, in request order
    for record in records:
        sequence_number = (record.get("dynamodb") or {}).get("SequenceNumber")
        try:
            body.extend(bulk_operation(record, index))
            sent.append(sequence_number)
        except MalformedRecord as error:
            logger.error("Malformed stream record", sequence_number=sequence_number, reason=str(error))
            outcome.failures[sequence_number] = f"malformed record: {error}"
    if len(sent) < len(records):
        metrics.add_metric(
            name="MalformedStreamRecords", unit=MetricUnit.Count, value=len(records) - len(sent)
        )
    if not body:
        return outcome
    try:
        client = search_client(os.environ.get("SEARCH_ENDPOINT", ""))
        if index not in _index_ready:
            if ensure_index(client, index):
                logger.info("Created search index", index=index)
            _index_ready.add(index)
        items = client.bulk(body=body).get("items", [])
        if len(items) != len(sent):
            raise OpenSearchException(f"bulk response has {len(items)} items for {len(sent)} operations")
    except OpenSearchException as error:
        logger.exception("Bulk request failed; every record of the batch will be retried", index=index)
        items = [{"bulk": {"status": 503, "error": str(error)}}] * len(sent)
    for sequence_number, item in zip(sent, items, strict=True):
        reason = _bulk_item_failure(item)
        if reason is not None:
            logger.warning(
                "Search index did not apply a record", sequence_number=sequence_number, reason=reason
            )
            outcome.failures[sequence_number] = reason
    failed = sum(1 for number in sent if number in outcome.failures)
    metrics.add_metric(name="SearchDocumentsApplied", unit=MetricUnit.Count, value=len(sent) - failed)
    if failed:
        metrics.add_metric(name="SearchDocumentsFailed", unit=MetricUnit.Count, value=failed)
    return outcome


def report_record(record: DynamoDBRecord, outcome: BatchOutcome) -> None:
    """Raise for a record that was not applied, so BatchProcessor reports it as a batch item failure."""
    sequence_number = record.dynamodb.sequence_number if record.dynamodb else None
    if sequence_number in outcome.failures:
        raise RuntimeError(outcome.failures[sequence_number])
    if sequence_number is None:
        raise MalformedRecord("record has no sequence number")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = apply_batch(event.get("Records") or [], index_name())
    return process_partial_response(
        event=event,
        record_handler=partial(report_record, outcome=outcome),
        processor=processor,
        context=context,
    )
