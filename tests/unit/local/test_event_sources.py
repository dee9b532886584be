"""The stream poller behaves like Lambda's event source mapping: batches, checkpoints, retries, on-failure queue."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from allstore.local.event_sources import MappingSettings, StreamPoller
from allstore.local.lambda_runtime import FunctionError
from allstore.local.provision import FunctionSpec

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"


class FakeKinesis:
    """One shard holding `count` records; GetRecords pages through them by position."""

    def __init__(self, count: int) -> None:
        self.records = [
            {
                "SequenceNumber": f"{n:04d}",
                "ApproximateArrivalTimestamp": datetime(2026, 1, 1, tzinfo=UTC),
                "Data": json.dumps({"n": n}).encode(),
                "PartitionKey": "p",
            }
            for n in range(count)
        ]

    def list_shards(self, StreamName: str) -> dict[str, Any]:
        assert StreamName == "clicks"
        return {"Shards": [{"ShardId": "shardId-0"}]}

    def get_shard_iterator(self, StreamName: str, ShardId: str, ShardIteratorType: str) -> dict[str, Any]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + Limit]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class FakeRuntime:
    """Records every batch; `fail(n)` decides whether record n fails this time."""

    def __init__(self, fail: Any) -> None:
        self.spec = FunctionSpec(
            "Fn", "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", None, "app.h", 3, 128, {}
        )  # type: ignore[arg-type]
        self.batches: list[list[int]] = []
        self.fail = fail

    def invoke(self, event: dict[str, Any]) -> Any:
        numbers = [json.loads(base64.b64decode(r["kinesis"]["data"]))["n"] for r in event["Records"]]
        self.batches.append(numbers)
        outcome = self.fail(numbers, len(self.batches))
        if outcome == "crash":
            raise FunctionError({"errorType": "Boom", "errorMessage": "boom"})
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
                for r, n in zip(event["Records"], numbers, strict=True)
                if n in outcome
            ]
        }


def settings(**overrides: Any) -> MappingSettings:
    values = {
        "kind": "Kinesis",
        "stream_arn": STREAM_ARN,
        "batch_size": 4,
        "starting_position": "TRIM_HORIZON",
        "batching_window": 0.0,
        "maximum_retry_attempts": 2,
        "report_batch_item_failures": True,
        "on_failure_arn": "arn:aws:sqs:us-east-1:123456789012:dlq",
    }
    return MappingSettings(**{**values, **overrides})


def run(poller: StreamPoller) -> None:
    poller.start()
    assert poller.idle.wait(10), "the poller did not drain the stream"
    poller.stop()


def test_settings_come_from_the_templates_event() -> None:
    event = {
        "Type": "DynamoDB",
        "Properties": {
            "Stream": "arn:stream",
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 100,
            "MaximumBatchingWindowInSeconds": 1,
            "MaximumRetryAttempts": 5,
            "BisectBatchOnFunctionError": True,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": "arn:queue"}},
        },
    }
    assert MappingSettings.from_event(event) == MappingSettings(
        "DynamoDB", "arn:stream", 100, "TRIM_HORIZON", 1.0, 5, True, "arn:queue", True
    )


def test_batches_honour_the_batch_size() -> None:
    runtime = FakeRuntime(lambda numbers, call: set())
    run(StreamPoller(settings(), runtime, FakeKinesis(10), lambda arn, doc, records: None))
    assert runtime.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_partial_failure_resumes_from_the_first_failed_record() -> None:
    # Record 2 fails once: the retry starts at record 2 (the checkpoint), not at the batch's start.
    runtime = FakeRuntime(lambda numbers, call: {2} if call == 1 else set())
    run(StreamPoller(settings(), runtime, FakeKinesis(6), lambda arn, doc, records: None))
    assert runtime.batches[:2] == [[0, 1, 2, 3], [2, 3, 4, 5]]
    assert sorted({n for batch in runtime.batches for n in batch}) == list(range(6))


def test_a_record_that_always_fails_goes_to_the_on_failure_queue_after_the_retries() -> None:
    sent: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
    runtime = FakeRuntime(lambda numbers, call: {1})
    run(
        StreamPoller(
            settings(maximum_retry_attempts=2),
            runtime,
            FakeKinesis(3),
            lambda arn, doc, records: sent.append((arn, doc, records)),
        )
    )
    # first attempt + 2 retries on the batch holding record 1, then the stream moves on
    assert runtime.batches == [[0, 1, 2], [1, 2], [1, 2]]
    assert len(sent) == 1
    arn, document, records = sent[0]
    payloads = [json.loads(base64.b64decode(record["kinesis"]["data"])) for record in records]
    assert payloads == [{"n": 1}, {"n": 2}], "the dead letter keeps the records themselves"
    assert arn == "arn:aws:sqs:us-east-1:123456789012:dlq"
    info = document["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == "0001" and info["endSequenceNumber"] == "0002"
    assert info["batchSize"] == 2 and info["streamArn"] == STREAM_ARN
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_a_crashing_invocation_retries_the_whole_batch() -> None:
    runtime = FakeRuntime(lambda numbers, call: "crash" if call == 1 else set())
    run(StreamPoller(settings(), runtime, FakeKinesis(2), lambda arn, doc, records: None))
    assert runtime.batches == [[0, 1], [0, 1]]


def test_without_report_batch_item_failures_the_response_is_not_read() -> None:
    sent: list[dict[str, Any]] = []
    runtime = FakeRuntime(lambda numbers, call: {0})
    poller = StreamPoller(
        settings(report_batch_item_failures=False),
        runtime,
        FakeKinesis(2),
        lambda arn, doc, records: sent.append(doc),
    )
    run(poller)
    assert runtime.batches == [[0, 1]] and not sent


def test_bisecting_isolates_the_record_that_crashes_the_function() -> None:
    # Record 5 crashes the function whenever it is in a batch: halves are retried until it is alone,
    # the others are processed, and only record 5 reaches the queue (after its own 1 retry).
    sent: list[dict[str, Any]] = []
    runtime = FakeRuntime(lambda numbers, call: "crash" if 5 in numbers else set())
    poller = StreamPoller(
        settings(batch_size=8, maximum_retry_attempts=1, bisect_on_function_error=True),
        runtime,
        FakeKinesis(8),
        lambda arn, doc, records: sent.append(doc),
    )
    run(poller)
    assert runtime.batches[:4] == [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5]]
    assert [4] in runtime.batches and runtime.batches.count([5]) == 2
    processed = {n for batch in runtime.batches if 5 not in batch for n in batch}
    assert processed == {0, 1, 2, 3, 4, 6, 7}
    assert len(sent) == 1
    info = sent[0]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("0005", "0005", 1)


def test_without_bisecting_a_crash_fails_the_whole_batch() -> None:
    sent: list[dict[str, Any]] = []
    runtime = FakeRuntime(lambda numbers, call: "crash" if 1 in numbers else set())
    run(
        StreamPoller(
            settings(maximum_retry_attempts=1),
            runtime,
            FakeKinesis(3),
            lambda arn, doc, records: sent.append(doc),
        )
    )
    assert runtime.batches == [[0, 1, 2], [0, 1, 2]]
    assert sent[0]["KinesisBatchInfo"]["batchSize"] == 3


class FakeDependencies:
    """The supervisor's view: down for the first `down_checks` health checks, then up."""

    def __init__(self, down_checks: int) -> None:
        self.down_checks = down_checks
        self.restarts = 0
        self.waits = 0

    def healthy(self) -> bool:
        if self.down_checks > 0:
            self.down_checks -= 1
            return False
        return True

    def wait_until_healthy(self, timeout: float) -> bool:
        self.waits += 1
        return True


def test_while_a_local_process_is_down_failures_use_up_no_retries() -> None:
    # Every batch fails while the dependency is down (more often than MaximumRetryAttempts allows),
    # yet nothing is dead-lettered: the poller keeps its position and every record gets through.
    dependencies = FakeDependencies(down_checks=6)
    sent: list[Any] = []
    runtime = FakeRuntime(lambda numbers, call: set(numbers) if dependencies.down_checks else set())
    run(
        StreamPoller(
            settings(maximum_retry_attempts=1),
            runtime,
            FakeKinesis(6),
            lambda arn, doc, records: sent.append(doc),
            dependencies=dependencies,
        )
    )
    assert not sent
    assert dependencies.waits >= 1
    assert runtime.batches.count([0, 1, 2, 3]) >= 4, "the same batch was retried past the retry limit"
    assert [n for batch in runtime.batches[-2:] for n in batch] == list(range(6))


def test_a_worker_killed_mid_batch_is_retried_without_counting_or_bisecting() -> None:
    sent: list[Any] = []

    def fail(numbers: list[int], call: int) -> Any:
        if call <= 3:
            raise FunctionError(
                {"errorType": "Runtime.ExitError", "errorMessage": "signal 9"}, worker_lost=True
            )
        return set()

    runtime = FakeRuntime(fail)
    poller = StreamPoller(
        settings(maximum_retry_attempts=0, bisect_on_function_error=True),
        runtime,
        FakeKinesis(3),
        lambda arn, doc, records: sent.append(doc),
    )
    run(poller)
    assert runtime.batches == [[0, 1, 2]] * 4 and not sent
