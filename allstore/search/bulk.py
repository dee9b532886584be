"""The `_bulk` API: NDJSON action/source pairs in, one result per action out, as OpenSearch answers.

A malformed action line fails the whole request (400), as in OpenSearch; a bad document or a
missing target fails only its own item and sets the response's `errors` flag.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from allstore.search.errors import SearchError, bad_request, unsupported
from allstore.search.index import NO_CONDITIONS, Conditions, SearchIndex, WriteResult
from allstore.search.source_filter import SourceFilter
from allstore.search.store import IndexStore

ACTIONS = ("index", "create", "update", "delete")
STATUS_BY_RESULT = {"created": 201, "updated": 200, "deleted": 200, "noop": 200, "not_found": 404}
# Optimistic-concurrency and external-versioning parameters, in URLs and bulk metadata.
CONDITIONAL_WRITE_PARAMETERS = frozenset({"if_seq_no", "if_primary_term", "version", "version_type"})


# Action metadata keys: honoured, or (retry_on_conflict: writes here never conflict mid-update)
# without effect; OpenSearch refuses any other key, as here.
METADATA_KEYS = (
    frozenset({"_index", "_id", "routing", "retry_on_conflict", "require_alias", "op_type", "_source"})
    | CONDITIONAL_WRITE_PARAMETERS
)


@dataclass
class BulkAction:
    action: str
    index: str
    id: str | None
    source_line: bytes | None = None
    routing: str | None = None
    require_alias: bool = False
    conditions: Conditions = NO_CONDITIONS
    metadata_source: Any = None  # an update's `_source` given in its metadata line
    _source: Any = field(default=None, init=False)

    def source(self) -> Any:
        """The action's document line, parsed on use so a bad line fails only this item."""
        if self._source is None and self.source_line is not None:
            try:
                self._source = json.loads(self.source_line)
            except ValueError as error:
                raise SearchError(400, "mapper_parsing_exception", f"failed to parse: {error}") from None
        return self._source


def parse_bulk(
    body: bytes, default_index: str | None, default_routing: str | None = None, require_alias: bool = False
) -> list[BulkAction]:
    """Parse a bulk body; raises a 400 SearchError for a malformed action line."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    actions: list[BulkAction] = []
    position = 0
    while position < len(lines):
        line_number = position + 1
        try:
            header = json.loads(lines[position])
        except ValueError:
            raise bad_request(
                f"Malformed action/metadata line [{line_number}], expected a JSON object"
            ) from None
        if not isinstance(header, dict) or len(header) != 1:
            raise bad_request(
                f"Malformed action/metadata line [{line_number}], expected one action name and its metadata"
            )
        ((action, metadata),) = header.items()
        if action == "index" and isinstance(metadata, dict) and metadata.get("op_type") == "create":
            action = "create"  # reported under `create`, as OpenSearch reports it
        if action not in ACTIONS:
            raise bad_request(
                f"Malformed action/metadata line [{line_number}], expected one of [create, delete, index, "
                f"update] but found [{action}]"
            )
        if not isinstance(metadata, dict):
            raise bad_request(f"Malformed action/metadata line [{line_number}], metadata must be an object")
        if "pipeline" in metadata:
            raise unsupported("ingest pipelines ([pipeline] in bulk metadata)")
        unknown = sorted(set(metadata) - METADATA_KEYS)
        if unknown:
            raise bad_request(
                f"Action/metadata line [{line_number}] contains an unknown parameter [{unknown[0]}]"
            )
        index = metadata.get("_index", default_index)
        if not index:
            raise SearchError(
                400, "action_request_validation_exception", "Validation Failed: 1: index is missing;"
            )
        doc_id = metadata.get("_id")
        position += 1
        source_line = None
        if action != "delete":
            if position >= len(lines):
                raise bad_request(
                    f"The bulk request has no document line for action [{action}] on line {line_number}"
                )
            source_line = lines[position]
            position += 1
        if doc_id is None and action in ("update", "delete"):
            raise SearchError(
                400,
                "action_request_validation_exception",
                f"Validation Failed: 1: id is missing for {action};",
            )
        routing = metadata.get("routing", default_routing)
        actions.append(
            BulkAction(
                action,
                str(index),
                None if doc_id is None else str(doc_id),
                source_line,
                None if routing is None else str(routing),
                metadata.get("require_alias", require_alias) in (True, "true"),
                Conditions.parse(
                    metadata, external_allowed=action != "update"
                ),  # a bad one fails the request
                metadata.get("_source"),
            )
        )
    if not actions:
        raise SearchError(
            400, "action_request_validation_exception", "Validation Failed: 1: no requests added;"
        )
    return actions


def execute_bulk(
    store: IndexStore,
    actions: list[BulkAction],
    forced_refresh: bool = False,
    source: SourceFilter | None = None,
) -> tuple[dict[str, Any], set[str]]:
    """Apply `actions` in order; returns the response body and the names of the indices written.
    `source` is the request's `_source` for update items."""
    started = time.perf_counter()
    _map_new_fields(store, actions)
    items: list[dict[str, Any]] = []
    touched: set[str] = set()
    for action in actions:
        try:
            written, result = _apply(store, action)
            get = None
            if action.action == "update":
                get = updated_source(
                    written,
                    action.id or "",
                    update_source_filter(action.source(), action.metadata_source, source),
                )
        except SearchError as error:
            failure = {"type": error.error_type, "reason": error.reason, **error.details}
            items.append(
                {
                    action.action: {
                        "_index": action.index,
                        "_id": action.id,
                        "status": error.status,
                        "error": failure,
                    }
                }
            )
            continue
        touched.add(written.name)
        status = STATUS_BY_RESULT[result.result]
        items.append(
            {action.action: {**write_response(written, result, forced_refresh, get), "status": status}}
        )
    errors = any("error" in next(iter(item.values())) for item in items)
    took = int((time.perf_counter() - started) * 1000)
    return {"took": took, "errors": errors, "items": items}, touched


def write_response(
    index: SearchIndex, result: WriteResult, forced_refresh: bool = False, get: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The body OpenSearch returns for one document write: `forced_refresh` after `refresh=true`,
    `_shards` counting the primary and the index's replicas (one node: only the primary succeeds),
    `get` for an update that asked for its `_source`."""
    body: dict[str, Any] = {
        "_index": index.name,
        "_id": result.id,
        "_version": result.version,
        "result": result.result,
    }
    if forced_refresh:
        body["forced_refresh"] = True
    body["_shards"] = {"total": index.shard_copies, "successful": 1, "failed": 0}
    body.update({"_seq_no": result.seq_no, "_primary_term": 1})
    if get is not None:
        body["get"] = get
    return body


def updated_source(
    index: SearchIndex, doc_id: str, source_filter: SourceFilter | None
) -> dict[str, Any] | None:
    """An update response's `get`: the document as written, filtered as the request's `_source` asks."""
    if source_filter is None:
        return None
    doc = index.get(doc_id)
    if doc is None:
        return None
    get: dict[str, Any] = {"_seq_no": doc.seq_no, "_primary_term": 1, "found": True}
    source = source_filter.apply(doc.source)
    if source is not None:
        get["_source"] = source
    return get


def update_source_filter(
    body: Any, metadata_source: Any = None, url: SourceFilter | None = None
) -> SourceFilter | None:
    """The `_source` an update asks back (body, bulk metadata, or URL), None when it asks nothing."""
    spec = body.get("_source") if isinstance(body, dict) and "_source" in body else metadata_source
    if spec is None:
        return url
    if spec is False or spec == "false":
        return None
    return SourceFilter.parse(spec)


def _map_new_fields(store: IndexStore, actions: list[BulkAction]) -> None:
    """Extend each target index's mapping for all new documents at once: one rebuild, not one per field."""
    sources_by_index: dict[str, list[Any]] = {}
    require_alias: set[str] = set()
    for action in actions:
        if action.action in ("index", "create"):
            try:
                sources_by_index.setdefault(action.index, []).append(action.source())
                if action.require_alias:
                    require_alias.add(action.index)
            except SearchError:
                continue
    for name, sources in sources_by_index.items():
        try:
            store.write_target(name, name in require_alias)[0].extend_mapping(sources)
        except SearchError:
            continue  # e.g. an invalid index name: each item reports it when applied


def _apply(store: IndexStore, action: BulkAction) -> tuple[SearchIndex, WriteResult]:
    """Apply one action; returns the concrete index it wrote (an alias names its write index)."""
    if action.action in ("index", "create"):
        index, alias_routing = store.write_target(action.index, action.require_alias)
        routing = action.routing if action.routing is not None else alias_routing
        return index, index.index(
            action.id,
            action.source(),
            create_only=action.action == "create",
            routing=routing,
            conditions=action.conditions,
        )
    if action.action == "delete":  # a delete does not create the index; an update does, as in OpenSearch
        index = store.single(action.index)
        return index, index.delete(action.id, action.conditions)
    index, alias_routing = store.write_target(action.index, action.require_alias)
    routing = action.routing if action.routing is not None else alias_routing
    return index, update_from_body(index, action.id, action.source(), routing, action.conditions)


def update_from_body(
    index: SearchIndex,
    doc_id: str,
    body: Any,
    routing: str | None = None,
    conditions: Conditions = NO_CONDITIONS,
) -> WriteResult:
    """A partial update from an update request body: `doc`, `upsert`, `doc_as_upsert`."""
    if not isinstance(body, dict) or ("doc" not in body and "upsert" not in body):
        if isinstance(body, dict) and "script" in body:
            raise unsupported("scripted update")
        raise bad_request("Validation Failed: 1: script or doc is missing;")
    unknown = sorted(set(body) - {"doc", "upsert", "doc_as_upsert", "detect_noop", "_source"})
    if unknown:
        raise unsupported(f"update option [{unknown[0]}]")
    return index.update(
        doc_id,
        body.get("doc", {}),
        upsert=body.get("upsert"),
        doc_as_upsert=bool(body.get("doc_as_upsert")),
        routing=routing,
        detect_noop=body.get("detect_noop", True) not in (False, "false"),
        conditions=conditions,
    )
