"""Index mappings: which document fields exist, their types, and how they become tantivy fields.

The mapping is kept in OpenSearch's own shape (`{"properties": {...}}`) so `GET /<index>/_mapping`
returns what was given. Each indexed leaf (and each `fields` sub-field such as `title.keyword`)
becomes one tantivy field named by its dotted path. Unknown document fields are mapped dynamically:
strings as `text` with a `keyword` sub-field, numbers as `float`, booleans as `boolean`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import tantivy

from allstore.search.dates import DATE_TYPES, DateParser
from allstore.search.errors import SearchError, mapper_parsing_error

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
METADATA_FIELDS = frozenset({ID_FIELD, SOURCE_FIELD, VERSION_FIELD, SEQ_NO_FIELD, "_index", "_routing"})

# Field parameters accepted; those other than type/index/fields/properties/ignore_above only
# change behaviour on a real cluster (analyzers, doc values, storage) and are kept for _mapping.
FIELD_PARAMETERS = frozenset(
    {
        "type",
        "index",
        "fields",
        "properties",
        "ignore_above",
        "analyzer",
        "search_analyzer",
        "format",
        "store",
        "doc_values",
        "norms",
        "boost",
        "null_value",
        "coerce",
        "dynamic",
        "scaling_factor",
        "enabled",
    }
)
ROOT_PARAMETERS = frozenset({"properties", "dynamic", "_source", "date_detection"})
DYNAMIC_KEYWORD_IGNORE_ABOVE = 256


@dataclass(frozen=True)
class FieldSpec:
    """One queryable field: `path` is its query name, `source_path` where its values come from."""

    path: str
    type: str
    indexed: bool
    source_path: str
    ignore_above: int | None = None
    format: str | None = None

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
        _validate_properties(tree["properties"], "")
        return cls(tree)

    def merged(self, properties: dict[str, Any]) -> Mapping:
        """This mapping with `properties` added (a put-mapping request); existing fields may not change."""
        _validate_properties(properties, "")
        tree = copy.deepcopy(self.tree)
        _merge_properties(tree["properties"], properties, "")
        return Mapping(tree)

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
        for spec in sorted(self.indexed_fields(), key=lambda s: s.path):
            if spec.type == TEXT:
                builder.add_text_field(spec.path, tokenizer_name="default", index_option="position")
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
        changed = _add_dynamic(tree["properties"], source, "")
        return Mapping(tree) if changed else None

    def document(self, doc_id: str, source: dict[str, Any], version: int, seq_no: int) -> tantivy.Document:
        """The tantivy document for `source`, with values coerced to the mapped types."""
        doc = tantivy.Document()
        doc.add_text(ID_FIELD, doc_id)
        doc.add_bytes(SOURCE_FIELD, json.dumps(source, separators=(",", ":")).encode())
        doc.add_integer(VERSION_FIELD, version)
        doc.add_integer(SEQ_NO_FIELD, seq_no)
        values = flatten(source)
        for spec in self._indexed:
            for value in values.get(spec.source_path, ()):
                _add_value(doc, spec, value, doc_id)
        return doc


def flatten(source: dict[str, Any]) -> dict[str, list[Any]]:
    """Leaf values by dotted path; lists are spread and `"a.b"` keys mean path a → b, as in OpenSearch."""
    out: dict[str, list[Any]] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                visit(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for item in value:
                visit(item, path)
        elif value is not None:
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
        raise mapper_parsing_error(
            f"failed to parse field [{spec.path}] of type [{spec.type}] in document with id "
            f"'{doc_id}'. Preview of field's value: '{value}'"
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


def _walk(properties: dict[str, Any], prefix: str) -> Iterator[FieldSpec]:
    for name, definition in properties.items():
        path = f"{prefix}{name}"
        field_type = definition.get("type", OBJECT if "properties" in definition else None)
        if field_type == OBJECT:
            yield from _walk(definition.get("properties", {}), f"{path}.")
            continue
        indexed = definition.get("index", True) not in (False, "false")
        yield FieldSpec(
            path, field_type, indexed, path, definition.get("ignore_above"), definition.get("format")
        )
        for sub_name, sub in definition.get("fields", {}).items():
            sub_indexed = sub.get("index", True) not in (False, "false")
            yield FieldSpec(
                f"{path}.{sub_name}",
                sub["type"],
                sub_indexed,
                path,
                sub.get("ignore_above"),
                sub.get("format"),
            )


def _validate_properties(properties: Any, prefix: str) -> None:
    if not isinstance(properties, dict):
        raise mapper_parsing_error(f"Expected map for property [properties] on field [{prefix or '_doc'}]")
    for name, definition in properties.items():
        path = f"{prefix}{name}"
        _validate_field(path, definition, sub_field=False)


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
    unknown = sorted(set(definition) - FIELD_PARAMETERS)
    if unknown:
        raise mapper_parsing_error(f"unknown parameter {unknown} on mapper [{path}] of type [{field_type}]")
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


def _merge_properties(target: dict[str, Any], additions: dict[str, Any], prefix: str) -> None:
    for name, definition in additions.items():
        path = f"{prefix}{name}"
        existing = target.get(name)
        if existing is None:
            target[name] = copy.deepcopy(definition)
        elif "properties" in existing and "properties" in definition:
            _merge_properties(existing["properties"], definition["properties"], f"{path}.")
        elif existing != definition:
            raise SearchError(
                400,
                "illegal_argument_exception",
                f"mapper [{path}] cannot be changed from its existing mapping",
            )


def _dynamic_type(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):
        return next((t for t in map(_dynamic_type, value) if t is not None), None)
    if isinstance(value, bool):
        return {"type": BOOLEAN}
    if isinstance(value, int | float):
        return {"type": "float"}
    if isinstance(value, str):
        return {
            "type": TEXT,
            "fields": {KEYWORD: {"type": KEYWORD, "ignore_above": DYNAMIC_KEYWORD_IGNORE_ABOVE}},
        }
    return None


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects in a value that is an object or a list (of lists) of objects."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [obj for item in value for obj in _objects(item)]
    return []


def _add_dynamic(properties: dict[str, Any], source: dict[str, Any], prefix: str) -> bool:
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
            if "properties" not in existing:
                raise mapper_parsing_error(
                    f"object mapping for [{path}] tried to parse field [{path}] as object, "
                    "but found a concrete value"
                )
            for obj in objects:
                changed |= _add_dynamic(existing["properties"], obj, f"{path}.")
        elif existing is None:
            inferred = _dynamic_type(value)
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
