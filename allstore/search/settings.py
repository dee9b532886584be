"""Index settings: those this server applies, those that cannot change an answer here, the rest refused.

Settings arrive nested (`{"index": {"refresh_interval": "30s"}}`), flat (`{"number_of_shards": 1}`)
or dotted (`{"index.refresh_interval": "30s"}`); they are kept as dotted names without `index.`,
values as strings, and `GET /<index>` shows them nested under `index` as OpenSearch does.
"""

from __future__ import annotations

import re
from typing import Any

from allstore.search.errors import SearchError, bad_request, unsupported

DEFAULT_MAX_RESULT_WINDOW = 10_000
DEFAULT_REPLICAS = 1  # AWS OpenSearch Service's default; a local node's is 1 as well
HONOURED = frozenset({"number_of_shards", "number_of_replicas", "refresh_interval", "max_result_window"})
# No effect on a single-node answer: storage, merging, slow logs, allocation, limits never reached here.
NO_EFFECT_PREFIXES = (
    "codec",
    "auto_expand_replicas",
    "mapping.total_fields.limit",
    "mapping.depth.limit",
    "mapping.nested_fields.limit",
    "mapping.field_name_length.limit",
    "max_inner_result_window",
    "max_ngram_diff",
    "max_shingle_diff",
    "max_terms_count",
    "max_regex_length",
    "max_docvalue_fields_search",
    "max_script_fields",
    "max_refresh_listeners",
    "max_slices_per_scroll",
    "translog.",
    "merge.",
    "unassigned.",
    "routing.allocation.",
    "routing_partition_size",
    "write.wait_for_active_shards",
    "search.slowlog.",
    "search.idle.after",
    "indexing.slowlog.",
    "replication.type",
    "priority",
    "number_of_routing_shards",
    "shard.check_on_startup",
    "queries.cache.enabled",
    "requests.cache.enable",
    "gc_deletes",
    "sort.",
    "query.default_field",
)
REFUSED_PREFIXES = {
    "analysis": "custom analysis settings ([index.analysis])",
    "similarity": "custom similarities ([index.similarity])",
    "default_pipeline": "ingest pipelines ([index.default_pipeline])",
    "final_pipeline": "ingest pipelines ([index.final_pipeline])",
    "blocks.": "index blocks ([index.blocks])",
    "knn": "k-NN indices ([index.knn])",
    "mapping.ignore_malformed": "the index-wide [index.mapping.ignore_malformed] (set it per field)",
    "mapping.coerce": "the index-wide [index.mapping.coerce] (set it per field)",
    "hidden": "hidden indices ([index.hidden])",
}
_DURATION = re.compile(r"^(?P<number>\d+(\.\d+)?)(?P<unit>nanos|micros|ms|s|m|h|d)$")
_UNIT_SECONDS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}


def flatten_settings(settings: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_settings(value, f"{name}."))
        else:
            flat[name.removeprefix("index.")] = str(value).lower() if isinstance(value, bool) else str(value)
    return flat


def parse_settings(settings: Any) -> dict[str, str]:
    """Validated settings of a create-index request, as dotted names."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise SearchError(400, "settings_exception", "Failed to load settings: settings must be an object")
    flat = flatten_settings(settings)
    for name, value in flat.items():
        refused = next(
            (reason for prefix, reason in REFUSED_PREFIXES.items() if name.startswith(prefix)), None
        )
        if refused:
            raise unsupported(refused)
        if name in HONOURED:
            _check_value(name, value)
        elif not name.startswith(NO_EFFECT_PREFIXES):
            raise SearchError(
                400,
                "settings_exception",
                f"unknown setting [index.{name}] please check that any required plugins are installed, "
                "or check the breaking changes documentation for removed settings",
            )
    return flat


def _check_value(name: str, value: str) -> None:
    if name == "refresh_interval":
        refresh_seconds(value)
        return
    minimum = 0 if name == "number_of_replicas" else 1
    if not value.lstrip("-").isdigit() or int(value) < minimum:
        raise bad_request(f"Failed to parse value [{value}] for setting [index.{name}] must be >= {minimum}")


def refresh_seconds(value: str | None) -> float | None:
    """A `refresh_interval` in seconds; None for `-1` (refresh only when asked)."""
    if value is None:
        return 1.0
    if value == "-1":
        return None
    found = _DURATION.match(value)
    if found is None:
        raise bad_request(
            f"failed to parse setting [index.refresh_interval] with value [{value}] as a time value: "
            "unit is missing or unrecognized"
        )
    return float(found["number"]) * _UNIT_SECONDS[found["unit"]]


def nested(flat: dict[str, str]) -> dict[str, Any]:
    """Dotted settings as the nested object `GET /<index>` shows under `index`."""
    tree: dict[str, Any] = {}
    for name, value in sorted(flat.items()):
        node = tree
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
