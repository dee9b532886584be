"""Avro dataset schemas: parsing, the rules each dataset type imposes, and typing of CSV values.

Personalize describes every dataset with an Avro `record` schema; its field names are the CSV
column names and the metadata keys filters refer to (e.g. Items.CATEGORY_L1).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from allstore.personalize.errors import invalid_input

DATASET_TYPES = ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS")
_PRIMITIVES = {"string", "int", "long", "float", "double", "boolean"}
_INTEGER_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Unix time in seconds, as the service documents its timestamps: a value past 9999-12-31 is one
# in milliseconds (or microseconds), which the service does not read as seconds.
_TIMESTAMP_FIELDS = ("TIMESTAMP", "CREATION_TIMESTAMP")
MAX_SECONDS = 253_402_300_799
# "If CREATION_TIMESTAMP data is missing for one or more items, Amazon Personalize infers it from
# interaction data": an empty cell there, or no such column, is accepted though the field is a long.
_INFERRED_WHEN_EMPTY = ("CREATION_TIMESTAMP",)
# "Each item must have an item ID ... a string with a maximum length of 256 characters" (users and
# actions alike); "Categorical values can have at most 1000 characters ... your dataset import job
# will fail".
_ID_FIELDS = ("USER_ID", "ITEM_ID", "ACTION_ID")
MAX_ID_LENGTH = 256
MAX_CATEGORICAL_LENGTH = 1000
_REQUIRED_FIELDS = {
    "INTERACTIONS": {"USER_ID": {"string"}, "ITEM_ID": {"string"}, "TIMESTAMP": {"long", "int"}},
    "ITEMS": {"ITEM_ID": {"string"}},
    "USERS": {"USER_ID": {"string"}},
    # Next-Best-Action's datasets: the actions, and who took, turned down or saw them
    "ACTIONS": {"ACTION_ID": {"string"}},
    "ACTION_INTERACTIONS": {
        "USER_ID": {"string"},
        "ACTION_ID": {"string"},
        "TIMESTAMP": {"long", "int"},
        "EVENT_TYPE": {"string"},
    },
}
# Reserved keywords: optional, but of this type when present (EVENT_VALUE and RECOMMENDATION_ID
# may also be null); none of them may be categorical.
_RESERVED_FIELDS = {
    "INTERACTIONS": {
        "EVENT_TYPE": "string",
        "EVENT_VALUE": "float",
        "IMPRESSION": "string",
        "RECOMMENDATION_ID": "string",
    },
    "ITEMS": {"CREATION_TIMESTAMP": "long"},
    "USERS": {},
    "ACTIONS": {"CREATION_TIMESTAMP": "long", "EXPIRATION_TIMESTAMP": "long"},
    "ACTION_INTERACTIONS": {},
}
_NULLABLE_RESERVED = {"EVENT_VALUE", "RECOMMENDATION_ID"}


@dataclass(frozen=True)
class Field:
    """One field of an Avro dataset schema, and how a CSV cell or a property becomes its value."""

    name: str
    type: str  # one of _PRIMITIVES
    nullable: bool
    categorical: bool = False  # schema flags the service checks (domain fields, textual on Items only)
    textual: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "long", "float", "double")

    @property
    def may_be_absent(self) -> bool:
        """Whether an import file may leave this field's column out (null, or inferred)."""
        return self.nullable or self.name.upper() in _INFERRED_WHEN_EMPTY

    def parse(self, text: str):
        """A CSV cell as the field's value; None for an empty cell of a nullable field. An empty
        cell of a non-null string is an empty string, except in an id field, which every record
        needs; a non-null number or boolean cannot be empty (CREATION_TIMESTAMP is inferred)."""
        if text == "":
            if self.name.upper() in _ID_FIELDS and not self.nullable:
                raise ValueError(f"{self.name} is empty: every record needs a {self.name}")
            if self.may_be_absent or self.type == "string":
                return None
            raise ValueError(f"{self.name} is empty, and its schema type {self.type!r} does not allow null")
        if self.type in ("int", "long"):
            try:
                number = int(text)
            except ValueError:
                value = float(text)  # "1.6e9" style timestamps are accepted, fractions are not
                if not value.is_integer():
                    raise ValueError(f"{self.name} {text!r} is not an integer") from None
                number = int(value)
            low, high = _INTEGER_RANGES[self.type]
            if not low <= number <= high:
                raise ValueError(f"{self.name} {text!r} is out of range for an Avro {self.type}")
            if self.name.upper() in _TIMESTAMP_FIELDS and not 0 <= number <= MAX_SECONDS:
                raise ValueError(
                    f"{self.name} {text!r} is not a Unix time in seconds (milliseconds need dividing by 1000)"
                )
            return number
        if self.type in ("float", "double"):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(f"{self.name} {text!r} is not a finite number")
            return value
        if self.type == "boolean":
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError(f"{self.name} {text!r} is not true or false")
            return lowered == "true"
        # "Length cannot be more than <character limit> characters for <COLUMN_NAME>": the service's
        # words ("Common error messages"), then the value
        if self.name.upper() in _ID_FIELDS and len(text) > MAX_ID_LENGTH:
            raise ValueError(
                f"Length cannot be more than {MAX_ID_LENGTH} characters for {self.name} "
                f"({text[:40]!r}... has {len(text)})"
            )
        if self.categorical and len(text) > MAX_CATEGORICAL_LENGTH:
            raise ValueError(
                f"Length cannot be more than {MAX_CATEGORICAL_LENGTH} characters for {self.name} "
                f"({text[:40]!r}... has {len(text)}; the limit of a categorical value)"
            )
        return text


@dataclass(frozen=True)
class Schema:
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((field for field in self.fields if field.name == name), None)

    def metadata_fields(self, dataset_type: str) -> tuple[Field, ...]:
        """The fields that are neither required nor reserved keywords of `dataset_type`: metadata."""
        special = {*_REQUIRED_FIELDS[dataset_type], *_RESERVED_FIELDS[dataset_type]}
        return tuple(field for field in self.fields if field.name.upper() not in special)

    def check_dataset_type(self, dataset_type: str, domain: str | None = None) -> None:
        """The service's rules: the id/timestamp fields with the right types, reserved keywords of
        their types and never categorical, textual fields only for Items, metadata for Items/Users,
        and a domain's own required fields."""
        for name, allowed in _REQUIRED_FIELDS[dataset_type].items():
            field = self.field(name)
            if field is None or field.type not in allowed or field.nullable:
                raise invalid_input(
                    f"a {dataset_type} schema needs a non-null {name} field of type {'/'.join(sorted(allowed))}"
                )
            if field.categorical:
                raise invalid_input(f"the required field {name} cannot be categorical")
        for name, type_ in _RESERVED_FIELDS[dataset_type].items():
            field = self.field(name)
            if field is None:
                continue
            if field.type != type_ or (field.nullable and name not in _NULLABLE_RESERVED):
                nullable = ' or ["null", ...]' if name in _NULLABLE_RESERVED else ""
                raise invalid_input(f"the reserved field {name} must be of type {type_!r}{nullable}")
            if field.categorical:
                raise invalid_input(f"the reserved field {name} cannot be categorical")
        if dataset_type != "ITEMS" and (textual := next((f for f in self.fields if f.textual), None)):
            raise invalid_input(f"{textual.name} is textual: only an Items schema may have textual fields")
        if domain is not None:
            check_domain_dataset(self, domain, dataset_type)
        if dataset_type in ("ITEMS", "USERS") and len(self.fields) < 2:
            raise invalid_input(f"a {dataset_type} schema needs at least one metadata field besides the id")


def parse_schema(text: str) -> Schema:
    """Parse and check an Avro record schema as CreateSchema receives it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise invalid_input(f"schema is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("type") != "record":
        raise invalid_input('schema must be an Avro record: {"type": "record", "fields": [...]}')
    raw_fields = document.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise invalid_input("schema needs a non-empty fields list")
    fields, seen = [], set()
    for raw in raw_fields:
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise invalid_input(f"schema field {raw!r} needs a name made of letters, digits and _")
        if name.upper() in seen:
            raise invalid_input(f"schema field {name} is defined twice")
        seen.add(name.upper())
        type_, nullable = _field_type(name, raw.get("type"))
        flags = {flag: raw.get(flag, False) for flag in ("categorical", "textual")}
        for flag, value in flags.items():
            if not isinstance(value, bool):
                raise invalid_input(f"schema field {name}: {flag} must be true or false, not {value!r}")
            if value and type_ != "string":
                raise invalid_input(f"schema field {name} is {flag}, which only a string field can be")
        fields.append(Field(name, type_, nullable, **flags))
    return Schema(tuple(fields))


def _field_type(name: str, raw_type) -> tuple[str, bool]:
    """A primitive, a union of one primitive (["string"]), or one with null in either order."""
    if isinstance(raw_type, str) and raw_type in _PRIMITIVES:
        return raw_type, False
    if isinstance(raw_type, list) and len(raw_type) == len(set(map(str, raw_type))):
        others = [entry for entry in raw_type if entry != "null"]
        if len(others) == 1 and others[0] in _PRIMITIVES:
            return others[0], len(raw_type) == 2
    raise invalid_input(
        f"schema field {name} has unsupported type {raw_type!r}: use one of {sorted(_PRIMITIVES)},"
        ' ["<type>"], or a union with "null"'
    )


# Domain dataset groups: each dataset type's required fields and reserved keywords, as the
# developer guide's "ECOMMERCE / VIDEO_ON_DEMAND datasets and schemas" tables give them. A value is
# (allowed Avro types, kind): "categorical" and "textual" strings must carry that attribute, and a
# reserved plain string must not be categorical.
_CATEGORICAL, _TEXTUAL, _PLAIN = "categorical", "textual", "plain"
_STRING = ({"string"}, _PLAIN)
_NUMBER = ({"float", "double", "int", "long"}, _PLAIN)
_TIME = ({"long", "int", "float", "double"}, _PLAIN)
_CATEGORY = ({"string"}, _CATEGORICAL)
_TEXT = ({"string"}, _TEXTUAL)
_INTERACTIONS_RESERVED = {
    "EVENT_VALUE": _NUMBER,
    "IMPRESSION": _STRING,
    "RECOMMENDATION_ID": _STRING,
    "EVENT_ATTRIBUTION_SOURCE": _STRING,
}
_INTERACTIONS_REQUIRED = {
    "USER_ID": _STRING,
    "ITEM_ID": _STRING,
    "TIMESTAMP": ({"long"}, _PLAIN),
    "EVENT_TYPE": _STRING,
}
DOMAIN_FIELDS = {
    "ECOMMERCE": {
        "INTERACTIONS": (_INTERACTIONS_REQUIRED, _INTERACTIONS_RESERVED),
        "ITEMS": (
            {"ITEM_ID": _STRING, "PRICE": _NUMBER, "CATEGORY_L1": _CATEGORY},
            {
                "CATEGORY_L2": _CATEGORY,
                "CATEGORY_L3": _CATEGORY,
                "PRODUCT_DESCRIPTION": _TEXT,
                "CREATION_TIMESTAMP": _TIME,
                "AGE_GROUP": _CATEGORY,
                "ADULT": _CATEGORY,
                "GENDER": _CATEGORY,
            },
        ),
        "USERS": ({"USER_ID": _STRING}, {}),
    },
    "VIDEO_ON_DEMAND": {
        "INTERACTIONS": (_INTERACTIONS_REQUIRED, _INTERACTIONS_RESERVED),
        "ITEMS": (
            {"ITEM_ID": _STRING, "GENRES": _CATEGORY, "CREATION_TIMESTAMP": _TIME},
            {
                "PRICE": _NUMBER,
                "DURATION": _NUMBER,
                "GENRE_L2": _CATEGORY,
                "GENRE_L3": _CATEGORY,
                "AVERAGE_RATING": _NUMBER,
                "PRODUCT_DESCRIPTION": _TEXT,
                "CONTENT_OWNER": _CATEGORY,
                "CONTENT_CLASSIFICATION": _CATEGORY,
            },
        ),
        "USERS": ({"USER_ID": _STRING}, {"SUBSCRIPTION_MODEL": _CATEGORY}),
    },
}


def check_domain_dataset(schema: Schema, domain: str, dataset_type: str) -> None:
    """The domain's rules for a dataset of `dataset_type`: every required field present with its
    type (and categorical / textual where required), and reserved keywords used only as defined."""
    required, reserved = DOMAIN_FIELDS[domain][dataset_type]
    label = f"a {domain} {dataset_type} schema"
    for name, rule in required.items():
        field = schema.field(name)
        if field is None:
            raise invalid_input(f"{label} needs the field {name} ({_describe(rule)})")
        _check_rule(field, rule, label)
    for name, rule in reserved.items():
        field = schema.field(name)
        if field is not None:
            _check_rule(field, rule, label)


def _describe(rule: tuple[set[str], str]) -> str:
    types, kind = rule
    return ("" if kind == _PLAIN else kind + " ") + "/".join(sorted(types))


def _check_rule(field: Field, rule: tuple[set[str], str], label: str) -> None:
    types, kind = rule
    if (
        field.type not in types
        or (kind == _CATEGORICAL) != field.categorical
        or (kind == _TEXTUAL and not field.textual)
    ):
        raise invalid_input(f"in {label}, {field.name} must be {_describe(rule)}")
