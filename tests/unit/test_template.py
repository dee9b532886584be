"""The SAM template defines every resource of the original stack, modernised and least-privilege."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from allstore.local.template import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]


def resources_of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == resource_type}


FUNCTIONS = resources_of_type("AWS::Serverless::Function")


def policy_statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in function["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, (
            "only inline statements, no managed policies"
        )
        statements.extend(policy["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_parameters_match_the_original() -> None:
    parameters = TEMPLATE["Parameters"]
    for name in (
        "ProjectName",
        "ProductSource",
        "UserSource",
        "InteractionSource",
        "WebSource",
        "ExistingBaseCampaignName",
        "ExistingSearchCampaignName",
        "ExistingSimsCampaignName",
        "ExistingTrackingId",
    ):
        assert name in parameters
    pattern = re.compile(parameters["ProjectName"]["AllowedPattern"])
    assert pattern.match("allstore") and pattern.match("abcdefghijkl")
    assert not pattern.match("abcdefghijklm") and not pattern.match("All") and not pattern.match("a1")
    for name in ("ExistingBaseCampaignName", "ExistingSearchCampaignName", "ExistingSimsCampaignName"):
        assert parameters[name]["Default"] == ""


def test_api_routes() -> None:
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"]): name
        for name, function in FUNCTIONS.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    }
    assert routes == {
        ("get", "/items/{id}"): "GetItemFunction",
        ("get", "/items"): "ListItemsFunction",
        ("get", "/recommendations"): "GetRecommendationsFunction",
        ("get", "/recommendations/{userId}"): "GetRecommendationsFunction",
        ("get", "/recommendationsitem/{itemId}"): "GetItemRecommendationsFunction",
        ("get", "/search"): "SearchFunction",
        ("get", "/session"): "GetSessionFunction",
        ("get", "/description"): "GetDescriptionFunction",
        ("get", "/categories"): "ListCategoriesFunction",
    }
    assert RESOURCES["StoreApi"]["Properties"]["StageName"] == "Prod"


def test_every_function_runs_python_313_on_arm_with_the_shared_layer() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    assert RESOURCES["CommonLayer"]["Properties"]["ContentUri"] == "functions/common/"
    for function in FUNCTIONS.values():
        assert "Runtime" not in function["Properties"] or function["Properties"]["Runtime"] == "python3.13"
    assert len(FUNCTIONS) == 11


@pytest.mark.parametrize(
    ("function", "event_type", "stream"),
    [
        ("UpdateSearchClusterFunction", "DynamoDB", {"Fn::GetAtt": ["ItemsTable", "StreamArn"]}),
        ("PostClickEventFunction", "Kinesis", {"Fn::GetAtt": ["ClickStream", "Arn"]}),
    ],
)
def test_stream_event_sources_report_partial_failures(function: str, event_type: str, stream: Any) -> None:
    (event,) = FUNCTIONS[function]["Properties"]["Events"].values()
    properties = event["Properties"]
    assert event["Type"] == event_type
    assert properties["Stream"] == stream
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]},
    }
    if function == "UpdateSearchClusterFunction":
        assert properties["BatchSize"] == 100


def test_tables() -> None:
    items = RESOURCES["ItemsTable"]["Properties"]
    assert items["KeySchema"] == [{"AttributeName": "asin", "KeyType": "HASH"}]
    assert items["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    indexes = {index["IndexName"]: index["KeySchema"] for index in items["GlobalSecondaryIndexes"]}
    assert indexes["category-index"][0] == {"AttributeName": "category", "KeyType": "HASH"}
    assert indexes["popular-index"][1] == {"AttributeName": "popularity", "KeyType": "RANGE"}
    users = RESOURCES["UsersTable"]["Properties"]
    assert users["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    categories = RESOURCES["CategoriesTable"]["Properties"]
    assert categories["KeySchema"] == [{"AttributeName": "category", "KeyType": "HASH"}]
    assert "GlobalSecondaryIndexes" not in categories and "StreamSpecification" not in categories
    for table in (items, users, categories):
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["SSESpecification"]["SSEEnabled"] is True


def test_search_domain_is_private_encrypted_and_names_its_two_roles() -> None:
    domain = RESOURCES["SearchDomain"]["Properties"]
    assert domain["EngineVersion"].startswith("OpenSearch_")
    assert domain["VPCOptions"]["SubnetIds"]
    assert domain["EncryptionAtRestOptions"]["Enabled"] is True
    assert domain["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"] is True
    principals = [statement["Principal"]["AWS"] for statement in domain["AccessPolicies"]["Statement"]]
    assert principals == [
        {"Fn::GetAtt": ["SearchFunctionRole", "Arn"]},
        {"Fn::GetAtt": ["UpdateSearchClusterFunctionRole", "Arn"]},
    ]
    assert "*" not in json.dumps(principals)


def test_least_privilege() -> None:
    text = json.dumps(TEMPLATE)
    assert "AdministratorAccess" not in text
    for name, function in FUNCTIONS.items():
        statements = policy_statements(function)
        assert statements, f"{name} has no policy of its own"
        for statement in statements:
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), f"{name} allows {action}"
    # Which actions may be granted on "*" (only those taking no resource): tests/unit/iam/test_parliament.py
    for name, role in resources_of_type("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], name
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in as_list(statement["Action"]):
                    assert action != "*" and not action.endswith(":*"), f"{name} allows {action}"


def test_the_categories_route_may_only_scan_the_categories_table() -> None:
    """GET /categories reads one table whole; nothing else, not even the Items table."""
    function = FUNCTIONS["ListCategoriesFunction"]
    assert policy_statements(function) == [
        {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": {"Fn::GetAtt": ["CategoriesTable", "Arn"]}}
    ]
    assert function["Properties"]["Environment"]["Variables"]["CATEGORIES_TABLE"] == {
        "Ref": "CategoriesTable"
    }
    loader = RESOURCES["InitItemTable"]["Properties"]
    assert loader["CategoriesTable"] == {"Ref": "CategoriesTable"}
    grants = [
        statement
        for name, other in FUNCTIONS.items()
        for statement in policy_statements(other)
        if "CategoriesTable" in json.dumps(statement["Resource"])
    ]
    assert {json.dumps(as_list(statement["Action"])) for statement in grants} == {
        '["dynamodb:Scan"]',
        '["dynamodb:Scan", "dynamodb:BatchWriteItem"]',  # the loader: reads the keys, replaces the rows
    }


def test_setup_function_may_invoke_only_itself() -> None:
    setup = FUNCTIONS["SetupFunction"]
    invoke = [s for s in policy_statements(setup) if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert len(invoke) == 1
    assert setup["Properties"]["FunctionName"] == {"Fn::Sub": "${ProjectName}-setup"}
    assert invoke[0]["Resource"]["Fn::Sub"].endswith(":function:${ProjectName}-setup")
    other_invokes = [
        name
        for name, function in FUNCTIONS.items()
        if name != "SetupFunction"
        and any("lambda:InvokeFunction" in as_list(s["Action"]) for s in policy_statements(function))
    ]
    assert other_invokes == []


def test_visitors_may_only_put_click_events() -> None:
    role = RESOURCES["UnauthenticatedVisitorRole"]["Properties"]
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "kinesis:PutRecord"
    assert statement["Resource"] == {"Fn::GetAtt": ["ClickStream", "Arn"]}
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert (
        trust["Condition"]["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"]
        == "unauthenticated"
    )


def test_custom_resources_run_on_the_setup_function() -> None:
    expected = {
        "InitItemTable": "Custom::ProductData",
        "InitUserTable": "Custom::UserData",
        "InitStagingBucket": "Custom::S3Copy",
        "InitWebAssets": "Custom::WebAssets",
    }
    for name, resource_type in expected.items():
        assert RESOURCES[name]["Type"] == resource_type
        assert RESOURCES[name]["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["SetupFunction", "Arn"]}
    assert RESOURCES["InitItemTable"]["Properties"]["Shards"] >= 1


def test_web_hosting_keeps_spa_routing_off_the_api() -> None:
    distribution = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]
    assert "CustomErrorResponses" not in distribution, "error rewrites would turn API 404s into index.html"
    (api_behaviour,) = distribution["CacheBehaviors"]
    assert api_behaviour["PathPattern"] == "/Prod/*"
    assert api_behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    web_origin = next(origin for origin in distribution["Origins"] if origin["Id"] == "web")
    assert "OriginAccessControlId" in web_origin
    assert distribution["DefaultCacheBehavior"]["FunctionAssociations"][0]["EventType"] == "viewer-request"
    assert "BucketName" not in RESOURCES["StagingBucket"]["Properties"]


def test_notebook_exports_the_workshop_environment() -> None:
    script = RESOURCES["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"]["Fn::Base64"]["Fn::Sub"]
    for variable in (
        "CF_STACK_NAME",
        "LAMBDA_GETITEMRECS_ARN",
        "LAMBDA_GETRECS_ARN",
        "LAMBDA_RERANK_ARN",
        "LAMBDA_POSTCLICK_ARN",
        "STAGING_BUCKET",
    ):
        assert f"export {variable}=" in script
    notebook = RESOURCES["NotebookInstance"]["Properties"]
    assert notebook["DefaultCodeRepository"] == {  # optional: the workshop comes from WorkshopSource
        "Fn::If": ["HasNotebookRepository", {"Ref": "NotebookRepository"}, {"Ref": "AWS::NoValue"}]
    }


def test_outputs() -> None:
    outputs = TEMPLATE["Outputs"]
    for name in (
        "WebsiteURL",
        "ApiURL",
        "Apitree",
        "AnonymousPoolId",
        "StreamName",
        "StagingBucket",
        "WebBucket",
    ):
        assert name in outputs


def test_checkov_skips_carry_a_reason() -> None:
    for name, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "")) > 20, f"{name} skips {skip['id']} without a reason"
