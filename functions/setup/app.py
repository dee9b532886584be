"""The stack's custom resources: load products and users, copy raw data to staging, unpack the web UI,
set the account prerequisites a fresh account lacks, pick the zones the VPC endpoints exist in.

One handler serves every resource type in RESOURCES and ALWAYS answers CloudFormation with a PUT to the request's ResponseURL —
SUCCESS, or FAILED with the reason — so a stack never hangs for an hour waiting on it. A timer
answers FAILED shortly before the Lambda timeout if the work has not finished by then.

Large catalogues are loaded in shards. The better scheme than the original's fire-and-forget
recursion: the invocation that received the CloudFormation request is the coordinator; it invokes
this same function synchronously (`RequestResponse`) once per extra shard from parallel threads,
loads shard 0 itself meanwhile, and waits for every shard's answer. Each shard keeps the records
whose item id hashes to it (`shard_of`), holds the newest reviews of those items only, and returns
its counts (or its failure). So there is no shared state to
coordinate through, exactly one invocation ever answers CloudFormation, a failed or crashed shard
turns that answer into FAILED with the shard's reason, and every shard stops at a deadline the
coordinator gives it, early enough for the coordinator to answer within its own time limit.
"""

import hashlib
import io
import json
import posixpath
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlparse

import boto3
from allstore_common import catalogue, categories, records, web_assets
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger()
s3 = boto3.client("s3")
dynamodb = boto3.resource("dynamodb")
lambda_client = boto3.client(
    "lambda", config=Config(read_timeout=910, connect_timeout=10, retries={"max_attempts": 1})
)
iam = boto3.client("iam")
apigateway = boto3.client("apigateway")
ec2 = boto3.client("ec2")

SUCCESS, FAILED = "SUCCESS", "FAILED"
SHARD_REQUEST = "AllStoreShard"  # key of the payload the coordinator sends to a shard
DEFAULT_SHARDS = 4
MAX_SHARDS = 32
WORK_MARGIN_MS = 30_000  # shards stop this long before the coordinator's timeout...
ANSWER_MARGIN_MS = 10_000  # ...and if all else fails, FAILED is sent this long before it
MAX_REASON_LENGTH = 1_000  # CloudFormation rejects response bodies over 4 KB
OPENSEARCH_SERVICE = "opensearchservice.amazonaws.com"
OPENSEARCH_LINKED_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
ROLE_PROPAGATION_RETRY_SECONDS = 5.0  # a new role takes a few seconds to be usable by API Gateway


class SetupError(Exception):
    """A custom resource that cannot be set up; the message is CloudFormation's FAILED reason."""


# --- Answering CloudFormation ----------------------------------------------------------------------


class CloudFormationResponder:
    """Sends the one answer a custom-resource request gets, whichever of work or timer comes first."""

    def __init__(self, event: dict[str, Any], physical_id: str) -> None:
        self._event = event
        self._physical_id = physical_id
        self._lock = threading.Lock()
        self.sent: str | None = None

    def send(self, status: str, reason: str = "", data: dict[str, Any] | None = None) -> None:
        with self._lock:
            if self.sent is not None:
                logger.warning("CloudFormation already answered; not sending", status=status, sent=self.sent)
                return
            self.sent = status
        body = {
            "Status": status,
            "Reason": reason[:MAX_REASON_LENGTH] or "See the setup function's log",
            "PhysicalResourceId": self._physical_id,
            "StackId": self._event.get("StackId"),
            "RequestId": self._event.get("RequestId"),
            "LogicalResourceId": self._event.get("LogicalResourceId"),
            "NoEcho": False,
            "Data": {name: str(value) for name, value in (data or {}).items()},
        }
        _put_response(self._event.get("ResponseURL", ""), json.dumps(body).encode())
        logger.info("Answered CloudFormation", status=status, reason=body["Reason"])


def _put_response(url: str, body: bytes, attempts: int = 4) -> None:
    """PUT the answer to CloudFormation's pre-signed URL (its Content-Type must be empty)."""
    if urlparse(url).scheme not in {"https", "http"}:
        logger.error("ResponseURL is not an http(s) URL; CloudFormation cannot be answered", url=url)
        return
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
            return
        except (urllib.error.URLError, OSError) as error:
            logger.warning("Answering CloudFormation failed", attempt=attempt, error=str(error))
            time.sleep(min(2**attempt, 8) * 0.25)
    logger.error("Could not answer CloudFormation", attempts=attempts)


def default_physical_id(event: dict[str, Any]) -> str:
    """Stable across retries and updates: derived from the stack and the logical id."""
    stack = hashlib.sha256(str(event.get("StackId")).encode()).hexdigest()[:12]
    return f"{event.get('LogicalResourceId', 'Resource')}-{stack}"


# --- Reading S3 ------------------------------------------------------------------------------------


def parse_s3_uri(uri: str, what: str) -> tuple[str, str]:
    parsed = urlparse(uri.strip())
    if parsed.scheme != "s3" or not parsed.netloc:
        raise SetupError(f"{what} must be an s3://bucket/key URI, got {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def open_s3_object(uri: str, what: str) -> Any:
    """The object's streaming body; a missing or unreadable object is a clear SetupError."""
    bucket, key = parse_s3_uri(uri, what)
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"]
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"cannot read {what} {uri}: {error}") from error


# --- Loading tables --------------------------------------------------------------------------------


@dataclass
class LoadReport:
    written: int = 0
    repaired: int = 0
    defaulted: int = 0
    invalid: int = 0
    bad_rows: int = 0

    def add(self, other: "LoadReport") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_data(self) -> dict[str, int]:
        return {
            "".join(part.capitalize() for part in name.split("_")): value
            for name, value in asdict(self).items()
        }


@dataclass(frozen=True)
class ShardTask:
    source: str
    interaction_source: str
    table_name: str
    shard: int
    shards: int
    deadline_ms: int
    review_source: str = ""


def _check_deadline(deadline_ms: int, report: LoadReport) -> None:
    if time.time() * 1000 > deadline_ms:
        raise SetupError(f"ran out of time after writing {report.written} records")


def _records(uri: str, what: str, bad_rows: records.BadRows):
    _, key = parse_s3_uri(uri, what)
    return records.iter_records(open_s3_object(uri, what), name=key, bad_rows=bad_rows)


def shard_of(asin: str, shards: int) -> int:
    """The shard that loads the product `asin`: by a hash of the id, so a shard knows before it
    reads the catalogue whose reviews to keep, and every copy of one id goes to the same shard."""
    return zlib.crc32(asin.encode("utf-8")) % shards


def _interaction_stats(task: ShardTask) -> catalogue.InteractionStats:
    """Per item: the popularity from the interactions; the star rating and count from its rated
    reviews in ReviewSource, else from the interactions; and, for this shard's items, the newest
    reviews, from ReviewSource or, without one, from the interactions (UCSD reviews carry words)."""
    mine = catalogue.NewestReviews(wanted=lambda asin: shard_of(asin, task.shards) == task.shard)
    review_source = task.review_source.strip()
    separate = bool(review_source) and review_source != task.interaction_source.strip()
    if task.interaction_source.strip():
        interactions = _records(task.interaction_source, "InteractionSource", records.BadRows())
        stats = catalogue.interaction_stats(interactions, None if separate else mine)
    else:
        stats = catalogue.InteractionStats(Counter(), Counter(), Counter(), mine)
    if separate:
        stats.reviews = mine
        stats.rate_from_reviews(_records(review_source, "ReviewSource", records.BadRows()))
    return stats


def load_product_shard(task: ShardTask, counts: categories.CategoryCounts | None = None) -> LoadReport:
    """Write this shard's products (those whose id `shard_of` gives it) into the Items table,
    counting each one's category and department into `counts`."""
    counts = categories.CategoryCounts() if counts is None else counts
    stats = _interaction_stats(task)
    report, bad_rows = LoadReport(), records.BadRows()
    table = dynamodb.Table(task.table_name)
    try:
        with table.batch_writer(overwrite_by_pkeys=["asin"]) as writer:
            for record in _records(task.source, "Source", bad_rows):
                asin = records.item_id(record) or ""  # a record without an id is shard 0's to count
                if shard_of(asin, task.shards) != task.shard:
                    continue
                _check_deadline(task.deadline_ms, report)
                try:
                    product = catalogue.product_item(
                        record, stats.popularity.get(asin, 0), stats.rating(asin), stats.reviews.of(asin)
                    )
                except catalogue.InvalidRecord:
                    report.invalid += 1
                    continue
                writer.put_item(Item=product.item)
                counts.add(product.item["category"], records.department(record))
                report.written += 1
                report.repaired += product.repaired
                report.defaulted += product.defaulted
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"loading {task.source} into table {task.table_name} failed: {error}") from error
    if task.shard == 0:  # every shard reads the whole file; one of them reports its bad rows
        report.bad_rows = bad_rows.count
    logger.info(
        "Loaded product shard",
        shard=task.shard,
        shards=task.shards,
        **asdict(report),
        bad_rows_detail=bad_rows.summary(),
        items_with_interactions=len(stats.popularity),
        items_with_reviews=len(stats.reviews),
    )
    return report


def load_users(source: str, table_name: str, deadline_ms: int) -> LoadReport:
    report, bad_rows = LoadReport(), records.BadRows()
    table = dynamodb.Table(table_name)
    try:
        with table.batch_writer(overwrite_by_pkeys=["id"]) as writer:
            for record in _records(source, "Source", bad_rows):
                _check_deadline(deadline_ms, report)
                try:
                    item, defaulted = catalogue.user_item(record)
                except catalogue.InvalidRecord:
                    report.invalid += 1
                    continue
                writer.put_item(Item=item)
                report.written += 1
                report.defaulted += defaulted
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"loading {source} into table {table_name} failed: {error}") from error
    report.bad_rows = bad_rows.count
    logger.info("Loaded users", **asdict(report), bad_rows_detail=bad_rows.summary())
    return report


def _require_records(report: LoadReport, source: str, what: str) -> None:
    """A source that yields nothing usable is a bad file, not an empty success."""
    if report.written == 0:
        raise SetupError(
            f"no {what} could be read from {source} ({report.bad_rows} bad rows, {report.invalid} without an id)"
        )


# --- Shards ----------------------------------------------------------------------------------------


def _invoke_shard(function_arn: str, task: ShardTask) -> tuple[LoadReport, categories.CategoryCounts]:
    """Run one shard in its own invocation of this function and return its report and category counts."""
    response = lambda_client.invoke(
        FunctionName=function_arn,
        InvocationType="RequestResponse",
        Payload=json.dumps({SHARD_REQUEST: asdict(task)}).encode(),
    )
    payload = json.loads(response["Payload"].read() or b"null")
    if not isinstance(payload, dict):
        raise SetupError(f"shard {task.shard} answered {payload!r}")
    if response.get("FunctionError"):
        raise SetupError(f"shard {task.shard} crashed: {payload.get('errorMessage', payload)}")
    if "Report" not in payload:
        raise SetupError(f"shard {task.shard} failed: {payload.get('Reason', payload)}")
    return LoadReport(**payload["Report"]), categories.CategoryCounts(payload.get("Categories", []))


def run_shard(request: dict[str, Any]) -> dict[str, Any]:
    """A shard invocation: load the slice, answer with counts or the reason it failed."""
    task = ShardTask(**request)
    counts = categories.CategoryCounts()
    try:
        return {"Report": asdict(load_product_shard(task, counts)), "Categories": counts.rows()}
    except Exception as error:
        logger.exception("Shard failed", shard=task.shard)
        return {"Reason": str(error) or type(error).__name__}


def load_products(
    properties: dict[str, Any],
    context: Any,
    deadline_ms: int,
    counts: categories.CategoryCounts | None = None,
) -> LoadReport:
    """Load the catalogue with `Shards` parallel shards; this invocation runs shard 0 itself. Every
    shard's category counts are added into `counts`."""
    counts = categories.CategoryCounts() if counts is None else counts
    source = str(properties.get("Source") or "")
    table_name = str(properties.get("TableName") or "")
    if not source.strip() or not table_name:
        raise SetupError("Custom::ProductData needs Source and TableName")
    try:
        shards = min(max(int(properties.get("Shards") or DEFAULT_SHARDS), 1), MAX_SHARDS)
    except (TypeError, ValueError) as error:
        raise SetupError(f"Shards must be a number, got {properties.get('Shards')!r}") from error
    tasks = [
        ShardTask(
            source,
            str(properties.get("InteractionSource") or ""),
            table_name,
            shard,
            shards,
            deadline_ms,
            str(properties.get("ReviewSource") or ""),
        )
        for shard in range(shards)
    ]
    pool = ThreadPoolExecutor(max_workers=max(shards - 1, 1), thread_name_prefix="shard")
    futures: dict[int, Future[tuple[LoadReport, categories.CategoryCounts]]] = {
        task.shard: pool.submit(_invoke_shard, context.invoked_function_arn, task) for task in tasks[1:]
    }
    try:
        total, failures = LoadReport(), []
        try:
            total.add(load_product_shard(tasks[0], counts))
        except SetupError as error:
            failures.append(f"shard 0: {error}")
        wait(
            futures.values(), timeout=max(deadline_ms - time.time() * 1000, 0) / 1000 + WORK_MARGIN_MS / 2000
        )
        for shard, future in futures.items():
            if not future.done():
                failures.append(f"shard {shard} did not finish in time")
            elif future.exception() is not None:
                failures.append(str(future.exception()))
            else:
                report, shard_counts = future.result()
                total.add(report)
                counts.merge(shard_counts)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    logger.info("Loaded products", shards=shards, **asdict(total), failed_shards=len(failures))
    if failures:
        raise SetupError(f"{len(failures)} of {shards} shards failed: " + "; ".join(failures))
    _require_records(total, source, "products")
    return total


# --- The resources ---------------------------------------------------------------------------------


class CustomResource(ABC):
    """Create/Update/Delete of one resource type; each returns the response's Data."""

    def physical_id(self, event: dict[str, Any]) -> str:
        return event.get("PhysicalResourceId") or default_physical_id(event)

    @abstractmethod
    def create(self, properties: dict[str, Any], context: Any, deadline_ms: int) -> dict[str, Any]:
        """Do the resource's work; Update repeats it unless a subclass knows better."""

    def update(
        self, properties: dict[str, Any], old: dict[str, Any], context: Any, deadline_ms: int
    ) -> dict[str, Any]:
        return self.create(properties, context, deadline_ms)

    def delete(self, properties: dict[str, Any], context: Any, deadline_ms: int) -> dict[str, Any]:
        return {}


class ProductData(CustomResource):
    """Items table contents and, with `CategoriesTable`, the catalogue's categories with their item
    counts (allstore_common.categories), recorded once every shard has loaded. Delete leaves the
    tables to CloudFormation (it deletes them itself)."""

    SOURCE_PROPERTIES = ("Source", "InteractionSource", "ReviewSource", "TableName", "CategoriesTable")

    def create(self, properties, context, deadline_ms):
        counts = categories.CategoryCounts()
        data: dict[str, Any] = load_products(properties, context, deadline_ms, counts).as_data()
        table_name = str(properties.get("CategoriesTable") or "")
        if table_name:
            try:
                stale = categories.CategoryTable(table_name, dynamodb).replace(counts)
            except (ClientError, BotoCoreError) as error:
                raise SetupError(f"recording the categories in table {table_name} failed: {error}") from error
            logger.info("Recorded the categories", categories=len(counts), removed=stale)
            data["Categories"] = len(counts)
        return data

    def update(self, properties, old, context, deadline_ms):
        if all(properties.get(name) == old.get(name) for name in self.SOURCE_PROPERTIES):
            logger.info("Product source unchanged; not reloading")
            return {}
        return self.create(properties, context, deadline_ms)


class UserData(CustomResource):
    """Users table contents; an empty Source means no users."""

    def create(self, properties, context, deadline_ms):
        source, table_name = str(properties.get("Source") or ""), str(properties.get("TableName") or "")
        if not table_name:
            raise SetupError("Custom::UserData needs TableName")
        if not source.strip():
            logger.info("No user source; the Users table stays empty")
            return LoadReport().as_data()
        report = load_users(source, table_name, deadline_ms)
        _require_records(report, source, "users")
        return report.as_data()

    def update(self, properties, old, context, deadline_ms):
        if all(properties.get(name) == old.get(name) for name in ("Source", "TableName")):
            return {}
        return self.create(properties, context, deadline_ms)


def _copy_targets(properties: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(From URI, destination bucket, destination key) for each copy; an empty From or To is skipped."""
    copies = properties.get("Copies") or []
    if not isinstance(copies, list):
        raise SetupError("Copies must be a list of {From, To}")
    targets = []
    for copy in copies:
        source, destination = str(copy.get("From") or "").strip(), str(copy.get("To") or "").strip()
        if not source or not destination:
            continue
        _, source_key = parse_s3_uri(source, "From")
        bucket, prefix = parse_s3_uri(destination, "To")
        key = prefix + posixpath.basename(source_key) if not prefix or prefix.endswith("/") else prefix
        targets.append((source, bucket, key))
    return targets


class S3Copy(CustomResource):
    """Raw data copied into the staging bucket for the notebooks; the copies go on Delete."""

    def create(self, properties, context, deadline_ms):
        targets = _copy_targets(properties)
        for source, bucket, key in targets:
            source_bucket, source_key = parse_s3_uri(source, "From")
            try:
                s3.copy({"Bucket": source_bucket, "Key": source_key}, bucket, key)
            except (ClientError, BotoCoreError) as error:
                raise SetupError(f"copying {source} to s3://{bucket}/{key} failed: {error}") from error
            logger.info("Copied", source=source, destination=f"s3://{bucket}/{key}")
        return {"Copied": len(targets)}

    def update(self, properties, old, context, deadline_ms):
        data = self.create(properties, context, deadline_ms)
        current = {(bucket, key) for _, bucket, key in _copy_targets(properties)}
        stale = [(bucket, key) for _, bucket, key in _copy_targets(old) if (bucket, key) not in current]
        _delete_keys(stale)
        return data

    def delete(self, properties, context, deadline_ms):
        targets = _copy_targets(properties)
        _delete_keys([(bucket, key) for _, bucket, key in targets])
        return {"Deleted": len(targets)}


def _delete_keys(objects: list[tuple[str, str]]) -> None:
    by_bucket: dict[str, list[str]] = {}
    for bucket, key in objects:
        by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), 1000):  # DeleteObjects' limit
            chunk = keys[start : start + 1000]
            try:
                response = s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True}
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
                    continue  # already gone with its bucket: nothing left to delete
                raise SetupError(f"deleting objects from {bucket} failed: {error}") from error
            if response.get("Errors"):
                first = response["Errors"][0]
                raise SetupError(f"deleting s3://{bucket}/{first.get('Key')} failed: {first.get('Message')}")


def _prefix(properties: dict[str, Any]) -> str:
    prefix = str(properties.get("Prefix") or "").strip().strip("/")
    return f"{prefix}/" if prefix else ""


def _keys_under(bucket: str, prefix: str) -> list[str]:
    keys = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(entry["Key"] for entry in page.get("Contents", []))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return []
        raise SetupError(f"listing s3://{bucket}/{prefix} failed: {error}") from error
    return keys


class WebAssets(CustomResource):
    """The web UI zip unpacked into Bucket/Prefix. The physical id is the destination, so moving it
    makes CloudFormation delete (empty) the old one after the update."""

    def physical_id(self, event):
        properties = event.get("ResourceProperties") or {}
        bucket = str(properties.get("Bucket") or "")
        return f"s3://{bucket}/{_prefix(properties)}" if bucket else super().physical_id(event)

    def create(self, properties, context, deadline_ms):
        bucket, prefix = str(properties.get("Bucket") or ""), _prefix(properties)
        if not bucket:
            raise SetupError("Custom::WebAssets needs Bucket")
        body = open_s3_object(str(properties.get("Source") or ""), "Source")
        with tempfile.SpooledTemporaryFile(max_size=64 * 2**20) as archive_file:
            for chunk in iter(lambda: body.read(2**20), b""):
                archive_file.write(chunk)
            archive_file.seek(0)
            uploaded = self._unpack(archive_file, bucket, prefix)
        stale = [key for key in _keys_under(bucket, prefix) if key not in uploaded]
        _delete_keys([(bucket, key) for key in stale])
        logger.info(
            "Unpacked web assets", bucket=bucket, prefix=prefix, files=len(uploaded), removed=len(stale)
        )
        return {"Files": len(uploaded)}

    @staticmethod
    def _unpack(archive_file: io.IOBase, bucket: str, prefix: str) -> set[str]:
        try:
            archive = zipfile.ZipFile(archive_file)
        except zipfile.BadZipFile as error:
            raise SetupError(f"the web UI Source is not a zip file: {error}") from error
        uploaded = set()
        with archive:
            for entry in archive.infolist():
                if entry.is_dir():
                    continue
                name = posixpath.normpath(entry.filename)
                if name.startswith(("/", "../")) or name == "..":
                    raise SetupError(f"the web UI zip has an unsafe path {entry.filename!r}")
                key = prefix + name
                extra = {"ContentType": web_assets.content_type(name)}
                if cache := web_assets.cache_control(name):
                    extra["CacheControl"] = cache
                try:
                    with archive.open(entry) as data:
                        s3.upload_fileobj(data, bucket, key, ExtraArgs=extra)
                except (ClientError, BotoCoreError) as error:
                    raise SetupError(f"uploading s3://{bucket}/{key} failed: {error}") from error
                uploaded.add(key)
        return uploaded

    def delete(self, properties, context, deadline_ms):
        bucket = str(properties.get("Bucket") or "")
        keys = _keys_under(bucket, _prefix(properties)) if bucket else []
        _delete_keys([(bucket, key) for key in keys])
        return {"Deleted": len(keys)}


class EmptyBucketOnDelete(CustomResource):
    """Nothing on Create; on Delete every object in `Bucket` goes, whoever wrote it (the set-up
    function, deploy.sh, the notebooks), so CloudFormation can delete the bucket."""

    def create(self, properties, context, deadline_ms):
        return {}

    def delete(self, properties, context, deadline_ms):
        bucket = str(properties.get("Bucket") or "")
        keys = _keys_under(bucket, "") if bucket else []
        _delete_keys([(bucket, key) for key in keys])
        logger.info("Emptied the bucket for its deletion", bucket=bucket, deleted=len(keys))
        return {"Deleted": len(keys)}


def ensure_opensearch_linked_role() -> str:
    """OpenSearch's service-linked role, which a VPC domain needs before it is created: made when
    missing, left alone when present. Returns "present" or "created"."""
    try:
        iam.get_role(RoleName=OPENSEARCH_LINKED_ROLE)
        return "present"
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise SetupError(f"cannot read role {OPENSEARCH_LINKED_ROLE}: {error}") from error
    try:
        iam.create_service_linked_role(
            AWSServiceName=OPENSEARCH_SERVICE,
            Description="Lets Amazon OpenSearch Service manage the network interfaces of VPC domains",
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "EntityAlreadyExists" or (code == "InvalidInput" and "has been taken" in message):
            return "present"  # created meanwhile, e.g. by another stack's domain
        raise SetupError(
            f"cannot create the service-linked role for {OPENSEARCH_SERVICE}: {error}"
        ) from error
    logger.info("Created the OpenSearch service-linked role", role=OPENSEARCH_LINKED_ROLE)
    return "created"


def ensure_api_gateway_logs_role(role_arn: str, deadline_ms: int) -> str:
    """API Gateway's account-level CloudWatch Logs role (a stage with access logs needs one): set
    to `role_arn` when the account has none, never overwritten. Returns "present" or "set"."""
    try:
        current = apigateway.get_account().get("cloudwatchRoleArn")
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"cannot read API Gateway's account settings: {error}") from error
    if current:
        logger.info("API Gateway already has a CloudWatch Logs role; not changing it", role=current)
        return "present"
    while True:
        try:
            apigateway.update_account(
                patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
            )
            logger.info("Set API Gateway's CloudWatch Logs role", role=role_arn)
            return "set"
        except ClientError as error:
            # IAM is eventually consistent: a role made moments ago is refused for a few seconds.
            retry = error.response.get("Error", {}).get("Code") == "BadRequestException"
            if not retry or time.time() * 1000 + ROLE_PROPAGATION_RETRY_SECONDS * 1000 > deadline_ms:
                raise SetupError(
                    f"cannot set API Gateway's CloudWatch Logs role {role_arn}: {error}"
                ) from error
            logger.info("API Gateway refused the new role; retrying", error=str(error))
            time.sleep(ROLE_PROPAGATION_RETRY_SECONDS)


class AccountPrerequisites(CustomResource):
    """Account-level settings a fresh account lacks, each set only when missing and never changed
    when present. Delete leaves them: other stacks and domains in the account may rely on them."""

    def create(self, properties, context, deadline_ms):
        data = {"OpenSearchServiceLinkedRole": ensure_opensearch_linked_role()}
        role_arn = str(properties.get("ApiGatewayCloudWatchRoleArn") or "").strip()
        if role_arn:
            data["ApiGatewayCloudWatchRole"] = ensure_api_gateway_logs_role(role_arn, deadline_ms)
        return data


class AvailabilityZones(CustomResource):
    """The first `Count` zones (by name) of the region that offer every interface endpoint service
    in `ServiceNames`: not every zone offers every service. Data: Zone0, Zone1, ..."""

    def create(self, properties, context, deadline_ms):
        services = properties.get("ServiceNames") or []
        if not isinstance(services, list) or not services:
            raise SetupError("Custom::AvailabilityZones needs ServiceNames, a list of endpoint service names")
        try:
            count = int(properties.get("Count") or 2)
        except (TypeError, ValueError) as error:
            raise SetupError(f"Count must be a number, got {properties.get('Count')!r}") from error
        try:
            zones = {
                zone["ZoneName"]
                for zone in ec2.describe_availability_zones(
                    Filters=[
                        {"Name": "zone-type", "Values": ["availability-zone"]},
                        {"Name": "state", "Values": ["available"]},
                    ]
                )["AvailabilityZones"]
            }
            details = ec2.describe_vpc_endpoint_services(ServiceNames=services)["ServiceDetails"]
        except (ClientError, BotoCoreError) as error:
            raise SetupError(f"cannot list the zones of {', '.join(services)}: {error}") from error
        offered = {detail["ServiceName"]: set(detail.get("AvailabilityZones", [])) for detail in details}
        for service in services:
            if service not in offered:
                raise SetupError(f"the endpoint service {service} is not offered in this region")
            zones &= offered[service]
        if len(zones) < count:
            raise SetupError(
                f"only {len(zones)} zone(s) ({', '.join(sorted(zones)) or 'none'}) offer all of "
                f"{', '.join(services)}; the stack needs {count}"
            )
        chosen = sorted(zones)[:count]
        logger.info("Chose zones", zones=chosen, services=services)
        return {f"Zone{index}": zone for index, zone in enumerate(chosen)}


RESOURCES: dict[str, CustomResource] = {
    "Custom::ProductData": ProductData(),
    "Custom::UserData": UserData(),
    "Custom::S3Copy": S3Copy(),
    "Custom::WebAssets": WebAssets(),
    "Custom::EmptyBucketOnDelete": EmptyBucketOnDelete(),
    "Custom::AccountPrerequisites": AccountPrerequisites(),
    "Custom::AvailabilityZones": AvailabilityZones(),
}


# --- Entry point -----------------------------------------------------------------------------------


def handle_custom_resource(event: dict[str, Any], context: Any) -> None:
    started_ms = time.time() * 1000
    remaining_ms = context.get_remaining_time_in_millis()
    resource_type, request_type = event.get("ResourceType", ""), event.get("RequestType", "")
    resource = RESOURCES.get(resource_type)
    if request_type == "Delete" or resource is None:  # a Delete must echo the id it is deleting
        physical_id = event.get("PhysicalResourceId") or default_physical_id(event)
    else:
        physical_id = resource.physical_id(event)
    responder = CloudFormationResponder(event, physical_id)
    timer = threading.Timer(
        max(remaining_ms - ANSWER_MARGIN_MS, 0) / 1000,
        responder.send,
        args=(
            FAILED,
            f"{resource_type} {request_type} did not finish within the setup function's time limit",
        ),
    )
    timer.daemon = True
    timer.start()
    deadline_ms = int(started_ms + remaining_ms - WORK_MARGIN_MS)
    properties = event.get("ResourceProperties") or {}
    try:
        if resource is None:
            if request_type == "Delete":  # nothing was ever created for it: let the stack go
                responder.send(SUCCESS, f"nothing to delete for unknown resource type {resource_type!r}")
                return
            raise SetupError(
                f"unknown resource type {resource_type!r}; expected one of {', '.join(RESOURCES)}"
            )
        if request_type == "Create":
            data = resource.create(properties, context, deadline_ms)
        elif request_type == "Update":
            data = resource.update(properties, event.get("OldResourceProperties") or {}, context, deadline_ms)
        elif request_type == "Delete":
            data = resource.delete(properties, context, deadline_ms)
        else:
            raise SetupError(f"unknown RequestType {request_type!r}")
        responder.send(SUCCESS, f"{resource_type} {request_type} done", data)
    except Exception as error:
        logger.exception("Custom resource failed", resource_type=resource_type, request_type=request_type)
        reason = str(error) if isinstance(error, SetupError) else f"{type(error).__name__}: {error}"
        responder.send(FAILED, reason)
    finally:
        timer.cancel()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    if SHARD_REQUEST in event:
        return run_shard(event[SHARD_REQUEST])
    handle_custom_resource(event, context)
    return None
