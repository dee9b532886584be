"""Index mappings: which document fields exist, their types, and how they become tantivy fields.

The mapping is kept in OpenSearch's own shape (`{"properties": {...}}`) so `GET /<index>/_mapping`
returns what was given. Each indexed leaf (and each `fields` sub-field such as `title.keyword`)
becomes one tantivy field named by its dotted path. Unknown document fields are mapped dynamically:
strings as `text` with a `keyword` sub-field, numbers as `float`, booleans as `boolean`.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import tantivy

from allstore.search.analysis import STANDARD, refuse_other_analyzers
from allstore.search.dates import DATE_TYPES, DateParser
from allstore.search.errors import SearchError, bad_request, mapper_parsing_error, unsupported

TEXT = "text"
KEYWORD = "keyword"
INTEGER_TYPES = frozenset({"integer", "long", "short", "byte"})
_INTEGER_BITS = {"byte": 8, "short": 16, "integer": 32, "long": 64}
FLOAT_TYPES = frozenset({"float", "double", "half_float", "scaled_float"})
BOOLEAN = "boolean"
OBJECT = "object"
LEAF_TYPES = frozenset({TEXT, KEYWORD, BOOLEAN}) | INTEGER_TYPES | FLOAT_TYPES | DATE_TYPES

# Fields the server keeps per document; OpenSearch reserves these names too.
ID_FIELD = "_id"
SOURCE_FIELD = "_source"
VERSION_FIELD = "_version"
SEQ_NO_FIELD = "_seq_no"
ROUTING_FIELD = "_routing"
METADATA_FIELDS = frozenset({ID_FIELD, SOURCE_FIELD, VERSION_FIELD, SEQ_NO_FIELD, "_index", ROUTING_FIELD})

# Field parameters: those this server honours, and those accepted and kept for _mapping because
# on OpenSearch they change storage, speed or scores' fine detail but never which documents match
# (docs/search.md lists both). Anything else is refused, naming it.
HONOURED_FIELD_PARAMETERS = frozenset(
    {
        "type",
        "index",
        "fields",
        "properties",
        "ignore_above",
        "format",
        "null_value",
        "coerce",
        "ignore_malformed",
        "copy_to",
        "enabled",
        "doc_values",
        "index_options",
        "dynamic",
        "meta",
        "scaling_factor",
    }
)
ACCEPTED_FIELD_PARAMETERS = frozenset(
    {
        "analyzer",
        "search_analyzer",
        "search_quote_analyzer",
        "store",
        "norms",
        "boost",
        "eager_global_ordinals",
        "fielddata",
        "fielddata_frequency_filter",
        "index_phrases",
        "index_prefixes",
        "term_vector",
        "similarity",
        "position_increment_gap",
        "locale",
        "split_queries_on_whitespace",
    }
)
FIELD_PARAMETERS = HONOURED_FIELD_PARAMETERS | ACCEPTED_FIELD_PARAMETERS
ROOT_PARAMETERS = frozenset(
    {
        "properties",
        "dynamic",
        "_source",
        "_meta",
        "_routing",
        "date_detection",
        "dynamic_date_formats",
        "numeric_detection",
        "dynamic_templates",
    }
)
DYNAMIC_KEYWORD_IGNORE_ABOVE = 256
DEFAULT_DYNAMIC_DATE_FORMATS = ("strict_date_optional_time", "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z")
TANTIVY_INDEX_OPTIONS = {"docs": "basic", "freqs": "freq", "positions": "position", "offsets": "position"}


def _true(value: Any, default: bool) -> bool:
    return default if value is None else value not in (False, "false")


@dataclass(frozen=True)
class FieldSpec:
    """One queryable field: `path` is its query name, `source_path` where its values come from,
    `params` its mapping parameters."""

    path: str
    type: str
    indexed: bool
    source_path: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ignore_above(self) -> int | None:
        return self.params.get("ignore_above")

    @property
    def format(self) -> str | None:
        return self.params.get("format")

    @property
    def coerce(self) -> bool:
        return _true(self.params.get("coerce"), True)

    @property
    def ignore_malformed(self) -> bool:
        return _true(self.params.get("ignore_malformed"), False)

    @property
    def doc_values(self) -> bool:
        return _true(self.params.get("doc_values"), self.type != TEXT)

    @property
    def copy_to(self) -> tuple[str, ...]:
        targets = self.params.get("copy_to") or ()
        return (targets,) if isinstance(targets, str) else tuple(targets)

    @property
    def index_options(self) -> str:
        return self.params.get("index_options", "positions" if self.type == TEXT else "docs")

    @cached_property
    def dates(self) -> DateParser:
        """How this date field reads values (its `format`, or the type's default)."""
        return DateParser.of(self.type, self.format)

    @property
    def is_text(self) -> bool:
        return self.type == TEXT

    @property
    def is_string(self) -> bool:
        return self.type in (TEXT, KEYWORD)


class Mapping:
    """An index's mapping: the OpenSearch-shaped tree plus its flattened field specs."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree
        self.dynamic = str(tree.get("dynamic", "true")).lower()
        self.fields: dict[str, FieldSpec] = {
            spec.path: spec for spec in _walk(tree.get("properties", {}), "")
        }
        self._indexed = [spec for spec in self.fields.values() if spec.indexed]

    @classmethod
    def parse(cls, mappings: Any) -> Mapping:
        """Validate a `mappings` object from a create-index request."""
        if mappings is None:
            return cls({"properties": {}})
        if not isinstance(mappings, dict):
            raise mapper_parsing_error("Failed to parse mapping: mappings must be an object")
        unknown = sorted(set(mappings) - ROOT_PARAMETERS)
        if unknown:
            raise mapper_parsing_error(f"Root mapping definition has unsupported parameters: {unknown}")
        if str(mappings.get("dynamic", "true")).lower() not in {"true", "false", "strict"}:
            raise mapper_parsing_error(f"Could not convert [dynamic] from [{mappings['dynamic']}]")
        tree = copy.deepcopy(mappings)
        tree.setdefault("properties", {})
        _validate_root(tree)
        _validate_properties(tree["properties"], "")
        mapping = cls(tree)
        mapping.check_copy_to()
        return mapping

    def check_copy_to(self) -> None:
        """`copy_to` targets must be mapped leaf fields here (OpenSearch would map a missing one
        dynamically; refused rather than guessed)."""
        for spec in self.fields.values():
            for target in spec.copy_to:
                if target not in self.fields:
                    raise unsupported(f"[copy_to] field [{target}] of [{spec.path}] that is not mapped")

    @property
    def source_filter(self) -> dict[str, Any]:
        """The mapping's `_source` setting (`enabled`, `includes`, `excludes`): what hits and gets return."""
        return self.tree.get("_source") or {}

    @property
    def routing_required(self) -> bool:
        return _true((self.tree.get("_routing") or {}).get("required"), False)

    def merged(self, update: dict[str, Any]) -> Mapping:
        """This mapping with a put-mapping body applied, by OpenSearch's merge rules: new fields and
        sub-fields are added, updatable parameters take their new value, and a change to a type or
        to any other parameter is an illegal_argument_exception naming it."""
        if not isinstance(update, dict):
            raise mapper_parsing_error("Failed to parse mapping: mappings must be an object")
        unknown = sorted(set(update) - ROOT_PARAMETERS)
        if unknown:
            raise mapper_parsing_error(f"Root mapping definition has unsupported parameters: {unknown}")
        tree = copy.deepcopy(self.tree)
        for name, value in update.items():
            if name == "properties":
                continue
            fixed = {"_source": ("enabled", True), "_routing": ("required", False)}.get(name)
            if fixed is not None and isinstance(value, dict):
                key, default = fixed
                before, after = (tree.get(name) or {}).get(key, default), value.get(key, default)
                if _true(before, default) != _true(after, default):
                    raise bad_request(
                        f"Cannot update parameter [{key}] of [{name}] from [{before}] to [{after}]"
                    )
            tree[name] = copy.deepcopy(value)
        _validate_root(tree)
        properties = update.get("properties", {})
        _validate_properties(properties, "")
        _merge_properties(tree["properties"], properties, "")
        mapping = Mapping(tree)
        mapping.check_copy_to()
        return mapping

    def field(self, path: str) -> FieldSpec | None:
        return self.fields.get(path)

    def indexed_fields(self) -> list[FieldSpec]:
        return list(self._indexed)

    def to_json(self) -> dict[str, Any]:
        """The mapping as GET _mapping shows it: OpenSearch echoes `dynamic` as a string ("false")."""
        return _dynamic_as_string(copy.deepcopy(self.tree))

    def schema(self) -> tantivy.Schema:
        """The tantivy schema: metadata fields plus one field per indexed mapping field."""
        builder = tantivy.SchemaBuilder()
        builder.add_text_field(ID_FIELD, stored=True, tokenizer_name="raw", index_option="basic")
        builder.add_bytes_field(SOURCE_FIELD, stored=True)
        builder.add_integer_field(VERSION_FIELD, stored=True)
        builder.add_integer_field(SEQ_NO_FIELD, stored=True)
        builder.add_text_field(ROUTING_FIELD, stored=True, tokenizer_name="raw", index_option="basic")
        for spec in sorted(self.indexed_fields(), key=lambda s: s.path):
            if spec.type == TEXT:
                options = TANTIVY_INDEX_OPTIONS[spec.index_options]
                builder.add_text_field(spec.path, tokenizer_name=STANDARD, index_option=options)
            elif spec.type == KEYWORD:
                builder.add_text_field(spec.path, tokenizer_name="raw", index_option="freq")
            elif spec.type in INTEGER_TYPES:
                builder.add_integer_field(spec.path, indexed=True, fast=True)
            elif spec.type in FLOAT_TYPES:
                builder.add_float_field(spec.path, indexed=True, fast=True)
            elif spec.type == BOOLEAN:
                builder.add_boolean_field(spec.path, indexed=True, fast=True)
            elif spec.type in DATE_TYPES:  # epoch ms (date) or ns (date_nanos): tantivy dates keep seconds
                builder.add_integer_field(spec.path, indexed=True, fast=True)
        return builder.build()

    def with_dynamic_fields(self, source: dict[str, Any]) -> Mapping | None:
        """The mapping extended with `source`'s unmapped fields, or None when nothing is new."""
        if self.dynamic != "true":
            if self.dynamic == "strict":
                _reject_unmapped(self.tree["properties"], source, "")
            return None
        tree = copy.deepcopy(self.tree)
        changed = _add_dynamic(tree["properties"], source, "", DynamicRules.of(tree))
        return Mapping(tree) if changed else None

    def document(
        self,
        doc_id: str,
        source: dict[str, Any],
        version: int,
        seq_no: int,
        routing: str | None = None,
        unindexed: frozenset[str] = frozenset(),
    ) -> tantivy.Document:
        """The tantivy document for `source`, with values coerced to the mapped types; fields in
        `unindexed` (mapped after the document was written) are left out, as OpenSearch leaves them."""
        doc = tantivy.Document()
        doc.add_text(ID_FIELD, doc_id)
        if routing is not None:
            doc.add_text(ROUTING_FIELD, routing)
        doc.add_bytes(SOURCE_FIELD, json.dumps(source, separators=(",", ":")).encode())
        doc.add_integer(VERSION_FIELD, version)
        doc.add_integer(SEQ_NO_FIELD, seq_no)
        original = flatten(source)
        values = {path: list(found) for path, found in original.items()}
        for spec in self.fields.values():  # copy_to sends a field's own values (not copies) to others too
            for target in spec.copy_to:
                values.setdefault(target, []).extend(
                    v for v in original.get(spec.source_path, ()) if v is not None
                )
        for spec in self._indexed:
            if spec.path in unindexed:
                continue
            for value in values.get(spec.source_path, ()):
                if value is None:
                    if spec.params.get("null_value") is None:
                        continue
                    value = spec.params["null_value"]
                _add_value(doc, spec, value, doc_id)
        return doc


def flatten(source: dict[str, Any]) -> dict[str, list[Any]]:
    """Leaf values (and nulls) by dotted path; lists are spread and `"a.b"` keys mean path a → b,
    as in OpenSearch."""
    out: dict[str, list[Any]] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                visit(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for item in value:
                visit(item, path)
        else:  # None too: a field's `null_value` stands for it
            out.setdefault(path, []).append(value)

    visit(source, "")
    return out


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(value)


def coerce(spec: FieldSpec, value: Any) -> Any:
    """`value` as the Python type tantivy expects for `spec`; ValueError when it cannot be."""
    if spec.is_string:
        if isinstance(value, dict | list):
            raise ValueError(value)
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    if not spec.coerce and spec.type in INTEGER_TYPES | FLOAT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(value)  # `coerce: false`: no strings
        if spec.type in INTEGER_TYPES and not float(value).is_integer():
            raise ValueError(value)  # ... and no fractions for whole-number types
    if spec.type in INTEGER_TYPES:
        if isinstance(value, bool):
            raise ValueError(value)
        try:
            number = value if isinstance(value, int) else int(str(value).strip())  # exact, even for longs
        except ValueError:
            real = float(value)  # "1.5" and 1.5 are truncated, as OpenSearch coerces them
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError(value) from None
            number = int(real)
        bits = _INTEGER_BITS[spec.type]
        if not -(1 << (bits - 1)) <= number < 1 << (bits - 1):
            raise ValueError(f"Value [{value}] is out of range for {spec.type}")  # OpenSearch refuses it too
        return number
    if spec.type in FLOAT_TYPES:
        if isinstance(value, bool):
            raise ValueError(value)
        if spec.type == "scaled_float":  # stored as a long of value × scaling_factor, as OpenSearch does
            factor = float(spec.params["scaling_factor"])
            return round(float(value) * factor) / factor
        return float(value)
    if spec.type == BOOLEAN:
        return parse_boolean(value)
    nanos = spec.dates.nanos(value)
    return nanos if spec.type == "date_nanos" else nanos // 1_000_000


def _dynamic_as_string(tree: dict[str, Any]) -> dict[str, Any]:
    if isinstance(tree.get("dynamic"), bool):
        tree["dynamic"] = str(tree["dynamic"]).lower()
    for child in (tree.get("properties") or {}).values():
        if isinstance(child, dict) and "properties" in child:
            _dynamic_as_string(child)
    return tree


def _add_value(doc: tantivy.Document, spec: FieldSpec, value: Any, doc_id: str) -> None:
    try:
        coerced = coerce(spec, value)
    except (TypeError, ValueError, OverflowError):
        if spec.ignore_malformed:
            return  # the document is indexed without this value, as OpenSearch's ignore_malformed does
        raise SearchError(
            400,
            "mapper_parsing_exception",
            f"failed to parse field [{spec.path}] of type [{spec.type}] in document with id "
            f"'{doc_id}'. Preview of field's value: '{value}'",
            **({"caused_by": cause} if (cause := _parse_cause(spec, value)) else {}),
        ) from None
    if spec.is_string:
        if spec.ignore_above is not None and len(coerced) > spec.ignore_above:
            return
        doc.add_text(spec.path, coerced)
    elif spec.type in INTEGER_TYPES or spec.type in DATE_TYPES:
        doc.add_integer(spec.path, coerced)
    elif spec.type in FLOAT_TYPES:
        doc.add_float(spec.path, coerced)
    else:
        doc.add_boolean(spec.path, coerced)


def _parse_cause(spec: FieldSpec, value: Any) -> dict[str, Any] | None:
    """The `caused_by` OpenSearch gives a value its field cannot read (its Java exception's type)."""
    if spec.type in INTEGER_TYPES | FLOAT_TYPES:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {
                "type": "input_coercion_exception",
                "reason": f"Numeric value ({value}) out of range of {spec.type}",
            }
        return {"type": "number_format_exception", "reason": f'For input string: "{value}"'}
    if spec.type == BOOLEAN:
        return {
            "type": "illegal_argument_exception",
            "reason": f"Failed to parse value [{value}] as only [true] or [false] are allowed.",
        }
    if spec.type in DATE_TYPES:
        return {
            "type": "illegal_argument_exception",
            "reason": f"failed to parse date field [{value}] with format [{spec.dates.format}]",
            "caused_by": {
                "type": "date_time_parse_exception",
                "reason": "Failed to parse with all enclosed parsers",
            },
        }
    return None


def _walk(properties: dict[str, Any], prefix: str) -> Iterator[FieldSpec]:
    for name, definition in properties.items():
        path = f"{prefix}{name}"
        field_type = definition.get("type", OBJECT if "properties" in definition else None)
        if field_type == OBJECT:
            if _true(definition.get("enabled"), True):  # `enabled: false`: kept in _source only
                yield from _walk(definition.get("properties", {}), f"{path}.")
            continue
        indexed = _true(definition.get("index"), True)
        yield FieldSpec(path, field_type, indexed, path, definition)
        for sub_name, sub in definition.get("fields", {}).items():
            yield FieldSpec(f"{path}.{sub_name}", sub["type"], _true(sub.get("index"), True), path, sub)


def _validate_root(tree: dict[str, Any]) -> None:
    """The root parameters OpenSearch accepts, with the values this server can honour."""
    source = tree.get("_source")
    if source is not None and (
        not isinstance(source, dict) or set(source) - {"enabled", "includes", "excludes"}
    ):
        raise mapper_parsing_error(f"Failed to parse mapping: [_source] {json.dumps(source)}")
    routing = tree.get("_routing")
    if routing is not None and (not isinstance(routing, dict) or set(routing) - {"required"}):
        raise mapper_parsing_error(f"Failed to parse mapping: [_routing] {json.dumps(routing)}")
    if "_meta" in tree and not isinstance(tree["_meta"], dict):
        raise mapper_parsing_error("Failed to parse mapping: [_meta] must be an object")
    for name in ("date_detection", "numeric_detection"):
        if str(tree.get(name, "true")).lower() not in {"true", "false"}:
            raise mapper_parsing_error(f"Failed to parse mapping: [{name}] must be true or false")
    for formats in tree.get("dynamic_date_formats", []):
        DateParser.of("date", formats)
    DynamicRules.of(tree)  # checks dynamic_templates


def _validate_meta(path: str, meta: Any) -> None:
    """OpenSearch's limits on a field's `meta`: at most 5 entries, keys up to 20 characters,
    string values up to 50."""
    if not isinstance(meta, dict) or len(meta) > 5:
        raise mapper_parsing_error(f"[meta] can't have more than 5 entries, on field [{path}]")
    for key, value in meta.items():
        if len(key) > 20:
            raise mapper_parsing_error(
                f"[meta] keys can't be longer than 20 chars, but got [{key}] for field [{path}]"
            )
        if not isinstance(value, str) or len(value) > 50:
            raise mapper_parsing_error(
                f"[meta] values can only be strings of up to 50 characters, but got [{value}] for field [{path}]"
            )


def _validate_parameters(path: str, field_type: str, definition: dict[str, Any]) -> None:
    """Values of the honoured and accepted parameters that this server can take as OpenSearch does."""
    if "meta" in definition:
        _validate_meta(path, definition["meta"])
    if "index_options" in definition and definition["index_options"] not in TANTIVY_INDEX_OPTIONS:
        raise mapper_parsing_error(f"Unknown value [{definition['index_options']}] for field [index_options]")
    if "enabled" in definition and field_type != OBJECT:
        raise mapper_parsing_error(f"unknown parameter [enabled] on mapper [{path}] of type [{field_type}]")
    if field_type == "scaled_float" and "scaling_factor" not in definition:
        raise mapper_parsing_error(f"Field [scaling_factor] is required for field [{path}]")
    if str(definition.get("similarity", "BM25")) != "BM25":
        raise unsupported(f"[similarity] [{definition['similarity']}] on field [{path}] (BM25 only)")
    if _true(definition.get("split_queries_on_whitespace"), False):
        raise unsupported(f"[split_queries_on_whitespace] on field [{path}]")
    if definition.get("null_value") is not None and field_type != OBJECT:
        try:
            coerce(FieldSpec(path, field_type, True, path, definition), definition["null_value"])
        except (TypeError, ValueError, OverflowError):
            raise mapper_parsing_error(
                f"Failed to parse mapping: Error parsing [null_value] on field [{path}]: {definition['null_value']}"
            ) from None


def _validate_properties(properties: Any, prefix: str) -> None:
    if not isinstance(properties, dict):
        raise mapper_parsing_error(f"Expected map for property [properties] on field [{prefix or '_doc'}]")
    for name, definition in properties.items():
        path = f"{prefix}{name}"
        _validate_field(path, definition, sub_field=False)


def _refuse_score_changes(path: str, field_type: str, definition: dict[str, Any]) -> None:
    """`norms: false` on text and a mapping `boost` change scores on OpenSearch; here every text
    field is scored with length norms and no field boost, so they are refused, not ignored."""
    if field_type == TEXT and definition.get("norms") in (False, "false"):
        raise unsupported(f"[norms: false] on text field [{path}] (scores always use length norms)")
    if "boost" in definition and _float_or_none(definition["boost"]) != 1.0:
        raise unsupported(
            f"[boost: {definition['boost']}] in the mapping of field [{path}] (use a query boost)"
        )


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _validate_field(path: str, definition: Any, sub_field: bool) -> None:
    if path in METADATA_FIELDS or not path or path.startswith(".") or path.endswith("."):
        raise mapper_parsing_error(f"Invalid field name [{path}]")
    if not isinstance(definition, dict):
        raise mapper_parsing_error(f"Expected map for property [fields] on field [{path}]")
    field_type = definition.get("type", OBJECT if "properties" in definition else None)
    if field_type is None:
        raise mapper_parsing_error(f"No type specified for field [{path}]")
    if field_type != OBJECT and field_type not in LEAF_TYPES:
        raise mapper_parsing_error(
            f"No handler for type [{field_type}] declared on field [{path}] "
            "(AllStore's local search server supports text, keyword, numbers, boolean, date and object)"
        )
    if "normalizer" in definition:
        raise unsupported(f"[normalizer] on field [{path}] (analysis settings are not applied)")
    refuse_other_analyzers(f"the mapping of field [{path}]", definition)
    _refuse_score_changes(path, field_type, definition)
    unknown = sorted(set(definition) - FIELD_PARAMETERS)
    if unknown:
        raise mapper_parsing_error(f"unknown parameter {unknown} on mapper [{path}] of type [{field_type}]")
    _validate_parameters(path, field_type, definition)
    if field_type in DATE_TYPES:
        try:
            DateParser.of(field_type, definition.get("format"))
        except SearchError as error:
            raise mapper_parsing_error(f"Invalid format for field [{path}]: {error.reason}") from None
    if field_type == OBJECT:
        if sub_field:
            raise mapper_parsing_error(f"Type [object] cannot be used in multi field [{path}]")
        _validate_properties(definition.get("properties", {}), f"{path}.")
        return
    for sub_name, sub in (definition.get("fields") or {}).items():
        if sub_field:
            raise mapper_parsing_error(f"Field [{path}] is a multi field and cannot have multi fields")
        _validate_field(f"{path}.{sub_name}", sub, sub_field=True)


# What a put-mapping may change on an existing field (OpenSearch's updatable parameters).
UPDATABLE_PARAMETERS = frozenset(
    {
        "ignore_above",
        "meta",
        "search_analyzer",
        "search_quote_analyzer",
        "ignore_malformed",
        "copy_to",
        "fielddata",
    }
    | {"eager_global_ordinals", "fielddata_frequency_filter", "boost", "dynamic"}
)
# Parameters whose default OpenSearch compares with when an update leaves them out.
_DEFAULTS: dict[str, Any] = {"index": True, "doc_values": True, "norms": True, "store": False, "coerce": True}


def _merge_properties(target: dict[str, Any], additions: dict[str, Any], prefix: str) -> None:
    for name, definition in additions.items():
        path = f"{prefix}{name}"
        existing = target.get(name)
        if existing is None:
            target[name] = copy.deepcopy(definition)
            continue
        old_type = existing.get("type", OBJECT if "properties" in existing else None)
        new_type = definition.get("type", OBJECT if "properties" in definition else None)
        if old_type != new_type:
            raise bad_request(f"mapper [{path}] cannot be changed from type [{old_type}] to [{new_type}]")
        if old_type == OBJECT:
            if "enabled" in definition and _true(definition["enabled"], True) != _true(
                existing.get("enabled"), True
            ):
                raise bad_request(f"the [enabled] parameter can't be updated for the object mapping [{path}]")
            if "dynamic" in definition:
                existing["dynamic"] = definition["dynamic"]
            _merge_properties(
                existing.setdefault("properties", {}), definition.get("properties", {}), f"{path}."
            )
            continue
        target[name] = _merged_field(path, existing, definition)


def _merged_field(path: str, existing: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """A leaf field's definition after an update: sub-fields merged, other parameters as updated."""
    conflicts = []
    for key in sorted((set(existing) | set(update)) - UPDATABLE_PARAMETERS - {"type", "fields"}):
        old, new = existing.get(key, _DEFAULTS.get(key)), update.get(key, _DEFAULTS.get(key))
        if old != new:
            conflicts.append(f"Cannot update parameter [{key}] from [{old}] to [{new}]")
    if conflicts:
        raise bad_request(f"Mapper for [{path}] conflicts with existing mapper:\n\t" + "\n\t".join(conflicts))
    merged = {key: value for key, value in update.items() if key != "fields"}
    sub_fields = dict(existing.get("fields", {}))
    for sub_name, sub in update.get("fields", {}).items():
        before = sub_fields.get(sub_name)
        if before is None:
            sub_fields[sub_name] = sub
            continue
        if before.get("type") != sub.get("type"):
            raise bad_request(
                f"mapper [{path}.{sub_name}] cannot be changed from type [{before.get('type')}] to [{sub.get('type')}]"
            )
        sub_fields[sub_name] = _merged_field(f"{path}.{sub_name}", before, sub)
    if sub_fields:
        merged["fields"] = sub_fields
    return merged


_TEMPLATE_KEYS = frozenset(
    {"match_mapping_type", "match", "unmatch", "path_match", "path_unmatch", "match_pattern", "mapping"}
)
_JSON_TYPES = frozenset({"*", "boolean", "long", "double", "string", "date"})


@dataclass(frozen=True)
class DynamicRules:
    """How an unmapped value is mapped: OpenSearch's detection rules and the `dynamic_templates`."""

    date_formats: tuple[DateParser, ...]
    numeric_detection: bool
    templates: tuple[tuple[str, dict[str, Any]], ...]

    @classmethod
    def of(cls, tree: dict[str, Any]) -> DynamicRules:
        detect_dates = _true(tree.get("date_detection"), True)
        formats = tree.get("dynamic_date_formats", DEFAULT_DYNAMIC_DATE_FORMATS) if detect_dates else ()
        templates = []
        for entry in tree.get("dynamic_templates") or []:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise mapper_parsing_error("Failed to parse mapping: a dynamic template is one named object")
            ((name, template),) = entry.items()
            if not isinstance(template, dict) or "mapping" not in template or set(template) - _TEMPLATE_KEYS:
                raise unsupported(
                    f"dynamic template [{name}] {json.dumps(template)} (match, unmatch, path_match, path_unmatch, match_mapping_type and mapping are)"
                )
            if (
                template.get("match_mapping_type", "*") not in _JSON_TYPES
                or template.get("match_pattern", "simple") != "simple"
            ):
                raise unsupported(
                    f"dynamic template [{name}] matching {json.dumps(template.get('match_mapping_type'))} or regex patterns"
                )
            probe = json.loads(
                json.dumps(template["mapping"])
                .replace("{name}", "probe")
                .replace("{dynamic_type}", "keyword")
            )
            _validate_field(
                f"<{name}>", {"type": "keyword", **probe} if "type" not in probe else probe, sub_field=False
            )
            templates.append((name, template))
        return cls(
            tuple(DateParser.of("date", formats_text) for formats_text in formats),
            _true(tree.get("numeric_detection"), False),
            tuple(templates),
        )

    def mapping_for(self, path: str, value: Any) -> dict[str, Any] | None:
        """The mapping OpenSearch gives an unmapped leaf `value` at `path`, or None (null, empty list)."""
        if isinstance(value, list):
            return next((m for m in (self.mapping_for(path, item) for item in value) if m is not None), None)
        detected = self._detect(value)
        if detected is None:
            return None
        json_type, default = detected
        name = path.rsplit(".", 1)[-1]
        for _template_name, template in self.templates:
            if self._matches(template, json_type, name, path):
                mapping = json.loads(
                    json.dumps(template["mapping"])
                    .replace("{name}", name)
                    .replace("{dynamic_type}", default["type"])
                )
                return {"type": default["type"], **mapping} if "type" not in mapping else mapping
        return default

    def _detect(self, value: Any) -> tuple[str, dict[str, Any]] | None:
        if isinstance(value, bool):
            return "boolean", {"type": BOOLEAN}
        if isinstance(value, int):
            return "long", {"type": "long"}
        if isinstance(value, float):
            return "double", {"type": "float"}
        if not isinstance(value, str):
            return None
        for parser in self.date_formats:
            try:
                parser.nanos(value)
            except (ValueError, OverflowError):
                continue
            return "date", {"type": "date", "format": parser.format}
        if self.numeric_detection:
            for kind, convert in (("long", int), ("double", float)):
                try:
                    convert(value)
                except ValueError:
                    continue
                return kind, {"type": "long" if kind == "long" else "float"}
        return "string", {
            "type": TEXT,
            "fields": {KEYWORD: {"type": KEYWORD, "ignore_above": DYNAMIC_KEYWORD_IGNORE_ABOVE}},
        }

    @staticmethod
    def _matches(template: dict[str, Any], json_type: str, name: str, path: str) -> bool:
        wanted = template.get("match_mapping_type", "*")
        if wanted != "*" and wanted != json_type:
            return False
        checks = (
            ("match", name, True),
            ("unmatch", name, False),
            ("path_match", path, True),
            ("path_unmatch", path, False),
        )
        for key, subject, expected in checks:
            if key in template and fnmatch.fnmatchcase(subject, template[key]) != expected:
                return False
        return True


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects in a value that is an object or a list (of lists) of objects."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [obj for item in value for obj in _objects(item)]
    return []


def _add_dynamic(
    properties: dict[str, Any], source: dict[str, Any], prefix: str, rules: DynamicRules
) -> bool:
    changed = False
    for key, value in source.items():
        head, _, rest = str(key).partition(".")
        path = f"{prefix}{head}"
        if head in METADATA_FIELDS and not prefix:
            raise mapper_parsing_error(
                f"Field [{head}] is a metadata field and cannot be added inside a document. "
                "Use the index API request parameters."
            )
        if not head:
            raise mapper_parsing_error(f"field name cannot be an empty string (in [{prefix}{key}])")
        if rest:
            value = {rest: value}
        objects = _objects(value)
        existing = properties.get(head)
        if objects:
            if existing is None:
                existing = properties[head] = {"properties": {}}
                changed = True
            if existing.get("type", OBJECT) == OBJECT and not _true(existing.get("enabled"), True):
                continue  # `enabled: false`: kept in _source, never mapped
            if existing.get("type", OBJECT) == OBJECT:
                existing.setdefault("properties", {})
            if "properties" not in existing:
                raise mapper_parsing_error(
                    f"object mapping for [{path}] tried to parse field [{path}] as object, "
                    "but found a concrete value"
                )
            for obj in objects:
                changed |= _add_dynamic(existing["properties"], obj, f"{path}.", rules)
        elif (
            existing is not None
            and value is not None
            and existing.get("type", OBJECT if "properties" in existing else None) == OBJECT
        ):
            raise mapper_parsing_error(
                f"object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value"
            )
        elif existing is None:
            inferred = rules.mapping_for(path, value)
            if inferred is not None:
                properties[head] = inferred
                changed = True
    return changed


def _reject_unmapped(properties: dict[str, Any], source: dict[str, Any], prefix: str) -> None:
    for key, value in source.items():
        head, _, rest = str(key).partition(".")
        existing = properties.get(head)
        if existing is None:
            raise SearchError(
                400,
                "strict_dynamic_mapping_exception",
                f"mapping set to strict, dynamic introduction of [{head}] within [{prefix or '_doc'}] "
                "is not allowed",
            )
        for obj in _objects({rest: value} if rest else value):
            _reject_unmapped(existing.get("properties", {}), obj, f"{prefix}{head}.")
