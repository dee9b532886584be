"""The filter expression parser and evaluator on their own (no server)."""

from __future__ import annotations

import numpy as np
import pytest

from allstore.personalize.errors import ServiceError
from allstore.personalize.filters import (
    BoolOp,
    CatalogueIndex,
    Condition,
    FilterContext,
    allowed_items,
    parse_filter,
    parse_filter_values,
)

ITEMS = np.array(["a", "b", "c", "d"])
METADATA = {
    "a": {"GENRE": "Comedy|Drama", "PRICE": 5.0},
    "b": {"GENRE": "Drama", "PRICE": 15.0},
    "c": {"GENRE": "Horror", "PRICE": 25.0},
    "d": {"PRICE": 8.0},
}


def allowed(expression: str, interactions=None, params=None, current_item=None) -> list[str]:
    context = FilterContext(
        CatalogueIndex(ITEMS, METADATA),
        interactions or {},
        parse_filter_values(params),
        current_item=current_item,
    )
    return ITEMS[allowed_items(parse_filter(expression), context)].tolist()


def test_parse_builds_the_tree_with_and_binding_tighter_than_or() -> None:
    expression = parse_filter(
        'include itemid where Items.GENRE IN ("Drama") OR Items.PRICE < 10 AND Items.PRICE > 6'
    )
    where = expression.statements[0].where
    assert isinstance(where, BoolOp) and where.operator == "OR"
    assert isinstance(where.operands[1], BoolOp) and where.operands[1].operator == "AND"
    assert isinstance(where.operands[0], Condition) and where.operands[0].field == "GENRE"


def test_item_conditions() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.GENRE IN ("Drama")') == ["a", "b"]  # multi-valued a|b fields
    assert allowed('EXCLUDE ItemID WHERE Items.GENRE NOT IN ("Drama", "Horror")') == ["a", "b", "c"]
    assert allowed("INCLUDE ItemID WHERE Items.PRICE >= 8 AND Items.PRICE <= 15") == ["b", "d"]
    assert allowed('INCLUDE ItemID WHERE (Items.GENRE = "Horror" OR Items.PRICE < 6)') == ["a", "c"]
    assert allowed('INCLUDE ItemID WHERE Items.ITEM_ID IN ("b", "d")') == ["b", "d"]


def test_interactions_parameters_chains_and_current_item() -> None:
    history = {"click": ["a"], "purchase": ["c"]}
    assert allowed('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")', history) == ["a", "b", "d"]
    assert allowed('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', history) == ["b", "d"]
    chain = (
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") | INCLUDE ItemID WHERE Items.GENRE IN ($G)'
    )
    assert allowed(chain, history, {"G": '"Drama","Horror"'}) == ["b", "c"]
    assert allowed(chain, history) == ["b", "c", "d"]  # a missing parameter drops its condition
    same = "INCLUDE ItemID WHERE Items.GENRE IN (CurrentItem.GENRE)"
    assert allowed(same, current_item=METADATA["b"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected INCLUDE or EXCLUDE, found the end"),
        ("INCLUDE ItemID WHERE Items.GENRE IN ()", 'a "quoted value"'),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("x") AND', "expected Items or Interactions"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("x") extra', "expected '|' or the end"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("x") ~', "unexpected character at position 42"),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE > "x"', "EVENT_TYPE IN"),
        ("INCLUDE ItemID WHERE Users.AGE > 3", "expected Items or Interactions"),
        ('INCLUDE UserID WHERE Items.GENRE IN ("x")', "expected Users or Interactions"),
        (
            'INCLUDE ActionID WHERE Interactions.EVENT_TYPE IN ("x")',
            "expected Actions or Action_Interactions",
        ),
        ('INCLUDE ActionID WHERE Action_Interactions.ACTION_ID = "x"', "Action_Interactions.EVENT_TYPE IN"),
        ("INCLUDE UserID WHERE Users.AGE > 3 IF CurrentUser.AGE > 3", "expected '|' or the end"),
        ('EXCLUDE ItemID WHERE Items.GENRE IN ("x") | EXCLUDE UserID WHERE Users.AGE > 3', "one kind"),
    ],
)
def test_bad_expressions(expression: str, message: str) -> None:
    with pytest.raises(ServiceError) as raised:
        parse_filter(expression)
    assert raised.value.code == "InvalidInputException"
    assert message in raised.value.message


def test_filter_values_parsing() -> None:
    assert parse_filter_values({"$G": '"Comedy", "Drama"', "P": "10"}) == {
        "G": ["Comedy", "Drama"],
        "P": ["10"],
    }
    with pytest.raises(ServiceError):
        parse_filter_values({"G": ""})


def test_user_and_action_filters_evaluate_over_their_own_catalogue() -> None:
    """UserID filters read Users metadata and who has interactions of an event type; ActionID
    filters read Actions metadata (a comparison may put its value in parentheses) and the user's
    action interactions, with CurrentUser conditions as for items."""
    users = CatalogueIndex(np.array(["u1", "u2", "u3"]), {"u1": {"AGE": 30}, "u2": {"AGE": 12}}, "USER_ID")
    expression = parse_filter(
        'EXCLUDE UserID WHERE Users.AGE < $AGE | EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("buy")'
    )
    assert expression.target == "UserID" and expression.metadata_fields() == {"AGE"}
    mask = allowed_items(expression, FilterContext(users, {"buy": ["u3"]}, {"AGE": ["18"]}))
    assert users.items[mask].tolist() == ["u1"]
    actions = CatalogueIndex(
        np.array(["join", "app", "card"]),
        {"join": {"VALUE": 10}, "app": {"VALUE": 1}, "card": {"VALUE": 5}},
        "ACTION_ID",
    )
    expression = parse_filter('INCLUDE ActionID WHERE Actions.VALUE > ($VALUE) IF CurrentUser.TIER = "gold"')
    gold = FilterContext(actions, {}, {"VALUE": ["4"]}, current_user={"TIER": "gold"})
    assert actions.items[allowed_items(expression, gold)].tolist() == ["join", "card"]
    silver = FilterContext(actions, {}, {"VALUE": ["4"]}, current_user={"TIER": "silver"})
    assert actions.items[allowed_items(expression, silver)].tolist() == ["join", "app", "card"]
    taken = parse_filter(
        'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("TAKEN") OR Actions.ACTION_ID = "app"'
    )
    context = FilterContext(actions, {"TAKEN": ["join"], "VIEWED": ["card"]}, {})
    assert actions.items[allowed_items(taken, context)].tolist() == ["card"]
