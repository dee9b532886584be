"""The service answers only requests signed for Personalize with its key pair: no other process on
the machine (nor a page that got past the Host and Origin checks) can read or delete campaigns."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from allstore.credentials import StoreCredentials
from allstore.personalize.server import PersonalizeServer
from tests.unit.personalize.conftest import REGION, Clients

NO_RETRIES = Config(retries={"max_attempts": 1})


def client(server: PersonalizeServer, name: str, credentials: StoreCredentials):
    return boto3.client(
        name,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=NO_RETRIES,
    )


def error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_signed_with_the_services_key_pair_works(clients: Clients) -> None:
    group = clients.personalize.create_dataset_group(name="signed")["datasetGroupArn"]
    assert (
        clients.personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["name"] == "signed"
    )


@pytest.mark.parametrize("name", ["personalize", "personalize-runtime", "personalize-events"])
def test_another_key_is_refused_on_every_api(server: PersonalizeServer, clients: Clients, name: str) -> None:
    group = clients.personalize.create_dataset_group(name="kept")["datasetGroupArn"]
    stranger = client(server, name, StoreCredentials.generate())
    call = {
        "personalize": lambda: stranger.delete_dataset_group(datasetGroupArn=group),
        "personalize-runtime": lambda: stranger.get_recommendations(campaignArn=group, userId="u"),
        "personalize-events": lambda: stranger.put_events(
            trackingId="t", sessionId="s", eventList=[{"eventType": "click", "sentAt": 1.7e9}]
        ),
    }[name]
    with pytest.raises(ClientError) as raised:
        call()
    assert error(raised) == (403, "UnrecognizedClientException")
    assert clients.personalize.describe_dataset_group(datasetGroupArn=group)  # nothing was deleted


def test_the_right_key_id_with_a_wrong_secret_is_refused(server: PersonalizeServer) -> None:
    assert server.credentials is not None
    forged = StoreCredentials(server.credentials.access_key_id, "not-the-secret")
    with pytest.raises(ClientError) as raised:
        client(server, "personalize", forged).list_dataset_groups()
    assert error(raised) == (403, "InvalidSignatureException")


def test_unsigned_and_tampered_requests_are_refused(server: PersonalizeServer, clients: Clients) -> None:
    body = json.dumps({"datasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:dataset-group/x"})
    target = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonPersonalize.DeleteDatasetGroup",
    }
    unsigned = requests.post(server.url, data=body, headers=target, timeout=10)
    assert unsigned.status_code == 403
    assert unsigned.json()["__type"] == unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationToken"
    signed = clients.signed("POST", "/", body.encode(), target)
    tampered = requests.post(server.url, data=body.replace("/x", "/y"), headers=signed, timeout=10)
    assert tampered.status_code == 403 and tampered.json()["__type"] == "InvalidSignatureException"
    runtime = requests.post(f"{server.url}/recommendations", json={"campaignArn": "x"}, timeout=10)
    assert runtime.status_code == 403 and runtime.headers["x-amzn-ErrorType"] == "MissingAuthenticationToken"


def test_a_signature_for_another_service_is_refused(clients: Clients) -> None:
    body = b"{}"
    headers = clients.credentials.sign(
        "POST",
        clients.url + "/",
        {"X-Amz-Target": "AmazonPersonalize.ListDatasetGroups"},
        body,
        "dynamodb",
        REGION,
    )
    answer = requests.post(clients.url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 403 and answer.json()["__type"] == "InvalidSignatureException"
    assert "personalize" in answer.json()["message"]


def test_a_service_on_its_own_keeps_its_key_pair_across_restarts(state_dir) -> None:
    first = PersonalizeServer(state_dir)
    first.start()
    first.stop()
    assert (state_dir / "credentials.json").stat().st_mode & 0o777 == 0o600
    second = PersonalizeServer(state_dir)
    second.start()
    try:
        assert second.credentials == first.credentials == StoreCredentials.read(state_dir)
    finally:
        second.stop()


def test_a_service_given_a_key_pair_uses_it_and_writes_none(state_dir) -> None:
    given = StoreCredentials.generate()
    server = PersonalizeServer(state_dir, credentials=given)
    server.start()
    try:
        assert client(server, "personalize", given).list_dataset_groups()["datasetGroups"] == []
    finally:
        server.stop()
    assert not (state_dir / "credentials.json").exists()
