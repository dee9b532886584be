"""The running local store, probed as a web page on another origin and a DNS-rebinding attacker
would: every port it opens answers only its own Host, no page but the store's own reaches local
AWS, the browser proxy forwards only the click-tracking calls, a function configuration cannot
make a process run code, and error answers carry no stack trace or local path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import pytest
import requests

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION
from tests.security.conftest import raw_exchange
from tests.security.sockets import children_ports, listening_sockets
from tests.security.store.conftest import RunningStore
from tests.signing import search_auth

EVIL = "https://evil.example"
REPO = Path(__file__).resolve().parents[3]


# ---------------------------------------------------------------------- the ports the store opens


def bound_address(port: int) -> str:
    return next(address for (found, _), address in listening_sockets().items() if found == port)


@pytest.fixture(scope="module")
def ports(running_store: RunningStore) -> dict[str, int]:
    """Every port the store opens, by name: its own servers and whatever its children listen on."""
    store = running_store.store
    named = {
        "gateway": urlsplit(running_store.url).port,
        "moto": urlsplit(store.endpoints["dynamodb"]).port,
        "personalize": urlsplit(store.endpoints["personalize"]).port,
        "search": int(store.provisioner.lookup("SearchDomain", "DomainEndpoint").rsplit(":", 1)[1]),
    }
    if store.servers.collector is not None:
        named["custom-resource answers"] = urlsplit(store.servers.collector.url_for("x")).port
    for port in children_ports():
        named.setdefault(f"child port {port}", port)
    assert {named["search"], named["personalize"]} <= set(children_ports()), "children found"
    return named


def raw_status(port: int, request: str) -> tuple[int, bytes]:
    raw = raw_exchange(port, request.encode(), timeout=30)
    assert raw, f"port {port} dropped the connection"
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# ---------------------------------------------------------------------- Host and Origin


def test_every_port_is_bound_to_loopback_only(ports: dict[str, int]) -> None:
    for name, port in ports.items():
        assert bound_address(port) in ("0100007F", "0000000000000000FFFF00000100007F"), name


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost.evil.example:{port}"]
)
@pytest.mark.parametrize("path", ["/", "/Prod/session", "/aws/kinesis/", "/aws/lambda/2015-03-31/functions/"])
def test_dns_rebinding_is_refused_on_every_port(ports: dict[str, int], host: str, path: str) -> None:
    for name, port in ports.items():
        status, body = raw_status(
            port, f"GET {path} HTTP/1.1\r\nHost: {host.format(port=port)}\r\nConnection: close\r\n\r\n"
        )
        assert status == 403, (name, path, status, body[:200])
        assert b"<html" not in body.lower() and b"Traceback" not in body


def test_pages_on_other_origins_reach_only_the_public_api(
    ports: dict[str, int], running_store: RunningStore
) -> None:
    for name, port in ports.items():
        # The gateway's web UI and API are public pages (readable cross-origin only through the
        # API's CORS); every other path and port is for the store's own page or for boto3.
        paths = [("GET", "/aws/lambda/2015-03-31/functions/"), ("POST", "/aws/kinesis/")]
        if name != "gateway":
            paths += [("GET", "/"), ("POST", "/"), ("OPTIONS", "/")]
        for method, path in paths:
            answer = requests.request(
                method,
                f"http://127.0.0.1:{port}{path}",
                headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
                timeout=30,
            )
            assert answer.status_code == 403, (name, method, path, answer.status_code, answer.text[:200])
            assert "Access-Control-Allow-Origin" not in answer.headers, (name, method, path)
    page = requests.get(running_store.url, headers={"Origin": EVIL}, timeout=30)
    assert page.status_code == 200 and "Access-Control-Allow-Origin" not in page.headers
    public = running_store.get("/Prod/session")
    api = requests.get(running_store.url + "Prod/session", headers={"Origin": EVIL}, timeout=30)
    assert public.status_code == api.status_code == 200
    assert api.headers["Access-Control-Allow-Origin"] == "*"  # the API is public, as on AWS
    assert "Access-Control-Allow-Credentials" not in api.headers


# ---------------------------------------------------------------------- the browser proxy


def proxy_call(store: RunningStore, service: str, target: str, document: dict, origin: str | None = None):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    if origin is not None:
        headers["Origin"] = origin
    return requests.post(f"{store.url}aws/{service}/", data=json.dumps(document), headers=headers, timeout=30)


def test_the_proxy_forwards_the_web_uis_clicks_from_the_stores_own_page(running_store: RunningStore) -> None:
    session = running_store.get("/Prod/session").json()
    origin = running_store.url.rstrip("/")
    record = {"StreamName": session["StreamName"], "Data": "e30=", "PartitionKey": "p"}
    answer = proxy_call(running_store, "kinesis", "Kinesis_20131202.PutRecord", record, origin)
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == origin
    identity = proxy_call(
        running_store,
        "cognito-identity",
        "AWSCognitoIdentityService.GetId",
        {"IdentityPoolId": session["AnonymousPoolId"]},
        origin,
    )
    assert identity.status_code == 200 and identity.json()["IdentityId"]
    foreign = proxy_call(running_store, "kinesis", "Kinesis_20131202.PutRecord", record, EVIL)
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers


@pytest.mark.parametrize(
    ("service", "target", "document"),
    [
        ("kinesis", "Kinesis_20131202.ListStreams", {}),
        (
            "kinesis",
            "Kinesis_20131202.GetShardIterator",
            {
                "StreamName": "{stream}",
                "ShardId": "shardId-000000000000",
                "ShardIteratorType": "TRIM_HORIZON",
            },
        ),
        ("kinesis", "Kinesis_20131202.DeleteStream", {"StreamName": "{stream}"}),
        (
            "kinesis",
            "Kinesis_20131202.PutRecord",
            {"StreamName": "another", "Data": "e30=", "PartitionKey": "p"},
        ),
        ("cognito-identity", "AWSCognitoIdentityService.ListIdentityPools", {"MaxResults": 10}),
        (
            "cognito-identity",
            "AWSCognitoIdentityService.GetId",
            {"IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000"},
        ),
        ("dynamodb", "DynamoDB_20120810.Scan", {"TableName": "Items"}),
        ("s3", "", {}),
        ("iam", "", {}),
        ("personalize", "AmazonPersonalize.ListCampaigns", {}),
        ("sts", "", {}),
    ],
)
def test_the_proxy_forwards_nothing_else(
    running_store: RunningStore, service: str, target: str, document: dict
) -> None:
    stream = running_store.get("/Prod/session").json()["StreamName"]
    filled = json.loads(json.dumps(document).replace("{stream}", stream))
    answer = proxy_call(running_store, service, target, filled, running_store.url.rstrip("/"))
    assert answer.status_code == 403, answer.text[:200]
    kinesis = running_store.client("kinesis")
    assert (
        kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"]
        == "ACTIVE"
    )


# ---------------------------------------------------------------------- function configurations


@pytest.mark.parametrize("endpoint", ["lambda-api", "moto"])
@pytest.mark.parametrize("variable", ["BASH_ENV", "BROWSER", "PYTHONWARNINGS", "LD_PRELOAD", "PATH"])
def test_a_function_configuration_cannot_make_a_process_run_code(
    running_store: RunningStore, endpoint: str, variable: str
) -> None:
    url = (
        running_store.store.endpoints["lambda"]
        if endpoint == "lambda-api"
        else running_store.store.endpoints["dynamodb"]
    )
    client = boto3.client(
        "lambda",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=running_store.store.credentials.access_key_id,
        aws_secret_access_key=running_store.store.credentials.secret_access_key,
    )
    function = running_store.output("GetRecommendationsFunctionArn")
    before = client.get_function_configuration(FunctionName=function).get("Environment", {})
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client.update_function_configuration(
            FunctionName=function,
            Environment={"Variables": {**before.get("Variables", {}), variable: "touch /tmp/allstore-owned"}},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert client.get_function_configuration(FunctionName=function).get("Environment", {}) == before
    assert running_store.get("/Prod/recommendations").status_code == 200


def test_a_page_cannot_change_a_function_configuration(running_store: RunningStore) -> None:
    function = running_store.output("GetRecommendationsFunctionArn")
    answer = requests.put(
        f"{running_store.store.endpoints['lambda']}/2015-03-31/functions/{function}/configuration",
        data=json.dumps({"Environment": {"Variables": {"BASH_ENV": "/tmp/x"}}}),
        headers={"Content-Type": "application/json", "Origin": EVIL},
        timeout=30,
    )
    assert answer.status_code == 403 and "Access-Control-Allow-Origin" not in answer.headers


def call_each_api(client: Any, service: str, campaign_arn: str) -> Any:
    """A call that changes or reads the store's Personalize state, on `service`'s API."""
    if service == "personalize":
        return client.delete_campaign(campaignArn=campaign_arn)
    if service == "personalize-runtime":
        return client.get_recommendations(campaignArn=campaign_arn, userId="u")
    return client.put_events(
        trackingId="t", sessionId="s", eventList=[{"eventType": "click", "sentAt": 1.7e9}]
    )


def test_search_answers_only_the_stores_key(running_store: RunningStore) -> None:
    """The store's search endpoint checks SigV4 for `es` as the domain's IAM access policy does:
    unsigned or another key is the domain's 403 `{"message"}`, and nothing is written."""
    search = "http://" + running_store.store.provisioner.lookup("SearchDomain", "DomainEndpoint")
    document = f"{search}/items/_doc/INTRUDER1"
    unsigned = requests.put(document, json={"title": "planted"}, timeout=30)
    other = requests.put(
        document, json={"title": "planted"}, auth=search_auth(StoreCredentials.generate()), timeout=30
    )
    for answer, code in ((unsigned, "MissingAuthenticationToken"), (other, "UnrecognizedClientException")):
        assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == code, answer.text
        assert set(answer.json()) == {"message"}
    ours = requests.get(document, auth=search_auth(running_store.store.credentials), timeout=30)
    assert ours.status_code == 404 and ours.json()["found"] is False  # nothing was planted
    assert running_store.get("/Prod/search", q="tent").status_code == 200  # the functions sign with the key


def test_personalize_answers_only_the_stores_key(running_store: RunningStore) -> None:
    """The store's own Personalize (control plane, runtime, events) refuses any other key: the
    campaigns the bootstrap deployed stay, and the store's key (its functions', its notebooks') works."""
    ours = running_store.client("personalize")
    campaigns = ours.list_campaigns()["campaigns"]
    assert campaigns, "the store deployed its campaigns with its own key"
    for service in ("personalize", "personalize-runtime", "personalize-events"):
        dummy = boto3.client(
            service,
            endpoint_url=running_store.store.endpoints[service],
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call_each_api(dummy, service, campaigns[0]["campaignArn"])
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, service
        assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException", service
    assert ours.list_campaigns()["campaigns"] == campaigns
    user = running_store.get("/Prod/session").json()["UserList"][0]["Id"]
    answer = running_store.get(f"/Prod/recommendations/{user}").json()  # the functions sign with it
    assert answer["results"] and "warning" not in answer, answer


# ---------------------------------------------------------------------- error answers


def error_answers(store: RunningStore) -> Iterator[tuple[str, requests.Response]]:
    yield "unknown item", store.get("/Prod/items/NOPE")
    yield "bad limit", store.get("/Prod/items", limit="x")
    yield "unknown route", store.get("/Prod/nothing/here")
    search = "http://" + store.store.provisioner.lookup("SearchDomain", "DomainEndpoint")
    auth = search_auth(store.store.credentials)
    yield "unknown index", requests.get(f"{search}/nothing/_search", auth=auth, timeout=30)
    bad_query = {"query": {"nope": {}}}
    yield "bad query", requests.post(f"{search}/items/_search", json=bad_query, auth=auth, timeout=30)
    yield "unsigned search", requests.get(f"{search}/items/_search", timeout=30)
    personalize = store.store.endpoints["personalize"]
    bad_call = b'{"campaignArn": 5}'
    yield (
        "bad runtime call",
        requests.post(
            f"{personalize}/recommendations",
            data=bad_call,
            headers=store.store.credentials.sign(
                "POST", f"{personalize}/recommendations", {}, bad_call, "personalize", REGION
            ),
            timeout=30,
        ),
    )
    nope = {"X-Amz-Target": "AmazonPersonalize.Nope"}
    yield (
        "unknown operation",
        requests.post(
            personalize,
            data="{}",
            headers=store.store.credentials.sign(
                "POST", f"{personalize}/", nope, b"{}", "personalize", REGION
            ),
            timeout=30,
        ),
    )
    yield "unsigned Personalize", requests.post(personalize, data="{}", headers=nope, timeout=30)
    yield "unsigned local AWS", requests.post(store.store.endpoints["dynamodb"], data="{", timeout=30)


def test_error_answers_carry_no_stack_trace_or_local_path(running_store: RunningStore) -> None:
    local_paths = {
        str(REPO),
        str(running_store.options.state_dir.resolve()),
        str(Path.home()),
        "site-packages",
    }
    for what, answer in error_answers(running_store):
        assert answer.status_code >= 400, what
        text = answer.text
        assert "Traceback" not in text and 'File "' not in text, (what, text[:300])
        assert not any(path in text for path in local_paths), (what, text[:300])


def test_a_failing_function_answers_without_its_stack_trace(running_store: RunningStore) -> None:
    client = running_store.client("lambda")
    answer = client.invoke(
        FunctionName=running_store.output("GetRecommendationsFunctionArn"), Payload=b'{"not": "an API event"}'
    )
    payload = answer["Payload"].read().decode()
    assert answer.get("FunctionError") == "Unhandled", payload
    assert "stackTrace" not in payload and str(REPO) not in payload and "Traceback" not in payload


@pytest.mark.parametrize(
    "path",
    [
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/images/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/../../../../etc/passwd",
    ],
)
def test_static_files_never_leave_their_folders(ports: dict[str, int], path: str) -> None:
    port = ports["gateway"]
    status, body = raw_status(
        port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    assert b"root:" not in body, (status, body[:200])
