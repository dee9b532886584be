"""Personalize filter expressions: a tokenizer, a recursive-descent parser and a numpy evaluator.

Grammar (keywords are case-insensitive):

    expression := statement ("|" statement)*          (every statement of one target)
    statement  := ("INCLUDE" | "EXCLUDE") TARGET "WHERE" or_expr ["IF" user_condition]
    TARGET     := "ItemID" | "UserID" | "ActionID"
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := primary ("AND" primary)*
    primary    := "(" or_expr ")" | condition
    condition  := DATASET "." FIELD (["NOT"] "IN" "(" value ("," value)* ")" | OP value | OP "(" value ")")
    DATASET    := ItemID: "Items" | "Interactions";  UserID: "Users" | "Interactions";
                  ActionID: "Actions" | "Action_Interactions"
    user_condition := "CurrentUser" "." FIELD (["NOT"] "IN" "(" values ")" | OP value)   (not for UserID)
    value      := "string" | number | $PARAM | "CurrentItem" "." FIELD
    OP         := "=" | "!=" | "<" | "<=" | ">" | ">="

The developer guide's filters: items (recommendations, rankings), users (batch segment jobs: users'
metadata, or having interactions of an event type) and actions (GetActionRecommendations: actions'
metadata, the user's action interactions). Statements apply in order: INCLUDE keeps only the matching
entities, EXCLUDE drops them. A condition whose $PARAM the request leaves out is ignored, as the
service ignores it. Conditions evaluate to boolean masks over the model's catalogue (its items, users
or actions), cached per (field, operator, values), so a filtered request costs a few vectorised ANDs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from allstore.personalize.errors import invalid_input

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[().,|])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_SPELLING = {
    "ITEMID": "ItemID",
    "USERID": "UserID",
    "ACTIONID": "ActionID",
    "ITEMS": "Items",
    "USERS": "Users",
    "ACTIONS": "Actions",
    "INTERACTIONS": "Interactions",
    "ACTION_INTERACTIONS": "Action_Interactions",
    "CURRENTUSER": "CurrentUser",
}
# What each target filters on: (its metadata dataset, its interactions dataset).
DATASETS = {
    "ItemID": ("Items", "Interactions"),
    "UserID": ("Users", "Interactions"),
    "ActionID": ("Actions", "Action_Interactions"),
}
INTERACTION_DATASETS = ("Interactions", "Action_Interactions")
ID_FIELDS = {"ItemID": "ITEM_ID", "UserID": "USER_ID", "ActionID": "ACTION_ID"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Value:
    literal: str | float | None = None
    param: str | None = None  # without the $
    current_item_field: str | None = None


@dataclass(frozen=True)
class Condition:
    dataset: str  # "Items", "Users", "Actions", "Interactions", "Action_Interactions", "CurrentUser"
    field: str
    operator: str  # "IN", "NOT IN" or a comparison
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BoolOp:
    operator: str  # "AND" / "OR"
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    action: str  # "INCLUDE" / "EXCLUDE"
    where: Any  # Condition | BoolOp
    user_condition: Condition | None
    target: str = "ItemID"  # "ItemID", "UserID" or "ActionID"


@dataclass(frozen=True)
class FilterExpression:
    statements: tuple[Statement, ...]

    @property
    def target(self) -> str:
        """What the filter filters: ItemID, UserID or ActionID (one per expression)."""
        return self.statements[0].target

    @property
    def parameters(self) -> set[str]:
        found: set[str] = set()
        for statement in self.statements:
            for condition in _conditions(statement.where):
                found.update(value.param for value in condition.values if value.param)
            if statement.user_condition:
                found.update(value.param for value in statement.user_condition.values if value.param)
        return found

    def metadata_fields(self) -> set[str]:
        """The fields of the target's metadata dataset (Items, Users or Actions) the filter reads."""
        dataset = DATASETS[self.target][0]
        return {
            condition.field
            for statement in self.statements
            for condition in _conditions(statement.where)
            if condition.dataset == dataset
        }


def _conditions(node) -> list[Condition]:
    if isinstance(node, Condition):
        return [node]
    return [condition for operand in node.operands for condition in _conditions(operand)]


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while True:
        position = len(text) - len(text[position:].lstrip())
        if position >= len(text):
            return tokens
        match = _TOKEN.match(text, position)
        if match is None:
            raise invalid_input(
                f"filter expression: unexpected character at position {position}: {text[position : position + 20]!r}"
            )
        kind = match.lastgroup
        assert kind is not None
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()


class _Parser:
    """Recursive descent over the tokens of one filter expression (the service's grammar)."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def error(self, expected: str) -> Exception:
        token = self.peek()
        found = f"{token.text!r} at position {token.position}" if token else "the end of the expression"
        return invalid_input(f"filter expression: expected {expected}, found {found}")

    def accept_word(self, *words: str) -> str | None:
        token = self.peek()
        if token and token.kind == "word" and token.text.upper() in words:
            self.index += 1
            return token.text.upper()
        return None

    def expect_word(self, *words: str) -> str:
        word = self.accept_word(*words)
        if word is None:
            raise self.error(" or ".join(_SPELLING.get(word, word) for word in words))
        return word

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.peek()
        if token and token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.accept(kind, text)
        if token is None:
            raise self.error(repr(text) if text else kind)
        return token

    def expression(self) -> FilterExpression:
        statements = [self.statement()]
        while self.accept("punct", "|"):
            token = self.peek()
            statement = self.statement()
            if statement.target != statements[0].target:
                position = token.position if token else 0
                raise invalid_input(
                    f"filter expression: a filter filters one kind of thing: {statement.target} at "
                    f"position {position} after {statements[0].target}"
                )
            statements.append(statement)
        if self.peek() is not None:
            raise self.error("'|' or the end of the expression")
        return FilterExpression(tuple(statements))

    def statement(self) -> Statement:
        action = self.expect_word("INCLUDE", "EXCLUDE")
        target = _SPELLING[self.expect_word("ITEMID", "USERID", "ACTIONID")]
        self.expect_word("WHERE")
        where = self.or_expr(target)
        user_condition = None
        if target != "UserID" and self.accept_word("IF"):
            user_condition = self.condition(("CURRENTUSER",))
        return Statement(action, where, user_condition, target)

    def or_expr(self, target: str):
        operands = [self.and_expr(target)]
        while self.accept_word("OR"):
            operands.append(self.and_expr(target))
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def and_expr(self, target: str):
        operands = [self.primary(target)]
        while self.accept_word("AND"):
            operands.append(self.primary(target))
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def primary(self, target: str):
        if self.accept("punct", "("):
            node = self.or_expr(target)
            self.expect("punct", ")")
            return node
        return self.condition(tuple(name.upper() for name in DATASETS[target]))

    def condition(self, datasets: Sequence[str]) -> Condition:
        dataset = _SPELLING[self.expect_word(*datasets)]
        self.expect("punct", ".")
        field = self.expect("word").text.upper()
        if self.accept_word("NOT"):
            self.expect_word("IN")
            operator = "NOT IN"
        elif self.accept_word("IN"):
            operator = "IN"
        else:
            token = self.accept("op")
            if token is None:
                raise self.error("IN, NOT IN or a comparison")
            operator = token.text
        if operator in ("IN", "NOT IN"):
            self.expect("punct", "(")
            values = [self.value()]
            while self.accept("punct", ","):
                values.append(self.value())
            self.expect("punct", ")")
        elif self.accept("punct", "("):  # Actions.VALUE > ($VALUE), as the developer guide writes it
            values = [self.value()]
            self.expect("punct", ")")
        else:
            values = [self.value()]
        if dataset in INTERACTION_DATASETS and (field != "EVENT_TYPE" or operator not in ("IN", "NOT IN")):
            raise invalid_input(
                f"filter expression: interactions can only be filtered with {dataset}.EVENT_TYPE IN (...)"
            )
        return Condition(dataset, field, operator, tuple(values))

    def value(self) -> Value:
        if token := self.accept("string"):
            return Value(literal=re.sub(r"\\(.)", r"\1", token.text[1:-1]))
        if token := self.accept("number"):
            return Value(literal=float(token.text))
        if token := self.accept("param"):
            return Value(param=token.text[1:])
        if self.accept_word("CURRENTITEM"):
            self.expect("punct", ".")
            return Value(current_item_field=self.expect("word").text.upper())
        raise self.error('a "quoted value", a number, a $PARAMETER or CurrentItem.FIELD')


def parse_filter(text: str) -> FilterExpression:
    """Parse a filterExpression, raising InvalidInputException that says where it went wrong."""
    return _Parser(text).expression()


def parse_filter_values(raw: Mapping[str, str] | None) -> dict[str, list[str]]:
    """filterValues as the runtime API sends them: {"GENRE": "\\"Comedy\\",\\"Drama\\""} → lists."""
    parsed = {}
    for name, text in (raw or {}).items():
        values = [
            match.group(1) if match.group(1) is not None else match.group(2)
            for match in re.finditer(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,"\s][^,]*?))\s*(?:,|$)', text)
        ]
        if not values:
            raise invalid_input(f'filterValues.{name} must be a comma-separated list of "quoted" values')
        parsed[name.lstrip("$").upper()] = [value.replace('\\"', '"') for value in values]
    return parsed


class CatalogueIndex:
    """Item metadata aligned with a model's items, with inverted indexes for IN and numeric arrays
    for comparisons, built lazily per field and reused across requests."""

    def __init__(
        self, items: np.ndarray, metadata: Mapping[str, Mapping[str, Any]], id_field: str = "ITEM_ID"
    ) -> None:
        self.items = items
        self.id_field = id_field  # ITEM_ID, USER_ID or ACTION_ID: a condition on it reads the id
        self.position = {item: index for index, item in enumerate(items.tolist())}
        self.metadata = metadata
        self._postings: dict[str, dict[str, np.ndarray]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._masks: dict[tuple, np.ndarray] = {}

    def _field_postings(self, field: str) -> dict[str, np.ndarray]:
        if field not in self._postings:
            postings: dict[str, list[int]] = {}
            for index, item in enumerate(self.items.tolist()):
                value = item if field == self.id_field else _lookup(self.metadata.get(item, {}), field)
                if value is None:
                    continue
                parts = value.split("|") if isinstance(value, str) else [_text(value)]
                for part in parts:
                    postings.setdefault(part, []).append(index)
            self._postings[field] = {
                value: np.array(rows, dtype=np.int64) for value, rows in postings.items()
            }
        return self._postings[field]

    def _field_numbers(self, field: str) -> np.ndarray:
        if field not in self._numbers:
            column = np.full(len(self.items), np.nan)
            for index, item in enumerate(self.items.tolist()):
                value = _lookup(self.metadata.get(item, {}), field)
                with contextlib.suppress(TypeError, ValueError):
                    column[index] = float(value) if value is not None else np.nan
            self._numbers[field] = column
        return self._numbers[field]

    def mask(self, field: str, operator: str, values: tuple[str, ...]) -> np.ndarray:
        key = (field, operator, values)
        if key not in self._masks:
            mask = np.zeros(len(self.items), dtype=bool)
            if operator in ("IN", "NOT IN", "=", "!="):
                postings = self._field_postings(field)
                for value in values:
                    rows = postings.get(value)
                    if rows is None and _is_number(value):
                        rows = postings.get(_text(float(value)))
                    if rows is not None:
                        mask[rows] = True
                if operator in ("NOT IN", "!="):
                    mask = ~mask
            else:
                numbers = self._field_numbers(field)
                if not _is_number(values[0]):
                    raise invalid_input(f"filter: {field} {operator} needs a number, got {values[0]!r}")
                threshold = float(values[0])
                with np.errstate(invalid="ignore"):
                    mask = {
                        "<": numbers < threshold,
                        "<=": numbers <= threshold,
                        ">": numbers > threshold,
                        ">=": numbers >= threshold,
                    }[operator]
            if len(self._masks) > 1_000:  # many distinct $PARAM values: bound the memory
                self._masks.clear()
            self._masks[key] = mask
        return self._masks[key]


def _lookup(row: Mapping[str, Any], field: str):
    if field in row:
        return row[field]
    upper = {key.upper(): value for key, value in row.items()}
    return upper.get(field)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


@dataclass
class FilterContext:
    """What a request knows: the catalogue (items, users or actions: what the filter filters), the
    interactions by event type, the current item's and user's metadata, and the filterValues."""

    catalogue: CatalogueIndex
    # event type ("" when none) → the catalogue's ids that have such interactions: the items or
    # actions the user interacted with, or (a user filter) the users who interacted
    interactions: Mapping[str, Sequence[str]]
    params: Mapping[str, list[str]]
    current_item: Mapping[str, Any] | None = None
    current_user: Mapping[str, Any] | None = None


def allowed_items(expression: FilterExpression, context: FilterContext) -> np.ndarray:
    """The boolean mask of the catalogue's items (users, actions) the expression lets through."""
    allowed = np.ones(len(context.catalogue.items), dtype=bool)
    for statement in expression.statements:
        if statement.user_condition is not None and not _user_condition_holds(
            statement.user_condition, context
        ):
            continue
        mask = _evaluate(statement.where, context)
        if mask is None:
            continue
        allowed &= mask if statement.action == "INCLUDE" else ~mask
    return allowed


def _evaluate(node, context: FilterContext) -> np.ndarray | None:
    if isinstance(node, BoolOp):
        masks = [
            mask for mask in (_evaluate(operand, context) for operand in node.operands) if mask is not None
        ]
        if not masks:
            return None
        combined = masks[0].copy()
        for mask in masks[1:]:
            combined = combined & mask if node.operator == "AND" else combined | mask
        return combined
    values = _resolve(node.values, context)
    if values is None:
        return None
    if node.dataset in INTERACTION_DATASETS:
        mask = np.zeros(len(context.catalogue.items), dtype=bool)
        wanted = set(values)
        for event_type, item_ids in context.interactions.items():
            if "*" in wanted or event_type in wanted:
                rows = [
                    context.catalogue.position[item]
                    for item in item_ids
                    if item in context.catalogue.position
                ]
                mask[rows] = True
        return ~mask if node.operator == "NOT IN" else mask
    return context.catalogue.mask(node.field, node.operator, tuple(values))


def _resolve(values: Sequence[Value], context: FilterContext) -> list[str] | None:
    """Literal strings for the values; None when a $PARAM is missing (the condition is ignored)."""
    resolved: list[str] = []
    for value in values:
        if value.param is not None:
            if value.param.upper() not in context.params:
                return None
            resolved.extend(context.params[value.param.upper()])
        elif value.current_item_field is not None:
            found = _lookup(context.current_item or {}, value.current_item_field)
            if found is None:
                return None
            resolved.extend(found.split("|") if isinstance(found, str) else [_text(found)])
        else:
            resolved.append(_text(value.literal))
    return resolved


def _user_condition_holds(condition: Condition, context: FilterContext) -> bool:
    actual = _lookup(context.current_user or {}, condition.field)
    values = _resolve(condition.values, context)
    if actual is None or values is None:
        return False
    if condition.operator in ("IN", "NOT IN", "=", "!="):
        found = _text(actual) in values or (
            isinstance(actual, str) and bool(set(actual.split("|")) & set(values))
        )
        return found if condition.operator in ("IN", "=") else not found
    try:
        left, right = float(actual), float(values[0])
    except (TypeError, ValueError):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[
        condition.operator
    ]
