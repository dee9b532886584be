"""GET /session."""

import json

import boto3
import pytest

from tests.unit.api.conftest import USERS_TABLE, api_event, assert_cors, assert_error, invoke

ENVIRONMENT = {
    "USERS_TABLE": USERS_TABLE,
    "IDENTITY_POOL_ID": "us-east-1:00000000-1111-2222-3333-444444444444",
    "STREAM_NAME": "allstore-clicks",
    "CLIENT_ENDPOINTS": "",
}


def create_users_table(name: str = USERS_TABLE):
    return boto3.resource("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture(scope="module")
def users_table(aws):
    table = create_users_table()
    with table.batch_writer() as writer:
        for number in (10, 2, 1):
            writer.put_item(
                Item={"id": str(number), "firstName": f"First{number}", "lastName": f"Last{number}"}
            )
        writer.put_item(Item={"id": "3", "firstName": "Ada", "lastName": "Lovelace", "gender": "F"})
    return table


def session(handler):
    return invoke(handler, api_event("/session"))


def test_session_lists_users_pascal_cased_in_id_order(users_table, load):
    response = session(load("get_session", **ENVIRONMENT))
    assert response.status == 200
    assert response.body["AnonymousPoolId"] == ENVIRONMENT["IDENTITY_POOL_ID"]
    assert response.body["StreamName"] == "allstore-clicks"
    assert response.body["Region"] == "us-east-1"
    assert [user["Id"] for user in response.body["UserList"]] == ["1", "2", "3", "10"]
    assert response.body["UserList"][2] == {
        "Id": "3",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Gender": "F",
    }
    assert "Endpoints" not in response.body
    assert_cors(response)


def test_users_across_scan_pages_are_all_listed(aws, load):
    table = create_users_table("paged-users")
    padding = "p" * 20_000  # about 50 such users fill one 1 MB Scan page
    with table.batch_writer() as writer:
        for number in range(120):
            writer.put_item(Item={"id": str(number), "firstName": "F", "lastName": "L", "bio": padding})
    response = session(load("get_session", **{**ENVIRONMENT, "USERS_TABLE": "paged-users"}))
    assert [user["Id"] for user in response.body["UserList"]] == [str(number) for number in range(120)]


def test_local_endpoints_are_passed_to_the_browser(users_table, load):
    endpoints = {
        "kinesis": "http://127.0.0.1:3000/aws/kinesis",
        "cognito-identity": "http://127.0.0.1:3000/aws/ci",
    }
    response = session(load("get_session", **{**ENVIRONMENT, "CLIENT_ENDPOINTS": json.dumps(endpoints)}))
    assert response.body["Endpoints"] == endpoints


@pytest.mark.parametrize("bad", ["{not json", '["a list"]', '{"kinesis": 3}'])
def test_malformed_client_endpoints_is_500_with_message(users_table, load, bad):
    response = session(load("get_session", **{**ENVIRONMENT, "CLIENT_ENDPOINTS": bad}))
    assert_error(response, 500, "CLIENT_ENDPOINTS")


def test_missing_users_table_is_502(aws, load):
    environment = {**ENVIRONMENT, "USERS_TABLE": "no-such-table"}
    assert_error(session(load("get_session", **environment)), 502, "Scan", "ResourceNotFoundException")


def test_unreachable_database_is_503(aws, load, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert_error(session(load("get_session", **ENVIRONMENT)), 503, "could not be reached")
