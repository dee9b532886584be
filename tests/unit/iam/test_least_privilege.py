"""The least-privilege check itself: calls are attributed to their function or notebook, resolved to
the ARNs they touch, and refused with the call, the role and what is missing."""

from __future__ import annotations

import boto3
from moto import mock_aws

from allstore.local.lambda_code import load_handler
from tests.conftest import RECORDER
from tests.unit.api.conftest import LambdaContext, api_event, create_items_table, make_item
from tests.unit.iam.least_privilege import BOOTSTRAP, NOTEBOOK_ROLE, REPOSITORY, Call, missing

ENVIRONMENT = {"ITEMS_TABLE": "unit-items"}


def test_a_handlers_calls_are_checked_against_its_own_role(monkeypatch) -> None:
    monkeypatch.setenv("ITEMS_TABLE", "unit-items")
    with mock_aws():
        create_items_table([make_item(1, "Camping", 1)], name="unit-items")
        handler = load_handler(REPOSITORY / "functions" / "api" / "get_item")
        before = RECORDER.checked
        event = api_event("/items/B000000001", resource="/items/{id}", path_parameters={"id": "B000000001"})
        assert handler(event, LambdaContext())["statusCode"] == 200
    assert RECORDER.checked == before + 1  # its GetItem, bound to the table its environment names
    assert RECORDER.take() == []


def test_a_call_outside_the_role_is_refused_naming_call_role_and_resource() -> None:
    call = Call("GetItemFunction", "dynamodb", "Scan", {"TableName": "unit-items"}, "us-east-1")
    problem = missing(call, ENVIRONMENT)
    assert problem == (
        "GetItemFunction called dynamodb.Scan: role GetItemFunctionRole does not allow dynamodb:Scan on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/unit-items"
    )
    other_table = Call("GetItemFunction", "dynamodb", "GetItem", {"TableName": "users"}, "us-east-1")
    assert "table/users" in missing(other_table, ENVIRONMENT)
    own_table = Call("GetItemFunction", "dynamodb", "GetItem", {"TableName": "unit-items"}, "us-east-1")
    assert missing(own_table, ENVIRONMENT) is None


def test_put_events_is_allowed_on_every_tracker_and_wiring_only_on_its_own_parameter() -> None:
    put = Call("PostClickEventFunction", "personalize-events", "PutEvents", {"trackingId": "t"}, "us-east-1")
    assert missing(put, {}) is None
    own = {"WIRING_PARAMETER": "/allstore/wiring/click-tracking"}
    read = Call(
        "PostClickEventFunction", "ssm", "GetParameter", {"Name": own["WIRING_PARAMETER"]}, "us-east-1"
    )
    assert missing(read, own) is None
    foreign = Call("PostClickEventFunction", "ssm", "GetParameter", {"Name": "/allstore/secret"}, "us-east-1")
    assert "parameter/allstore/secret" in missing(foreign, own)


def test_the_notebook_role_creates_only_the_stacks_own_personalize_resources() -> None:
    def create_group(name: str) -> str | None:
        return missing(
            Call(NOTEBOOK_ROLE, "personalize", "CreateDatasetGroup", {"name": name}, "us-east-1"), {}
        )

    assert create_group("allstore-workshop") is None
    assert "dataset-group/someone-else" in create_group("someone-else")
    listing = Call(NOTEBOOK_ROLE, "personalize", "ListCampaigns", {}, "us-east-1")
    assert missing(listing, {}) is None
    no_lambda = Call(
        NOTEBOOK_ROLE,
        "lambda",
        "UpdateFunctionConfiguration",
        {"FunctionName": "allstore-Search"},
        "us-east-1",
    )
    assert "does not allow lambda:UpdateFunctionConfiguration on" in missing(no_lambda, {})


def test_test_code_itself_is_not_checked() -> None:
    with mock_aws():
        before = RECORDER.checked
        boto3.client("dynamodb").list_tables()
    assert RECORDER.checked == before


def test_the_bootstraps_calls_are_checked_as_the_notebook_roles() -> None:
    """Code in allstore/local/personalize_bootstrap.py acts as the notebooks: its calls use NotebookRole."""
    with mock_aws():
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name="/elsewhere/wiring/recommendations", Value="{}", Type="String")
        before = RECORDER.checked
        as_bootstrap = compile(
            'ssm.get_parameter(Name="/elsewhere/wiring/recommendations")', str(BOOTSTRAP), "exec"
        )
        exec(as_bootstrap, {"ssm": ssm})  # noqa: S102 - a frame from the bootstrap's file
    assert RECORDER.checked == before + 1
    assert RECORDER.take() == [
        "NotebookRole called ssm.GetParameter: role NotebookRole does not allow ssm:GetParameter on "
        "arn:aws:ssm:us-east-1:123456789012:parameter/elsewhere/wiring/recommendations"
    ]
