"""The intrinsic-function resolver follows CloudFormation's rules, on small templates and on template.yaml."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from allstore.local.intrinsics import NO_VALUE, Resolver, TemplateError
from allstore.local.provision import expand_sam
from allstore.local.template import load_template

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Name": {"Type": "String", "Default": "shop"},
        "Existing": {"Type": "String", "Default": ""},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
        "Required": {"Type": "String"},
    },
    "Conditions": {
        "HasExisting": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Existing"}, ""]}]},
        "IsShop": {"Fn::Equals": [{"Ref": "Name"}, "shop"]},
        "Both": {"Fn::And": [{"Condition": "IsShop"}, {"Condition": "HasExisting"}]},
        "Either": {"Fn::Or": [{"Condition": "IsShop"}, {"Condition": "HasExisting"}]},
    },
    "Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}},
}


def lookup(logical_id: str, attribute: str | None) -> str:
    if logical_id != "Table":
        raise TemplateError(f"unknown resource {logical_id}")
    return "shop-table" if attribute is None else f"arn:table/{attribute}"


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        TEMPLATE, lookup, parameters={"Required": "given"}, region="eu-west-1", account_id="111122223333"
    )


def test_ref_of_parameters_pseudo_parameters_and_resources(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Name"}) == "shop"
    assert resolver.resolve({"Ref": "Required"}) == "given"
    assert resolver.resolve({"Ref": "Zones"}) == ["a", "b"]
    assert resolver.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == "111122223333"
    assert resolver.resolve({"Ref": "Table"}) == "shop-table"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "StreamArn"]}) == "arn:table/StreamArn"
    assert resolver.resolve({"Fn::GetAtt": "Table.Arn"}) == "arn:table/Arn"


def test_a_parameter_without_value_or_default_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Required"):
        Resolver(TEMPLATE, lookup).resolve({"Ref": "Required"})
    with pytest.raises(TemplateError, match="unknown parameter"):
        Resolver(TEMPLATE, lookup).parameter("Nope")


def test_sub_with_parameters_attributes_variables_and_escapes(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${Name}/${Table.Arn}"}) == (
        "arn:aws:x:eu-west-1:shop/arn:table/Arn"
    )
    assert resolver.resolve({"Fn::Sub": ["${Path}-${Name}", {"Path": {"Ref": "Table"}}]}) == "shop-table-shop"
    assert resolver.resolve({"Fn::Sub": "literal ${!NotAVariable}"}) == "literal ${NotAVariable}"


def test_conditions_if_and_no_value(resolver: Resolver) -> None:
    assert resolver.condition("IsShop") is True
    assert resolver.condition("HasExisting") is False
    assert resolver.condition("Both") is False
    assert resolver.condition("Either") is True
    assert resolver.resolve({"Fn::If": ["HasExisting", "yes", "no"]}) == "no"
    value = {"Keep": 1, "Drop": {"Fn::If": ["HasExisting", "x", {"Ref": "AWS::NoValue"}]}}
    assert resolver.resolve(value) == {"Keep": 1}
    assert resolver.resolve(["a", {"Ref": "AWS::NoValue"}, "b"]) == ["a", "b"]
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_select_split_join_base64_getazs(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": ["s3://", "s3://bucket/key"]}]}) == "bucket/key"
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Name"}]]}) == "a-shop"
    assert resolver.resolve({"Fn::Base64": {"Fn::Sub": "${Name}"}}) == base64.b64encode(b"shop").decode()
    assert resolver.resolve({"Fn::Select": [0, {"Fn::GetAZs": ""}]}) == "eu-west-1a"
    with pytest.raises(TemplateError, match="out of range"):
        resolver.resolve({"Fn::Select": [5, ["a"]]})


def test_unknown_functions_and_conditions_are_errors(resolver: Resolver) -> None:
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        resolver.resolve({"Fn::ImportValue": "x"})
    with pytest.raises(TemplateError, match="unknown condition"):
        resolver.condition("Nope")


def test_every_value_of_template_yaml_resolves() -> None:
    """Every function's properties and every output of the real template resolve locally."""
    template = expand_sam(load_template())

    def placeholder(logical_id: str, attribute: str | None) -> str:
        assert logical_id in template["Resources"], logical_id
        return logical_id if attribute is None else f"{logical_id}.{attribute}"

    resolver = Resolver(template, placeholder)
    for resource in template["Resources"].values():
        resolver.resolve(resource.get("Properties", {}))
    outputs = {name: resolver.resolve(output["Value"]) for name, output in template["Outputs"].items()}
    assert outputs["GetRecommendationsFunctionArn"] == "GetRecommendationsFunction.Arn"
    setup = resolver.resolve(template["Resources"]["SetupFunction"]["Properties"])
    assert setup["FunctionName"] == "allstore-setup"
    resources = setup["Policies"][0]["Statement"][0]["Resource"]
    assert "arn:aws:s3:::public-personalize-demo-assets-us-east-1/webui.zip" in resources


def test_expand_sam_merges_globals_and_adds_implicit_roles() -> None:
    template = expand_sam(load_template())
    search = template["Resources"]["SearchFunction"]["Properties"]
    assert search["Runtime"] == "python3.13" and search["Handler"] == "app.lambda_handler"
    variables = search["Environment"]["Variables"]
    assert variables["LOG_LEVEL"] == "INFO" and variables["SEARCH_INDEX"] == "items"
    assert search["Role"] == {"Fn::GetAtt": ["SearchFunctionRole", "Arn"]}
    role = template["Resources"]["SearchFunctionRole"]
    assert role["Type"] == "AWS::IAM::Role"
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(statement.get("Action") == "personalize:GetPersonalizedRanking" for statement in statements)
