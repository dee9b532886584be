"""The OpenSearch REST endpoints this server answers: routing, parameters and response shapes.

Transport-free: `SearchApi.handle(method, path, query_string, body)` returns `(status, body)`, so
the HTTP layer (server.py) only moves bytes.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from allstore.search.bulk import (
    execute_bulk,
    parse_bulk,
    update_from_body,
    update_source_filter,
    updated_source,
    write_response,
)
from allstore.search.errors import (
    SearchError,
    bad_request,
    parsing_error,
    search_phase_failure,
    unsupported,
)
from allstore.search.index import Conditions, FieldSort, SearchIndex, StoredDoc
from allstore.search.mapping import flatten
from allstore.search.settings import DEFAULT_REPLICAS, nested
from allstore.search.source_filter import SourceFilter
from allstore.search.store import IndexStore, Target

OPENSEARCH_VERSION = "2.11.0"
LUCENE_VERSION = "9.7.0"
CLUSTER_NAME = "allstore-local"
DEFAULT_SIZE = 10
SEARCH_KEYS = frozenset(
    {
        "query",
        "size",
        "from",
        "_source",
        "track_total_hits",
        "timeout",
        "sort",
        "version",
        "seq_no_primary_term",
        "stored_fields",
    }
)
UNSUPPORTED_SEARCH_KEYS = frozenset(
    {
        "aggs",
        "aggregations",
        "highlight",
        "suggest",
        "collapse",
        "search_after",
        "rescore",
        "post_filter",
        "script_fields",
        "docvalue_fields",
        "fields",
        "indices_boost",
        "pit",
        "slice",
        "min_score",
        "explain",
        "profile",
        "knn",
    }
)
COUNT_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}

# URL parameters each endpoint takes. Those in HONOURED_* change what this server does; NO_EFFECT
# ones cannot change a single-node, single-shard answer (timeouts, shard preferences, caches).
# A parameter OpenSearch has that this server does not implement is refused by name (REFUSED); any
# other is OpenSearch's own "unrecognized parameter" error, so no parameter is ever silently ignored.
NO_EFFECT = frozenset(
    {
        "pretty",
        "human",
        "error_trace",
        "timeout",
        "master_timeout",
        "cluster_manager_timeout",
        "wait_for_active_shards",
    }
)
TARGETS = frozenset({"allow_no_indices", "ignore_unavailable", "expand_wildcards", "ignore_throttled"})
SOURCE = frozenset({"_source", "_source_includes", "_source_excludes"})
WRITE = frozenset(
    {"refresh", "routing", "version", "version_type", "if_seq_no", "if_primary_term", "require_alias"}
)
SEARCH_PARAMS = (
    SOURCE
    | TARGETS
    | {
        "size",
        "from",
        "version",
        "seq_no_primary_term",
        "track_total_hits",
        "rest_total_hits_as_int",
        "routing",
    }
    | {"typed_keys", "search_type", "request_cache", "preference", "allow_partial_search_results"}
    | {
        "batched_reduce_size",
        "max_concurrent_shard_requests",
        "pre_filter_shard_size",
        "ccs_minimize_roundtrips",
    }
    | {"cancel_after_time_interval", "phase_took", "stored_fields"}
)
PARAMETERS: dict[str, frozenset[str]] = {
    "info": frozenset(),
    "ping": frozenset(),
    "health": frozenset(
        {
            "level",
            "local",
            "wait_for_status",
            "wait_for_nodes",
            "wait_for_events",
            "wait_for_no_relocating_shards",
        }
        | {"wait_for_no_initializing_shards", "awareness_attribute", "index"}
    )
    | TARGETS,
    "refresh": TARGETS,
    "index_exists": TARGETS | {"local", "flat_settings", "include_defaults"},
    "get_index": TARGETS | {"local", "flat_settings", "include_defaults"},
    "create_index": frozenset(),
    "delete_index": TARGETS,
    "get_mapping": TARGETS | {"local"},
    "update_aliases": frozenset(),
    "put_alias": frozenset(),
    "delete_alias": frozenset(),
    "get_aliases": TARGETS | {"local"},
    "put_mapping": TARGETS | {"write_index_only"},
    "index_doc": WRITE | {"op_type"},
    "create_doc": WRITE,
    "get_doc": SOURCE
    | {"realtime", "refresh", "routing", "preference", "version", "version_type", "stored_fields"},
    "delete_doc": WRITE - {"require_alias"},
    "update_doc": SOURCE | WRITE - {"version", "version_type"} | {"retry_on_conflict"},
    "bulk": SOURCE | {"refresh", "routing", "require_alias"},
    "search": SEARCH_PARAMS,
    "count": TARGETS | {"routing", "preference"},
}
REFUSED = {
    "q": "the [q] URL parameter (query_string)",
    "df": "the [df] URL parameter (query_string)",
    "analyzer": "the [analyzer] URL parameter (query_string)",
    "analyze_wildcard": "the [analyze_wildcard] URL parameter (query_string)",
    "default_operator": "the [default_operator] URL parameter (query_string)",
    "lenient": "the [lenient] URL parameter (query_string)",
    "sort": "the [sort] URL parameter (sort in the body)",
    "scroll": "scrolling ([scroll])",
    "docvalue_fields": "[docvalue_fields]",
    "explain": "[explain]",
    "terminate_after": "[terminate_after]",
    "track_scores": "[track_scores]",
    "min_score": "[min_score]",
    "pipeline": "ingest pipelines ([pipeline])",
    "search_pipeline": "search pipelines ([search_pipeline])",
    "filter_path": "response filtering ([filter_path])",
    "suggest_field": "suggesters ([suggest_field])",
    "include_named_queries_score": "[include_named_queries_score]",
    "stats": "[stats] groups",
}

Body = dict[str, Any] | None


@dataclass
class Request:
    """One REST request as the handlers see it: method, path, query parameters and raw body."""

    method: str
    path: str
    params: dict[str, str]
    body: bytes
    args: dict[str, str]

    def json(self) -> Any:
        """The body as JSON (None when empty); a 400 parsing_exception when it is not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise parsing_error(f"request body is not valid JSON: {error}") from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise parsing_error("request body must be a JSON object")
        return body

    def flag(self, name: str) -> bool:
        """A boolean URL parameter; present without a value means true, as in OpenSearch."""
        value = self.params.get(name)
        if value is None:
            return False
        if value in ("", "true"):
            return True
        if value == "false":
            return False
        raise bad_request(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")

    def int_param(self, name: str, default: int) -> int:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Failed to parse int parameter [{name}] with value [{value}]") from None


Handler = Callable[[Request], tuple[int, Body]]


class SearchApi:
    """Routes requests to handlers over one IndexStore."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.closed = False
        self.cluster_uuid = uuid.uuid5(uuid.NAMESPACE_URL, str(store.data_dir)).hex[:22]
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        self._route("/", GET=self.info, HEAD=self.ping)
        self._route("/_cluster/health", GET=self.health)
        self._route("/_cluster/health/{index}", GET=self.health)
        self._route("/_bulk", POST=self.bulk, PUT=self.bulk)
        self._route("/_refresh", POST=self.refresh, GET=self.refresh)
        self._route("/_search", GET=self.search, POST=self.search)
        self._route("/_count", GET=self.count, POST=self.count)
        self._route("/_mapping", GET=self.get_mapping)
        self._route("/_aliases", POST=self.update_aliases)
        self._route("/_alias", GET=self.get_aliases)
        self._route("/_alias/{name}", GET=self.get_aliases, HEAD=self.get_aliases)
        self._route("/{index}/_alias", GET=self.get_aliases)
        for path in ("/{index}/_alias/{name}", "/{index}/_aliases/{name}"):
            self._route(
                path,
                GET=self.get_aliases,
                HEAD=self.get_aliases,
                PUT=self.put_alias,
                POST=self.put_alias,
                DELETE=self.delete_alias,
            )
        self._route(
            "/{index}",
            HEAD=self.index_exists,
            GET=self.get_index,
            PUT=self.create_index,
            DELETE=self.delete_index,
        )
        self._route("/{index}/_bulk", POST=self.bulk, PUT=self.bulk)
        self._route("/{index}/_refresh", POST=self.refresh, GET=self.refresh)
        self._route("/{index}/_mapping", GET=self.get_mapping, PUT=self.put_mapping, POST=self.put_mapping)
        self._route("/{index}/_doc", POST=self.index_doc)
        self._route(
            "/{index}/_doc/{id}",
            PUT=self.index_doc,
            POST=self.index_doc,
            GET=self.get_doc,
            HEAD=self.get_doc,
            DELETE=self.delete_doc,
        )
        self._route("/{index}/_create/{id}", PUT=self.create_doc, POST=self.create_doc)
        self._route("/{index}/_update/{id}", POST=self.update_doc)
        self._route("/{index}/_search", GET=self.search, POST=self.search)
        self._route("/{index}/_count", GET=self.count, POST=self.count)

    def _route(self, template: str, **handlers: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/") or "/")
        self._routes.append((re.compile(f"^{pattern}$"), handlers))

    def handle(self, method: str, path: str, query_string: str, body: bytes) -> tuple[int, Body]:
        """Answer one request; every failure becomes an OpenSearch error body with its status."""
        path = path.rstrip("/") or "/"
        params = {key: values[-1] for key, values in parse_qs(query_string, keep_blank_values=True).items()}
        if self.closed:
            return 503, SearchError(503, "node_closed_exception", "the search server is shutting down").body()
        try:
            for pattern, handlers in self._routes:
                match = pattern.match(path)
                if match is None:
                    continue
                handler = handlers.get(method)
                if handler is None:
                    allowed = ", ".join(sorted(handlers))
                    raise SearchError(
                        405,
                        "method_not_allowed",
                        f"Incorrect HTTP method for uri [{path}] and method [{method}], allowed: [{allowed}]",
                    )
                _check_parameters(path, handler.__name__, params)
                args = {key: unquote(value) for key, value in match.groupdict().items()}
                return handler(Request(method, path, params, body, args))
            raise bad_request(f"no handler found for uri [{path}] and method [{method}]")
        except SearchError as error:
            return error.status, error.body()

    # --- cluster -----------------------------------------------------------------------------------

    def ping(self, _request: Request) -> tuple[int, Body]:
        return 200, None

    def info(self, _request: Request) -> tuple[int, Body]:
        return 200, {
            "name": CLUSTER_NAME,
            "cluster_name": CLUSTER_NAME,
            "cluster_uuid": self.cluster_uuid,
            "version": {
                "distribution": "opensearch",
                "number": OPENSEARCH_VERSION,
                "build_type": "tar",
                "build_hash": "allstore-local",
                "build_date": "2023-10-13T02:55:55.511945994Z",
                "build_snapshot": False,
                "lucene_version": LUCENE_VERSION,
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "The OpenSearch Project: https://opensearch.org/",
        }

    def health(self, request: Request) -> tuple[int, Body]:
        if "index" in request.args:
            self.store.get(request.args["index"])
        shards = len(self.store.names())
        return 200, {
            "cluster_name": CLUSTER_NAME,
            "status": "green",
            "timed_out": False,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "discovered_master": True,
            "discovered_cluster_manager": True,
            "active_primary_shards": shards,
            "active_shards": shards,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": 0,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0,
        }

    def refresh(self, request: Request) -> tuple[int, Body]:
        indices = self.targets(request)
        for index in indices:
            index.refresh()
        copies = sum(index.shard_copies for index in indices)
        return 200, {"_shards": {"total": copies, "successful": len(indices), "failed": 0}}

    # --- indices -----------------------------------------------------------------------------------

    def index_exists(self, request: Request) -> tuple[int, Body]:
        try:
            self.targets(request)
        except SearchError:
            return 404, None
        return 200, None

    def get_index(self, request: Request) -> tuple[int, Body]:
        return 200, {index.name: self._index_body(index) for index in self.targets(request)}

    def _index_body(self, index: SearchIndex) -> dict[str, Any]:
        settings = {
            "creation_date": str(index.created_ms),
            "number_of_shards": "1",
            "number_of_replicas": str(DEFAULT_REPLICAS),
            "uuid": index.uuid,
            "version": {"created": "136327827"},
            "provided_name": index.name,
            **nested(index.settings),
        }
        return {
            "aliases": _alias_bodies(index),
            "mappings": _mapping_body(index),
            "settings": {"index": settings},
        }

    def create_index(self, request: Request) -> tuple[int, Body]:
        index = self.store.create(request.args["index"], request.json())
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index.name}

    def delete_index(self, request: Request) -> tuple[int, Body]:
        aliases = self.store.aliases()
        for part in request.args["index"].split(","):
            if part in aliases:
                raise bad_request(
                    f"The provided expression [{part}] matches an alias, specify the corresponding concrete indices instead."
                )
        for index in self.targets(request, include_aliases=False):  # wildcards match indices only
            self.store.delete(index.name)
        return 200, {"acknowledged": True}

    def get_mapping(self, request: Request) -> tuple[int, Body]:
        return 200, {index.name: {"mappings": _mapping_body(index)} for index in self.targets(request)}

    def put_mapping(self, request: Request) -> tuple[int, Body]:
        indices = self.targets(request)
        body = request.json_object()
        for index in indices:  # all checked before any changes, as one request
            index.mapping.merged(body)
        for index in indices:
            index.put_mapping(body)
        return 200, {"acknowledged": True}

    # --- aliases -----------------------------------------------------------------------------------

    def update_aliases(self, request: Request) -> tuple[int, Body]:
        self._validate_alias_filters(request.json_object().get("actions"))
        self.store.update_aliases(request.json_object().get("actions"))
        return 200, {"acknowledged": True}

    def put_alias(self, request: Request) -> tuple[int, Body]:
        action = {
            "add": {
                "index": request.args["index"].split(","),
                "alias": request.args["name"],
                **request.json_object(),
            }
        }
        self._validate_alias_filters([action])
        self.store.update_aliases([action])
        return 200, {"acknowledged": True}

    def delete_alias(self, request: Request) -> tuple[int, Body]:
        action = {
            "remove": {"index": request.args["index"].split(","), "aliases": request.args["name"].split(",")}
        }
        self.store.update_aliases([action])
        return 200, {"acknowledged": True}

    def get_aliases(self, request: Request) -> tuple[int, Body]:
        names = request.args.get("name")
        indices = (
            self.targets(request)
            if "index" in request.args
            else [self.store.get(n) for n in self.store.names()]
        )
        found = {index.name: {"aliases": _alias_bodies(index, names)} for index in indices}
        if names is not None:
            found = {name: body for name, body in found.items() if body["aliases"]}
            known = {alias for body in found.values() for alias in body["aliases"]}
            missing = [n for n in names.split(",") if "*" not in n and n not in known]
            if missing or not found:
                if request.method == "HEAD":
                    return 404, None
                return 404, {
                    "error": f"alias [{','.join(missing or names.split(','))}] missing",
                    "status": 404,
                    **found,
                }
        return (200, None) if request.method == "HEAD" else (200, found)

    def _validate_alias_filters(self, actions: Any) -> None:
        """An alias filter must be a query each of its indices can run."""
        for entry in actions or []:
            spec = entry.get("add") if isinstance(entry, dict) else None
            if not isinstance(spec, dict) or spec.get("filter") is None:
                continue
            patterns = spec.get("indices", spec.get("index"))
            for index in self.store.resolve(
                ",".join([patterns] if isinstance(patterns, str) else patterns or [])
            ):
                try:
                    index.count(spec["filter"])
                except SearchError as error:
                    raise bad_request(
                        f"failed to parse filter for alias [{spec.get('alias', spec.get('aliases'))}]: {error.reason}"
                    ) from None

    # --- documents ---------------------------------------------------------------------------------

    def index_doc(self, request: Request) -> tuple[int, Body]:
        op_type = request.params.get("op_type", "index")
        if op_type not in ("index", "create"):
            raise bad_request(f"opType must be 'create' or 'index', found: [{op_type}]")
        return self._write_doc(request, create_only=op_type == "create")

    def create_doc(self, request: Request) -> tuple[int, Body]:
        return self._write_doc(request, create_only=True)

    def _write_doc(self, request: Request, create_only: bool) -> tuple[int, Body]:
        index, alias_routing = self.store.write_target(request.args["index"], request.flag("require_alias"))
        result = index.index(
            request.args.get("id"),
            request.json(),
            create_only=create_only,
            routing=request.params.get("routing", alias_routing),
            conditions=Conditions.parse(request.params),
        )
        forced = self._maybe_refresh(request, index)
        return (201 if result.result == "created" else 200), write_response(index, result, forced)

    def get_doc(self, request: Request) -> tuple[int, Body]:
        index = self.store.single(request.args["index"])
        if request.flag("refresh"):
            index.refresh()
        realtime = request.params.get("realtime") is None or request.flag("realtime")
        doc = index.get(request.args["id"], realtime=realtime)
        if request.method == "HEAD":
            return (200 if doc else 404), None
        if doc is None:
            return 404, {"_index": index.name, "_id": request.args["id"], "found": False}
        wanted = request.params.get("version")
        if wanted is not None and str(doc.version) != wanted:
            raise SearchError(
                409,
                "version_conflict_engine_exception",
                f"[{doc.id}]: version conflict, current version [{doc.version}] is different than the one "
                f"provided [{wanted}]",
                index=index.name,
                shard="0",
                index_uuid=index.uuid,
            )
        source_filter = SourceFilter.parse(
            request.params.get("_source"),
            request.params.get("_source_includes"),
            request.params.get("_source_excludes"),
        )
        body: dict[str, Any] = {
            "_index": index.name,
            "_id": doc.id,
            "_version": doc.version,
            "_seq_no": doc.seq_no,
            "_primary_term": 1,
        }
        if doc.routing is not None:
            body["_routing"] = doc.routing
        body["found"] = True
        stored = _stored_fields(request.params.get("stored_fields"))
        if stored is not None and request.params.get("_source") is None:
            source_filter = SourceFilter(enabled=False)  # stored_fields alone: no _source, as OpenSearch
        source = _kept_source(index, doc.source, source_filter)
        if source is not None:
            body["_source"] = source
        if stored:
            body.update(_fields_of(index, doc.source, stored))
        return 200, body

    def delete_doc(self, request: Request) -> tuple[int, Body]:
        index = self.store.single(request.args["index"])
        result = index.delete(request.args["id"], Conditions.parse(request.params))
        forced = self._maybe_refresh(request, index)
        return (404 if result.result == "not_found" else 200), write_response(index, result, forced)

    def update_doc(self, request: Request) -> tuple[int, Body]:
        # a missing index is created even without an upsert, as OpenSearch creates it
        index, alias_routing = self.store.write_target(request.args["index"], request.flag("require_alias"))
        body = request.json_object()
        result = update_from_body(
            index,
            request.args["id"],
            body,
            request.params.get("routing", alias_routing),
            Conditions.parse(request.params, external_allowed=False),
        )
        forced = self._maybe_refresh(request, index)
        get = updated_source(
            index, request.args["id"], update_source_filter(body, url=self._url_source(request))
        )
        return (201 if result.result == "created" else 200), write_response(index, result, forced, get)

    @staticmethod
    def _url_source(request: Request) -> SourceFilter | None:
        """The `_source` URL parameters of an update or bulk request, None when absent."""
        if not any(name in request.params for name in ("_source", "_source_includes", "_source_excludes")):
            return None
        if request.params.get("_source") == "false":
            return None
        return SourceFilter.parse(
            request.params.get("_source"),
            request.params.get("_source_includes"),
            request.params.get("_source_excludes"),
        )

    def bulk(self, request: Request) -> tuple[int, Body]:
        actions = parse_bulk(
            request.body,
            request.args.get("index"),
            request.params.get("routing"),
            request.flag("require_alias"),
        )
        response, touched = execute_bulk(
            self.store, actions, _forces_refresh(request), self._url_source(request)
        )
        if _wants_refresh(request):
            for name in touched:
                if self.store.exists(name):
                    self.store.get(name).refresh()
        return 200, response

    def _maybe_refresh(self, request: Request, index: SearchIndex) -> bool:
        """Refresh when asked; True when `refresh=true` forced it (OpenSearch's `forced_refresh`)."""
        if _wants_refresh(request):
            index.refresh()
        return _forces_refresh(request)

    # --- search ------------------------------------------------------------------------------------

    def targets(self, request: Request, include_aliases: bool = True) -> list[SearchIndex]:
        return [target.index for target in self.filtered_targets(request, include_aliases)]

    def filtered_targets(self, request: Request, include_aliases: bool = True) -> list[Target]:
        """The indices the request's path names (`a,b`, `products-*`, an alias, `_all`, none: all),
        with its `allow_no_indices`, `ignore_unavailable` and `expand_wildcards`."""
        allow = request.params.get("allow_no_indices")
        return self.store.targets(
            request.args.get("index", "_all"),
            allow_no_indices=allow is None or request.flag("allow_no_indices"),
            ignore_unavailable=request.flag("ignore_unavailable"),
            expand_wildcards=request.params.get("expand_wildcards", "open"),
            include_aliases=include_aliases,
        )

    def search(self, request: Request) -> tuple[int, Body]:
        started = time.perf_counter()
        targets = self.filtered_targets(request)
        indices = [target.index for target in targets]
        body = request.json_object()
        for key in body:
            if key in UNSUPPORTED_SEARCH_KEYS:
                raise unsupported(f"search option [{key}]")
            if key not in SEARCH_KEYS:
                raise parsing_error(f"Unknown key for a START_OBJECT in [{key}].")
        sort = parse_sort(body.get("sort"))
        size = _non_negative("size", body.get("size", request.int_param("size", DEFAULT_SIZE)))
        offset = _non_negative("from", body.get("from", request.int_param("from", 0)))
        source_filter = SourceFilter.parse(
            body.get("_source", request.params.get("_source")),
            request.params.get("_source_includes"),
            request.params.get("_source_excludes"),
        )
        stored = _stored_fields(body.get("stored_fields", request.params.get("stored_fields")))
        if stored is not None and "_source" not in body and "_source" not in request.params:
            source_filter = SourceFilter(enabled=False)  # stored_fields alone: no _source, as OpenSearch
        total = 0
        merged: list[tuple[Any, int, SearchIndex, StoredDoc]] = []
        failures: list[tuple[SearchIndex, SearchError]] = []
        for position, target in enumerate(targets):  # one shard per index: each searched, then merged
            index = target.index
            try:
                if size + offset > index.max_result_window:
                    raise bad_request(
                        f"Result window is too large, from + size must be less than or equal to: "
                        f"[{index.max_result_window}] but was [{size + offset}]. See the scroll api for a more "
                        "efficient way to request large data sets. This limit can be set by changing the "
                        "[index.max_result_window] index level setting."
                    ).from_shard()
                found_total, hits = index.search(_filtered(body.get("query"), target), size + offset, 0, sort)
            except SearchError as error:
                if not error.in_shard:
                    raise
                failures.append((index, error))
                continue
            total += found_total
            merged.extend((value, position, index, doc) for value, doc in hits)
        if failures and len(failures) == len(indices):
            raise search_phase_failure(failures[0][0].name, failures[0][1])
        merged.sort(key=_merge_key(sort))
        page = merged[offset : offset + size]
        with_version = bool(body.get("version")) or request.flag("version")
        with_seq_no = bool(body.get("seq_no_primary_term")) or request.flag("seq_no_primary_term")
        formatted = []
        for value, _position, index, doc in page:
            hit: dict[str, Any] = {"_index": index.name, "_id": doc.id, "_score": None if sort else value}
            if sort:
                hit["sort"] = [value]
            if with_version:
                hit["_version"] = doc.version
            if with_seq_no:
                hit.update({"_seq_no": doc.seq_no, "_primary_term": 1})
            if doc.routing is not None:
                hit["_routing"] = doc.routing
            source = _kept_source(index, doc.source, source_filter)
            if source is not None:
                hit["_source"] = source
            if stored:
                hit.update(_fields_of(index, doc.source, stored))
            formatted.append(hit)
        scores = [value for value, _position, _index, _doc in merged]
        max_score = None if sort else max(scores, default=0.0 if not indices else None)
        found: dict[str, Any] = {"max_score": max_score, "hits": formatted}
        tracked = _total_hits(
            total, body.get("track_total_hits", request.params.get("track_total_hits", True))
        )
        if request.flag("rest_total_hits_as_int"):
            found = {"total": -1 if tracked is None else tracked["value"], **found}
        elif tracked is not None:
            found = {"total": tracked, **found}
        return 200, {
            "took": int((time.perf_counter() - started) * 1000),
            "timed_out": False,
            "_shards": _search_shards(len(indices), failures),
            "hits": found,
        }

    def count(self, request: Request) -> tuple[int, Body]:
        targets = self.filtered_targets(request)
        indices = [target.index for target in targets]
        body = request.json_object()
        unknown = sorted(set(body) - {"query"})
        if unknown:
            raise parsing_error(f"request does not support [{unknown[0]}]")
        total = 0
        failures: list[tuple[SearchIndex, SearchError]] = []
        for target in targets:
            index = target.index
            try:
                total += index.count(_filtered(body.get("query"), target))
            except SearchError as error:
                if not error.in_shard:
                    raise
                failures.append((index, error))
        if failures and len(failures) == len(indices):
            raise search_phase_failure(failures[0][0].name, failures[0][1])
        return 200, {"count": total, "_shards": _search_shards(len(indices), failures)}


def _filtered(query: Any, target: Target) -> Any:
    """The query as it runs on an index reached through filtered aliases (any of their filters)."""
    if target.filters is None:
        return query
    return {
        "bool": {"must": [query or {"match_all": {}}], "filter": [{"bool": {"should": list(target.filters)}}]}
    }


def _merge_key(sort: FieldSort | None) -> Callable[[tuple[Any, int, SearchIndex, StoredDoc]], Any]:
    """Order of hits from several indices: by score (or sort value, missing values last), then by
    index, then as each index ordered them."""
    if sort is None:
        return lambda hit: -hit[0]
    if sort.descending:
        return lambda hit: (hit[0] is None, -hit[0] if hit[0] is not None else 0, hit[1])
    return lambda hit: (hit[0] is None, hit[0] if hit[0] is not None else 0, hit[1])


def _search_shards(indices: int, failures: list[tuple[SearchIndex, SearchError]]) -> dict[str, Any]:
    shards: dict[str, Any] = {"total": indices, "successful": indices - len(failures), "skipped": 0}
    shards["failed"] = len(failures)
    if failures:
        shards["failures"] = [
            {"shard": 0, "index": index.name, "node": "allstore-local", "reason": error.cause()}
            for index, error in failures
        ]
    return shards


def _kept_source(index: SearchIndex, source: dict[str, Any], requested: SourceFilter) -> Any:
    """What of `source` a hit or get returns: the mapping's `_source` keeps (OpenSearch stores only
    that), then the request's filter."""
    kept = index.mapping.source_filter
    if kept.get("enabled") in (False, "false"):
        return None
    if kept.get("includes") or kept.get("excludes"):
        source = SourceFilter.parse(
            {key: kept[key] for key in ("includes", "excludes") if key in kept}
        ).apply(source)
    return requested.apply(source)


def _stored_fields(value: Any) -> list[str] | None:
    """The `stored_fields` asked for (a list, or comma-separated), None when not asked."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or "_none_" in names:
        raise unsupported(f"[stored_fields] {json.dumps(value)}")
    return [name for name in names if name]


def _fields_of(index: SearchIndex, source: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """`fields` for the named stored fields (those mapped with `store: true`), from the source."""
    values = flatten(source)
    fields = {}
    for name in names:
        spec = index.mapping.field(name)
        if spec is not None and spec.params.get("store") in (True, "true") and values.get(spec.source_path):
            fields[name] = [value for value in values[spec.source_path] if value is not None]
    return {"fields": fields} if fields else {}


def _total_hits(total: int, track: Any) -> dict[str, Any] | None:
    """`hits.total` as `track_total_hits` asks: exact (true), counted up to N (an integer; beyond
    it `relation: gte`), or left out (false)."""
    if isinstance(track, str):
        track = {"true": True, "false": False}.get(track, track)
    if track is True:
        return {"value": total, "relation": "eq"}
    if track is False:
        return None
    limit = _non_negative("track_total_hits", track)
    return {"value": total, "relation": "eq"} if total <= limit else {"value": limit, "relation": "gte"}


def _check_parameters(path: str, handler: str, params: dict[str, str]) -> None:
    """Refuse a URL parameter the endpoint does not honour: by name when OpenSearch has it, else
    with OpenSearch's own error for an unknown one."""
    for name in sorted(set(params) - PARAMETERS[handler] - NO_EFFECT):
        if name in REFUSED:
            raise unsupported(REFUSED[name])
        raise bad_request(f"request [{path}] contains unrecognized parameter: [{name}]")


def _forces_refresh(request: Request) -> bool:
    return request.params.get("refresh") in ("", "true")


def _wants_refresh(request: Request) -> bool:
    """`refresh=true` and `refresh=wait_for` both mean "searchable when the response arrives"."""
    value = request.params.get("refresh")
    if value is None or value == "false":
        return False
    if value in ("", "true", "wait_for"):
        return True
    raise bad_request(f"Unknown value for refresh: [{value}].")


def _non_negative(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise parsing_error(f"[{name}] must be an integer, got [{value}]") from None
    if number < 0:
        raise bad_request(f"[{name}] parameter cannot be negative, found [{number}]")
    return number


def parse_sort(sort: Any) -> FieldSort | None:
    """A search's `sort`: None for relevance order, else one field and its direction.

    Accepted: `"_score"`, `"price"`, `{"price": "desc"}`, `{"price": {"order": "desc"}}`, or a list
    of one such entry (a trailing `_score` tie-break is allowed). Anything else is refused.
    """
    if sort is None:
        return None
    entries = sort if isinstance(sort, list) else [sort]
    keys = [_sort_entry(entry) for entry in entries]
    if keys and keys[-1] == ("_score", True) and len(keys) > 1:
        keys.pop()
    if len(keys) != 1:
        raise unsupported(f"sort {json.dumps(sort)} (one field, or relevance, is implemented)")
    field, descending = keys[0]
    if field == "_score":
        if not descending:
            raise unsupported("sort by _score ascending")
        return None
    return FieldSort(field, descending)


def _sort_entry(entry: Any) -> tuple[str, bool]:
    """(field, descending) for one sort entry; fields sort ascending and `_score` descending by default."""
    if isinstance(entry, str):
        return entry, entry == "_score"
    if isinstance(entry, dict) and len(entry) == 1:
        ((field, spec),) = entry.items()
        order = spec.get("order") if isinstance(spec, dict) else spec
        if isinstance(spec, dict) and set(spec) - {"order"}:
            raise unsupported(f"sort options {sorted(set(spec) - {'order'})}")
        if order is None:
            return field, field == "_score"
        if order in ("asc", "desc"):
            return field, order == "desc"
    raise parsing_error(f"malformed sort entry {json.dumps(entry)}")


def _alias_bodies(index: SearchIndex, names: str | None = None) -> dict[str, Any]:
    """The index's aliases (those matching `names`, comma-separated patterns) as OpenSearch shows them."""
    patterns = names.split(",") if names else ["*"]
    return {
        alias: spec
        for alias, spec in sorted(index.aliases.items())
        if any(fnmatch.fnmatchcase(alias, pattern) for pattern in patterns)
    }


def _mapping_body(index: SearchIndex) -> dict[str, Any]:
    mapping = index.mapping.to_json()
    if not mapping.get("properties"):
        mapping.pop("properties", None)
    return mapping
