"""Local AWS (moto) and the gateway's `/aws/` endpoints: for boto3 with the store's key, never pages."""

from __future__ import annotations

import io
import json
import os
import stat
import time
import zipfile
from dataclasses import dataclass

import boto3
import botocore.exceptions
import pytest
import requests

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION, AwsClients, MotoServer
from allstore.local.function_environment import REFUSED_NAMES
from allstore.local.gateway import Gateway
from allstore.local.lambda_runtime import FunctionError

EVIL = "https://evil.example"
INJECTIONS = [
    "BASH_ENV",
    "ENV",
    "BROWSER",
    "PATH",
    "PYTHONWARNINGS",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "NODE_OPTIONS",
    "PERL5OPT",
    "JAVA_TOOL_OPTIONS",
    "BASH_FUNC_ls%%",
    "AWS_ACCESS_KEY_ID",
    "ALLSTORE_AWS_CALL_LOG",  # the tests' call record: a worker would append to the file it names
]


@dataclass
class Stack:
    credentials: StoreCredentials
    moto_url: str
    gateway: Gateway
    clients: AwsClients
    pool_id: str


@dataclass
class FailingSpec:
    name: str = "failing"


class FailingRuntime:
    """A function whose invocation fails with a stack trace full of local paths."""

    spec = FailingSpec()

    def invoke(self, event):
        raise FunctionError(
            {
                "errorMessage": "boom",
                "errorType": "RuntimeError",
                "stackTrace": ['  File "/home/someone/allstore/functions/app.py", line 3'],
            }
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    credentials = StoreCredentials.for_state_dir(tmp_path_factory.mktemp("state"))
    gateway = Gateway(port=0, credentials=credentials, web_dir=None, images_dir=None)
    moto = MotoServer(credentials, trusted_origins=gateway.origins)
    moto_url = moto.start()
    clients = AwsClients(
        {service: moto_url for service in ("kinesis", "cognito-identity", "iam", "lambda")}, credentials
    )
    clients("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    clients("kinesis").create_stream(StreamName="other", ShardCount=1)
    pool_id = clients("cognito-identity").create_identity_pool(
        IdentityPoolName="guests", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    role = clients("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    clients("lambda").create_function(
        FunctionName="fn",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    gateway.start(
        routes=[],
        runtimes={"Failing": FailingRuntime()},
        moto_url=moto_url,
        stream_names=["clicks"],
        identity_pools=[pool_id],
    )
    yield Stack(credentials, moto_url, gateway, clients, pool_id)
    gateway.stop()
    moto.stop()


def client(service, url, access_key, secret):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
    )


# ---------------------------------------------------------------------------- credentials


def test_the_store_key_is_per_store_and_private(tmp_path):
    (tmp_path / "a").mkdir()
    first = StoreCredentials.for_state_dir(tmp_path / "a")
    assert StoreCredentials.for_state_dir(tmp_path / "a") == first, "kept across starts"
    (tmp_path / "b").mkdir()
    assert StoreCredentials.for_state_dir(tmp_path / "b") != first
    mode = stat.S_IMODE(os.stat(tmp_path / "a" / "credentials.json").st_mode)
    assert mode == 0o600
    assert first.access_key_id not in ("allstore-local", "testing", "test")


@pytest.mark.parametrize("service", ["dynamodb", "s3", "lambda", "iam", "sqs"])
def test_local_aws_refuses_the_well_known_dummy_keys(stack, service):
    dummy = client(service, stack.moto_url, "allstore-local", "allstore-local")
    call = {
        "dynamodb": lambda: dummy.list_tables(),
        "s3": lambda: dummy.list_buckets(),
        "lambda": lambda: dummy.list_functions(),
        "iam": lambda: dummy.list_roles(),
        "sqs": lambda: dummy.list_queues(),
    }[service]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        call()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_local_aws_checks_the_signature_not_only_the_key(stack):
    forged = client("dynamodb", stack.moto_url, stack.credentials.access_key_id, "not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        forged.list_tables()
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert stack.clients("lambda").list_functions()["Functions"], "the store's key works"


def test_unsigned_requests_and_the_moto_api_are_refused(stack):
    assert requests.get(f"{stack.moto_url}/moto-api/data.json", timeout=10).status_code == 403
    assert requests.post(f"{stack.moto_url}/moto-api/reset", timeout=10).status_code == 403
    listing = requests.post(
        stack.moto_url,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
        data="{}",
        timeout=10,
    )
    assert listing.status_code == 403


# ---------------------------------------------------------------------------- pages and rebinding


def test_local_aws_refuses_other_hosts_and_foreign_origins_and_sends_no_cors(stack):
    lambda_client = stack.clients("lambda")
    answer = lambda_client.list_functions()["ResponseMetadata"]["HTTPHeaders"]
    assert not any(name.startswith("access-control-") for name in answer), "no CORS on local AWS"

    def with_header(name, value):
        def add(request, **_):
            request.headers[name] = value

        return add

    for name, value in (("Origin", EVIL), ("Host", f"evil.example:{stack.moto_url.rsplit(':', 1)[1]}")):
        probe = boto3.client(
            "lambda",
            endpoint_url=stack.moto_url,
            region_name=REGION,
            aws_access_key_id=stack.credentials.access_key_id,
            aws_secret_access_key=stack.credentials.secret_access_key,
        )
        probe.meta.events.register_first("before-sign.lambda.ListFunctions", with_header(name, value))
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            probe.list_functions()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, name


def test_the_gateway_refuses_other_hosts_on_every_path(stack):
    for path in ("Prod/items", "aws/kinesis/", "aws/lambda/2015-03-31/functions/", "index.html"):
        answer = requests.get(stack.gateway.url + path, headers={"Host": "evil.example:3000"}, timeout=10)
        assert answer.status_code == 403, path


# ---------------------------------------------------------------------------- the browser proxy


def kinesis_call(stack, operation, body, origin=None):
    headers = {"X-Amz-Target": f"Kinesis_20131202.{operation}", "Content-Type": "application/x-amz-json-1.1"}
    if origin:
        headers["Origin"] = origin
    return requests.post(
        stack.gateway.url + "aws/kinesis/", data=json.dumps(body), headers=headers, timeout=10
    )


def test_the_web_ui_can_put_clicks_on_its_stream_with_cors_for_its_origin_only(stack):
    origin = stack.gateway.url.rstrip("/")
    record = {"StreamName": "clicks", "Data": "e30=", "PartitionKey": "p"}
    answer = kinesis_call(stack, "PutRecord", record, origin)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    batch = {"StreamName": "clicks", "Records": [{"Data": "e30=", "PartitionKey": "p"}]}
    assert kinesis_call(stack, "PutRecords", batch, origin).status_code == 200
    foreign = kinesis_call(stack, "PutRecord", record, EVIL)
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("PutRecord", {"StreamName": "other", "Data": "e30=", "PartitionKey": "p"}),
        ("ListStreams", {}),
        ("DeleteStream", {"StreamName": "clicks"}),
        (
            "GetShardIterator",
            {"StreamName": "clicks", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"},
        ),
    ],
)
def test_the_proxy_forwards_nothing_else_on_kinesis(stack, operation, body):
    answer = kinesis_call(stack, operation, body, stack.gateway.url.rstrip("/"))
    assert answer.status_code == 403 and answer.json()["__type"] == "AccessDeniedException"
    assert "clicks" in stack.clients("kinesis").list_streams()["StreamNames"]


def test_cognito_guest_credentials_only_for_the_stores_pool(stack):
    def call(target, body):
        return requests.post(
            stack.gateway.url + "aws/cognito-identity/",
            data=json.dumps(body),
            headers={
                "X-Amz-Target": f"AWSCognitoIdentityService.{target}",
                "Content-Type": "application/x-amz-json-1.1",
            },
            timeout=10,
        )

    identity = call("GetId", {"IdentityPoolId": stack.pool_id})
    assert identity.status_code == 200, identity.text
    before = time.time()
    guest = call("GetCredentialsForIdentity", {"IdentityId": identity.json()["IdentityId"]})
    assert guest.status_code == 200, guest.text
    credentials = guest.json()["Credentials"]
    assert {"AccessKeyId", "SecretKey", "SessionToken"} <= set(credentials)
    # An hour, as Cognito's guest credentials last (moto's 90 s made the browser's SDK fetch new
    # ones for every request: it renews them 5 minutes before they expire).
    assert before + 3600 - 5 <= credentials["Expiration"] <= time.time() + 3600 + 5
    assert call("GetId", {"IdentityPoolId": "us-east-1:someone-elses"}).status_code == 403
    assert call("ListIdentityPools", {"MaxResults": 10}).status_code == 403
    assert call("DeleteIdentityPool", {"IdentityPoolId": stack.pool_id}).status_code == 403


@pytest.mark.parametrize("service", ["dynamodb", "s3", "iam", "sqs", "personalize", "sts"])
def test_no_other_service_is_proxied_for_pages(stack, service):
    answer = requests.post(stack.gateway.url + f"aws/{service}/", data="{}", timeout=10)
    assert answer.status_code == 403


def test_preflight_only_for_the_stores_origin_and_the_sdks_headers(stack):
    origin = stack.gateway.url.rstrip("/")

    def preflight(origin, method="POST", headers="content-type,x-amz-target,x-amz-date,authorization"):
        return requests.options(
            stack.gateway.url + "aws/kinesis/",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
            timeout=10,
        )

    allowed = preflight(origin)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert allowed.headers["Access-Control-Allow-Methods"] == "POST"
    assert preflight(EVIL).status_code == 403
    assert preflight(origin, method="DELETE").status_code == 403
    assert preflight(origin, headers="x-evil").status_code == 403
    for refused in (preflight(EVIL), preflight(origin, method="PUT")):
        assert (
            "Access-Control-Allow-Origin" not in refused.headers
            or refused.headers["Access-Control-Allow-Origin"] != "*"
        )


# ---------------------------------------------------------------------------- the Lambda API


def gateway_lambda(stack, access_key=None, secret=None):
    return client(
        "lambda",
        stack.gateway.url + "aws/lambda",
        access_key or stack.credentials.access_key_id,
        secret or stack.credentials.secret_access_key,
    )


def test_the_lambda_api_requires_the_stores_credentials(stack):
    assert gateway_lambda(stack).get_function_configuration(FunctionName="fn")["FunctionName"] == "fn"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gateway_lambda(stack, "allstore-local", "allstore-local").get_function_configuration(
            FunctionName="fn"
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unsigned = requests.get(stack.gateway.url + "aws/lambda/2015-03-31/functions/", timeout=10)
    assert unsigned.status_code == 403
    page = requests.get(
        stack.gateway.url + "aws/lambda/2015-03-31/functions/", headers={"Origin": EVIL}, timeout=10
    )
    assert page.status_code == 403 and "Access-Control-Allow-Origin" not in page.headers
    preflight = requests.options(
        stack.gateway.url + "aws/lambda/2015-03-31/functions/fn/configuration",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers


@pytest.mark.parametrize("variable", INJECTIONS)
@pytest.mark.parametrize("endpoint", ["gateway", "moto"])
def test_variables_that_change_how_a_process_starts_are_refused(stack, variable, endpoint):
    lambda_client = gateway_lambda(stack) if endpoint == "gateway" else stack.clients("lambda")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        lambda_client.update_function_configuration(
            FunctionName="fn", Environment={"Variables": {"CAMPAIGN_ARN": "x", variable: "/tmp/run-me"}}
        )
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert variable in error["Error"]["Message"]
    variables = (
        lambda_client.get_function_configuration(FunctionName="fn")
        .get("Environment", {})
        .get("Variables", {})
    )
    assert variable not in variables and "CAMPAIGN_ARN" not in variables, "nothing changed"


def test_ordinary_variables_are_accepted(stack):
    gateway_lambda(stack).update_function_configuration(
        FunctionName="fn",
        Environment={"Variables": {"CAMPAIGN_ARN": "arn:aws:personalize:x", "LOG_LEVEL": "INFO"}},
    )
    variables = stack.clients("lambda").get_function_configuration(FunctionName="fn")["Environment"][
        "Variables"
    ]
    assert variables["CAMPAIGN_ARN"] == "arn:aws:personalize:x"


def test_the_refused_names_cover_the_issues_examples():
    assert {"BASH_ENV", "ENV", "BROWSER", "PATH"} <= REFUSED_NAMES


def test_an_invoke_error_carries_no_stack_trace_or_local_path(stack):
    answer = gateway_lambda(stack).invoke(FunctionName="failing", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    payload = answer["Payload"].read().decode()
    assert "boom" in payload and "stackTrace" not in payload and "/home/" not in payload
