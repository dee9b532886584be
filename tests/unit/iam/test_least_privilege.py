"""The least-privilege check itself: calls are attributed to their function or notebook (in this
process or in a store's worker), resolved to the ARNs they touch, and refused with the call, the
role and what is missing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import nbformat
from moto import mock_aws
from moto.iam.access_control import IAMPolicy
from moto.server import ThreadedMotoServer
from nbclient import NotebookClient

from allstore.local import aws_call_log
from allstore.local.lambda_code import load_handler
from allstore.local.lambda_runtime import FunctionRuntime
from allstore.local.provision import FunctionSpec
from tests.conftest import RECORDER
from tests.unit.api.conftest import LambdaContext, api_event, create_items_table, make_item
from tests.unit.iam import least_privilege
from tests.unit.iam.least_privilege import BOOTSTRAP, NOTEBOOK_ROLE, REPOSITORY, Call, WorkerLogs, missing
from tests.unit.iam.template_policies import role_policies

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


def _without_statement(role: str, action: str, names: tuple[tuple[str, str], ...] = ()) -> list[IAMPolicy]:
    """`role`'s policies, resolved with `names`, with the statements granting `action` removed."""
    documents = [copy.deepcopy(policy.document) for policy in role_policies(dict(names))[role]]
    for document in documents:
        document["Statement"] = [
            statement
            for statement in document["Statement"]
            if action
            not in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        ]
    return [IAMPolicy(json.dumps(document)) for document in documents]


def test_a_role_without_the_statement_a_call_needs_refuses_it(monkeypatch) -> None:
    call = Call("GetItemFunction", "dynamodb", "GetItem", {"TableName": "allstore-ItemsTable"}, "us-east-1")
    assert missing(call, {}) is None
    monkeypatch.setattr(
        least_privilege, "_policies", lambda role, names: _without_statement(role, "dynamodb:GetItem", names)
    )
    assert missing(call, {}) == (
        "GetItemFunction called dynamodb.GetItem: role GetItemFunctionRole does not allow dynamodb:GetItem on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/allstore-ItemsTable"
    )


def test_a_store_workers_calls_are_recorded_and_checked_against_its_role(tmp_path: Path, monkeypatch) -> None:
    """A handler in the local store's worker process records its calls (aws_call_log); the test
    session checks them as it reads them, and fails them when the role lacks the statement."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        create_items_table([make_item(1, "Camping", 1)], name="worker-items")
        monkeypatch.setenv(aws_call_log.VARIABLE, str(tmp_path / "calls"))
        (tmp_path / "calls").mkdir()
        code = REPOSITORY / "functions" / "api" / "get_item"
        spec = FunctionSpec(
            "GetItemFunction",
            "allstore-GetItemFunction",
            "arn:aws:lambda:us-east-1:123456789012:function:allstore-GetItemFunction",
            code,
            "app.lambda_handler",
            30,
            512,
            {},
        )
        configuration = {"Environment": {"Variables": {"ITEMS_TABLE": "worker-items"}}}
        endpoints = {
            "AWS_ENDPOINT_URL_DYNAMODB": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        runtime = FunctionRuntime(spec, lambda name: configuration, endpoints, tmp_path)
        try:
            event = api_event(
                "/items/B000000001", resource="/items/{id}", path_parameters={"id": "B000000001"}
            )
            assert runtime.invoke(event)["statusCode"] == 200
        finally:
            runtime.stop()
    finally:
        server.stop()

    logs = WorkerLogs(tmp_path / "calls")
    assert logs.refusals() == []
    assert logs.checked == 1  # its GetItem, in the worker, bound to the table its environment names
    monkeypatch.setattr(
        least_privilege, "_policies", lambda role, names: _without_statement(role, "dynamodb:GetItem", names)
    )
    assert WorkerLogs(tmp_path / "calls").refusals() == [
        "GetItemFunction called dynamodb.GetItem: role GetItemFunctionRole does not allow dynamodb:GetItem on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/worker-items"
    ]


def test_search_requests_are_checked_as_es_http_actions_on_the_domains_paths() -> None:
    environment = {"SEARCH_ENDPOINT": "http://127.0.0.1:9200"}
    search = Call(
        "SearchFunction", "es", "POST", {"host": "127.0.0.1:9200", "path": "/items/_search"}, "us-east-1"
    )
    assert missing(search, environment) is None
    deleting = Call(
        "SearchFunction", "es", "DELETE", {"host": "127.0.0.1:9200", "path": "/items"}, "us-east-1"
    )
    assert missing(deleting, environment) == (
        "SearchFunction called es.DELETE: role SearchFunctionRole does not allow es:ESHttpDelete on "
        "arn:aws:es:us-east-1:123456789012:domain/allstore-search/items"
    )
    elsewhere = Call("SearchFunction", "es", "GET", {"host": "127.0.0.1:1", "path": "/"}, "us-east-1")
    assert "not a search domain its environment names" in missing(elsewhere, environment)
    indexing = Call(
        "UpdateSearchClusterFunction", "es", "PUT", {"host": "127.0.0.1:9200", "path": "/items"}, "us-east-1"
    )
    assert missing(indexing, environment) is None


def test_personalize_runtime_calls_are_checked_on_the_campaign_and_filter_they_name() -> None:
    def ask(caller: str, operation: str, **params: str) -> str | None:
        return missing(Call(caller, "personalize-runtime", operation, params, "us-east-1"), {})

    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/user-personalization"
    assert ask("GetRecommendationsFunction", "GetRecommendations", campaignArn=campaign) is None
    elsewhere = "arn:aws:personalize:eu-west-1:123456789012:campaign/user-personalization"
    assert "does not allow personalize:GetRecommendations on " + elsewhere in ask(
        "GetRecommendationsFunction", "GetRecommendations", campaignArn=elsewhere
    )
    ranking = "arn:aws:personalize:us-east-1:123456789012:campaign/ranking"
    assert ask("SearchFunction", "GetPersonalizedRanking", campaignArn=ranking) is None
    assert "personalize:GetPersonalizedRanking" in ask(
        "GetItemFunction", "GetPersonalizedRanking", campaignArn=ranking
    )


def test_a_custom_resource_request_binds_the_names_the_template_gives_its_properties() -> None:
    request = {
        "ResourceType": "Custom::S3Copy",
        "ResourceProperties": {
            "Copies": [{"From": "s3://sources/items.csv", "To": "s3://my-staging/data/items/"}]
        },
    }
    names = least_privilege.names_of("SetupFunction", {"AWS_LAMBDA_FUNCTION_NAME": "shop-setup"}, request)
    assert names == {
        "ProductSource": "s3://sources/items.csv",
        "StagingBucket": "my-staging",
        "ProjectName": "shop",
    }
    copy_call = Call(
        "SetupFunction",
        "s3",
        "CopyObject",
        {
            "CopySource": {"Bucket": "sources", "Key": "items.csv"},
            "Bucket": "my-staging",
            "Key": "data/items/items.csv",
        },
        "us-east-1",
    )
    assert missing(copy_call, {}, request) is None
    to_elsewhere = Call(
        "SetupFunction",
        "s3",
        "CopyObject",
        {"CopySource": "sources/other.csv", "Bucket": "my-staging", "Key": "data/items/other.csv"},
        "us-east-1",
    )
    assert missing(to_elsewhere, {}, request) == (
        "SetupFunction called s3.CopyObject: role SetupFunctionRole does not allow s3:GetObject on "
        "arn:aws:s3:::sources/other.csv"
    )


def test_a_notebook_kernels_calls_are_checked_as_the_notebook_roles(tmp_path: Path, monkeypatch) -> None:
    """A kernel is a process of its own: the startup file the notebook tests install checks its calls."""
    least_privilege.prepare_kernels(tmp_path / "ipython")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import boto3\n"
            'ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")\n'
            "try:\n"
            '    ssm.get_parameter(Name="/elsewhere/wiring/recommendations")\n'
            "except Exception:\n"
            "    pass  # nothing listens there: the check happens before the request is sent\n"
        )
    )
    NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    assert least_privilege.kernel_refusals() == [
        "NotebookRole called ssm.GetParameter: role NotebookRole does not allow ssm:GetParameter on "
        "arn:aws:ssm:us-east-1:123456789012:parameter/elsewhere/wiring/recommendations"
    ]
