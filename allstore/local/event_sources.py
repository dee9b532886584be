"""Event source mappings: poll a DynamoDB or Kinesis stream and invoke a function with its batches.

What Lambda's pollers do, for the settings the template uses: `BatchSize`, `StartingPosition`,
`MaximumBatchingWindowInSeconds`, `MaximumRetryAttempts`, `BisectBatchOnFunctionError`,
`FunctionResponseTypes: [ReportBatchItemFailures]` and an SQS `OnFailure` destination. A batch whose
invocation fails is retried whole — or, with BisectBatchOnFunctionError, split in half and retried
half by half, which isolates a record that crashes the function without counting as a retry; with
ReportBatchItemFailures, processing resumes from the first failed record (the checkpoint). Once
retries are exhausted, the batch's description goes to the on-failure queue and the poller moves
past it — a failed record is never retried forever, nor dropped silently: the records themselves
go to the store's dead-letter file.

One local difference: a batch that fails while one of the store's own processes is down (a
supervised server, or the function's worker killed mid-invocation) does not use up a retry
attempt. On AWS the services stay up; locally such a failure says nothing about the records, so
the poller keeps its position and retries once the process is back — the records wait in the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from allstore.local.event_shapes import dynamodb_stream_record, kinesis_record, sequence_number
from allstore.local.lambda_runtime import FunctionError, FunctionRuntime

log = logging.getLogger(__name__)

POLL_INTERVAL_SECONDS = 0.25
OUTAGE_WAIT_SECONDS = 1.0  # between checks while a dependency is down (stop() stays prompt)


class Dependencies(Protocol):
    """The store's own processes (the Supervisor): whether they are all up, and how often any restarted."""

    restarts: int

    def healthy(self) -> bool: ...
    def wait_until_healthy(self, timeout: float) -> bool: ...


class _AlwaysUp:
    restarts = 0

    def healthy(self) -> bool:
        return True

    def wait_until_healthy(self, timeout: float) -> bool:
        return True


DeadLetter = Callable[[str | None, dict[str, Any], list[dict[str, Any]]], None]


@dataclass(frozen=True)
class MappingSettings:
    """One `DynamoDB`/`Kinesis` event of a function, resolved."""

    kind: str  # "DynamoDB" or "Kinesis"
    stream_arn: str
    batch_size: int
    starting_position: str
    batching_window: float
    maximum_retry_attempts: int
    report_batch_item_failures: bool
    on_failure_arn: str | None
    bisect_on_function_error: bool = False

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> MappingSettings:
        properties = event["Properties"]
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return cls(
            kind=event["Type"],
            stream_arn=properties["Stream"],
            batch_size=int(properties.get("BatchSize", 100)),
            starting_position=properties.get("StartingPosition", "LATEST"),
            batching_window=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
            report_batch_item_failures="ReportBatchItemFailures"
            in properties.get("FunctionResponseTypes", []),
            on_failure_arn=destination,
            bisect_on_function_error=bool(properties.get("BisectBatchOnFunctionError", False)),
        )


class _Shard:
    """A shard being read: its iterator and records fetched but not yet processed."""

    def __init__(self, shard_id: str, iterator: str | None) -> None:
        self.shard_id = shard_id
        self.iterator = iterator
        self.pending: list[dict[str, Any]] = []
        self.attempts = 0
        self.split_size: int | None = None  # the batch size while a failed batch is being bisected


class StreamPoller:
    """Polls one stream for one function in a background thread."""

    def __init__(
        self,
        settings: MappingSettings,
        runtime: FunctionRuntime,
        stream_client: Any,
        dead_letter: DeadLetter,
        function_role_arn: str = "",
        dependencies: Dependencies | None = None,
    ) -> None:
        """`dead_letter(on_failure_arn, document, records)` keeps a batch whose retries are exhausted."""
        self.settings = settings
        self.runtime = runtime
        self._client = stream_client
        self._dead_letter = dead_letter
        self._role_arn = function_role_arn
        self._dependencies = dependencies or _AlwaysUp()
        self._waiting_for_dependencies = False
        self.batch_lock = threading.Lock()  # held while a batch is processed (a reconciliation pauses it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller:{runtime.spec.name}", daemon=True)
        self._shards: dict[str, _Shard] = {}
        self.idle = threading.Event()  # set whenever every fetched record has been processed

    def start(self, starting_position: str | None = None) -> None:
        """Begin reading; `starting_position` overrides the template's (e.g. LATEST after a restore)."""
        position = starting_position or self.settings.starting_position
        for shard_id in self._shard_ids():
            self._shards[shard_id] = _Shard(shard_id, self._iterator(shard_id, position))
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    # ------------------------------------------------------------------ stream API differences

    @property
    def _kinesis_stream_name(self) -> str:
        # By name, not ARN: moto's iterators from an ARN lose the stream (GetRecords: "Stream None").
        return self.settings.stream_arn.split(":stream/", 1)[1]

    def _shard_ids(self) -> list[str]:
        if self.settings.kind == "Kinesis":
            shards = self._client.list_shards(StreamName=self._kinesis_stream_name)["Shards"]
        else:
            shards = self._client.describe_stream(StreamArn=self.settings.stream_arn)["StreamDescription"][
                "Shards"
            ]
        return [shard["ShardId"] for shard in shards]

    def _iterator(self, shard_id: str, position: str) -> str:
        if self.settings.kind == "Kinesis":
            return self._client.get_shard_iterator(
                StreamName=self._kinesis_stream_name, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
        return self._client.get_shard_iterator(
            StreamArn=self.settings.stream_arn, ShardId=shard_id, ShardIteratorType=position
        )["ShardIterator"]

    def _lambda_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        if self.settings.kind == "Kinesis":
            return kinesis_record(record, shard_id, self.settings.stream_arn, self._role_arn)
        return dynamodb_stream_record(record, self.settings.stream_arn)

    # ------------------------------------------------------------------ polling

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            for shard in self._shards.values():
                try:
                    with self.batch_lock:
                        busy |= self._poll(shard)
                except Exception:
                    log.exception(
                        "polling %s for %s failed; retrying", shard.shard_id, self.runtime.spec.name
                    )
                    self._stop.wait(1.0)
            if self._waiting_for_dependencies:
                self._dependencies.wait_until_healthy(OUTAGE_WAIT_SECONDS)
            if not busy:
                self.idle.set()
                self._stop.wait(POLL_INTERVAL_SECONDS)

    def _poll(self, shard: _Shard) -> bool:
        """Fetch into the shard's buffer and process one batch; True when there was work."""
        limit = self.settings.batch_size
        deadline = time.monotonic() + self.settings.batching_window
        while shard.iterator and len(shard.pending) < limit:
            response = self._client.get_records(
                ShardIterator=shard.iterator, Limit=limit - len(shard.pending)
            )
            shard.iterator = response.get("NextShardIterator")
            shard.pending.extend(
                self._lambda_record(shard.shard_id, record) for record in response["Records"]
            )
            if not response["Records"] and (not shard.pending or time.monotonic() >= deadline):
                break
            if not response["Records"]:
                self._stop.wait(0.05)
        if not shard.pending:
            return False
        self.idle.clear()
        batch = shard.pending[: shard.split_size or limit]
        restarts = self._dependencies.restarts
        failed_from, crashed, worker_lost = self._invoke(batch)
        if failed_from is None:
            del shard.pending[: len(batch)]
            shard.attempts = 0
            shard.split_size = None
            self._waiting_for_dependencies = False
            return True
        if worker_lost or restarts != self._dependencies.restarts or not self._dependencies.healthy():
            if not self._waiting_for_dependencies:
                log.warning(
                    "%s: a batch failed while a local process was down; keeping the stream position "
                    "and retrying when it is back (not counted as a retry attempt)",
                    self.runtime.spec.name,
                )
            self._waiting_for_dependencies = True
            del shard.pending[:failed_from]
            return True
        if crashed and self.settings.bisect_on_function_error and len(batch) > 1:
            shard.split_size = len(batch) // 2  # retry the first half on its own; not a retry attempt
            return True
        shard.attempts += 1
        retries_left = (
            self.settings.maximum_retry_attempts < 0 or shard.attempts <= self.settings.maximum_retry_attempts
        )
        if retries_left:
            del shard.pending[:failed_from]  # resume from the checkpoint: the first failed record
            self._stop.wait(min(2.0, 0.1 * 2**shard.attempts))
            return True
        failed = batch[failed_from:]
        self._discard(shard, failed)
        del shard.pending[: len(batch)]
        shard.attempts = 0
        shard.split_size = None
        return True

    def _invoke(self, batch: list[dict[str, Any]]) -> tuple[int | None, bool, bool]:
        """Invoke with `batch`: the index to resume from (None when it all succeeded), whether the
        function itself failed, and whether its worker was killed from outside."""
        try:
            result = self.runtime.invoke({"Records": batch})
        except FunctionError as error:
            log.warning("%s failed on a batch of %d: %s", self.runtime.spec.name, len(batch), error)
            return 0, True, error.worker_lost
        if not self.settings.report_batch_item_failures or not isinstance(result, dict):
            return None, False, False
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None, False, False
        positions = {sequence_number(record): index for index, record in enumerate(batch)}
        indexes = [positions.get(str(failure.get("itemIdentifier"))) for failure in failures]
        if any(index is None for index in indexes):
            log.warning(
                "%s reported an unknown itemIdentifier; retrying the whole batch", self.runtime.spec.name
            )
            return 0, False, False
        return min(indexes), False, False

    def _discard(self, shard: _Shard, failed: list[dict[str, Any]]) -> None:
        """Retries exhausted: describe the failed records on the on-failure queue, as Lambda does,
        and keep the records themselves (the stream will not keep them)."""
        info_key = "KinesisBatchInfo" if self.settings.kind == "Kinesis" else "DDBStreamBatchInfo"
        document = {
            "requestContext": {
                "requestId": failed[0].get("eventID"),
                "functionArn": self.runtime.spec.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            info_key: {
                "shardId": shard.shard_id,
                "startSequenceNumber": sequence_number(failed[0]),
                "endSequenceNumber": sequence_number(failed[-1]),
                "batchSize": len(failed),
                "streamArn": self.settings.stream_arn,
            },
        }
        log.error(
            "%s: %d record(s) failed after %d attempts; sent to %s",
            self.runtime.spec.name,
            len(failed),
            shard.attempts,
            self.settings.on_failure_arn or "no on-failure destination (kept in the dead-letter file)",
        )
        self._dead_letter(self.settings.on_failure_arn, document, failed)
