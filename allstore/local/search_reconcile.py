"""Bring a search index back in step with the table its stream indexes.

The index is fed by a DynamoDB stream through its indexing function. When the search server was
killed, writes it had acknowledged but not yet saved are gone; and moto keeps no stream across the
store's restarts. So on start, and after the search server comes back, the store compares the
table with the index and sends the indexing function — the same code path as the stream — an
INSERT for every item whose document is missing or differs and a REMOVE for every document whose
item is gone.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from allstore_common.search_client import DEFAULT_INDEX
from allstore_common.search_index import search_document
from boto3.dynamodb.types import TypeDeserializer

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION
from allstore.local.event_shapes import dynamodb_stream_record
from allstore.local.lambda_runtime import FunctionRuntime
from allstore.search.server import SIGNING_NAME

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
MAX_RESULT_WINDOW = 10_000  # OpenSearch's default index.max_result_window
BATCH_SIZE = 100
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Reconciled:
    items: int
    added_or_updated: int
    removed: int
    failed: int


def table_of_stream(stream_arn: str) -> str:
    """`arn:aws:dynamodb:…:table/<name>/stream/<label>` → `<name>`."""
    return stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def _post_json(url: str, body: dict[str, Any], credentials: StoreCredentials) -> dict[str, Any] | None:
    """POST a JSON body, signed as the functions sign; the answer, or None when the index does not exist."""
    data = json.dumps(body).encode()
    headers = credentials.sign("POST", url, {"Content-Type": "application/json"}, data, SIGNING_NAME, REGION)
    request = urllib.request.Request(  # noqa: S310 - the store's own loopback search server
        url, data=data, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def _hits(
    search_url: str, index: str, body: dict[str, Any], credentials: StoreCredentials
) -> list[dict[str, Any]]:
    answer = _post_json(f"{search_url.rstrip('/')}/{index}/_search", body, credentials)
    return answer["hits"]["hits"] if answer else []


def documents_by_id(
    search_url: str, index: str, ids: list[str], credentials: StoreCredentials
) -> dict[str, Any]:
    """The `_source` of each of `ids` that `index` holds."""
    documents: dict[str, Any] = {}
    for start in range(0, len(ids), PAGE_SIZE):
        chunk = ids[start : start + PAGE_SIZE]
        query = {"size": len(chunk), "query": {"ids": {"values": chunk}}}
        for hit in _hits(search_url, index, query, credentials):
            documents[hit["_id"]] = hit.get("_source")
    return documents


def other_ids(search_url: str, index: str, ids: list[str], credentials: StoreCredentials) -> list[str]:
    """Ids of the documents of `index` that are not among `ids` (up to the result window)."""
    query = {"bool": {"must": [{"match_all": {}}], "must_not": [{"ids": {"values": ids}}]}}
    found: list[str] = []
    while len(found) + PAGE_SIZE <= MAX_RESULT_WINDOW:
        hits = _hits(
            search_url,
            index,
            {"size": PAGE_SIZE, "from": len(found), "query": query, "_source": False},
            credentials,
        )
        found.extend(hit["_id"] for hit in hits)
        if len(hits) < PAGE_SIZE:
            break
    return found


def _record(
    event_name: str, keys: dict[str, Any], image: dict[str, Any] | None, number: int
) -> dict[str, Any]:
    stream_record: dict[str, Any] = {
        "Keys": keys,
        "SequenceNumber": f"reconcile-{number:09d}",
        "SizeBytes": len(json.dumps(image or keys)),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if image is not None:
        stream_record["NewImage"] = image
    return {"eventName": event_name, "dynamodb": stream_record}


def reconcile(
    runtime: FunctionRuntime,
    stream_arn: str,
    dynamodb: Any,
    search_url: str,
    credentials: StoreCredentials,
    index: str = DEFAULT_INDEX,
) -> Reconciled:
    """Make `index` hold exactly the items of the stream's table, through the indexing function."""
    table = table_of_stream(stream_arn)
    schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    key = next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")
    images = {
        str(_deserializer.deserialize(image[key])): image
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for image in page["Items"]
    }
    documents = documents_by_id(search_url, index, list(images), credentials)
    records: list[dict[str, Any]] = []
    for document_id, image in images.items():
        plain = {name: _deserializer.deserialize(value) for name, value in image.items()}
        if documents.get(document_id) != json.loads(json.dumps(search_document(plain))):
            records.append(_record("INSERT", {key: image[key]}, image, len(records)))
    changed = len(records)
    for document_id in other_ids(search_url, index, list(images), credentials):
        records.append(_record("REMOVE", {key: {"S": document_id}}, None, len(records)))
    failed = 0
    for start in range(0, len(records), BATCH_SIZE):
        batch = [dynamodb_stream_record(record, stream_arn) for record in records[start : start + BATCH_SIZE]]
        answer = runtime.invoke({"Records": batch})
        failed += len((answer or {}).get("batchItemFailures") or [])
    result = Reconciled(len(images), changed, len(records) - changed, failed)
    if records:
        log.warning(
            "search index %r reconciled with table %s: %d document(s) added or updated, %d removed%s",
            index,
            table,
            result.added_or_updated,
            result.removed,
            f", {failed} failed" if failed else "",
        )
    return result
