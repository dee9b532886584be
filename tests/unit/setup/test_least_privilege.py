"""The set-up function's calls are checked against SetupFunctionRole, with the names its requests give
(tests/unit/iam/least_privilege.py): also those s3transfer makes in its own threads."""

from __future__ import annotations

from tests.conftest import RECORDER
from tests.unit.iam import least_privilege
from tests.unit.iam.test_least_privilege import _without_statement

from .conftest import STAGING_BUCKET, put_object


def _spy(monkeypatch) -> list[least_privilege.Call]:
    """The calls the recorder checks from now on."""
    seen: list[least_privilege.Call] = []
    check = least_privilege.missing

    def checking(call, environment, event=None):
        seen.append(call)
        return check(call, environment, event)

    monkeypatch.setattr(least_privilege, "missing", checking)
    return seen


def test_copies_are_checked_also_from_the_transfer_threads(setup_function, monkeypatch) -> None:
    seen = _spy(monkeypatch)
    source = put_object("raw/items.jsonl", "{}\n")
    properties = {"Copies": [{"From": source, "To": f"s3://{STAGING_BUCKET}/data/items/"}]}

    created = setup_function.request("Custom::S3Copy", properties)
    deleted = setup_function.request(
        "Custom::S3Copy", properties, request_type="Delete", physical_id=created["PhysicalResourceId"]
    )

    assert created["Status"] == deleted["Status"] == "SUCCESS"
    assert {(call.caller, call.operation) for call in seen} >= {
        ("SetupFunction", "HeadObject"),
        ("SetupFunction", "CopyObject"),  # sent by s3transfer's worker thread
        ("SetupFunction", "DeleteObjects"),
    }
    assert RECORDER.take() == []


def test_account_prerequisites_are_checked_with_their_conditions(setup_function, monkeypatch) -> None:
    import boto3

    seen = _spy(monkeypatch)
    role = boto3.client("iam").create_role(RoleName="shop-logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    answer = setup_function.request("Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": role})

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert {call.operation for call in seen} >= {
        "GetRole",
        "CreateServiceLinkedRole",
        "GetAccount",
        "UpdateAccount",
    }
    assert RECORDER.take() == []


def test_a_setup_role_without_the_statement_a_load_needs_fails_it(setup_function, monkeypatch) -> None:
    source = put_object("users/users.jsonl", '{"id": "1"}\n')
    monkeypatch.setattr(
        least_privilege,
        "_policies",
        lambda role, names: _without_statement(role, "dynamodb:BatchWriteItem", names),
    )

    answer = setup_function.request("Custom::UserData", {"Source": source, "TableName": "Users"})

    assert answer["Status"] == "SUCCESS"  # moto does not enforce it: the check does
    assert RECORDER.take() == [
        "SetupFunction called dynamodb.BatchWriteItem: role SetupFunctionRole does not allow "
        "dynamodb:BatchWriteItem on arn:aws:dynamodb:us-east-1:123456789012:table/Users"
    ]
