"""The local API routes requests as a deployed REST API does, over the template's own routes.

The expected events are those API Gateway delivered to a Lambda proxy integration in captures
recorded against AWS (LocalStack's AWS-validated snapshot of `test_lambda_aws_proxy_integration`,
2024-08-02): a trailing slash keeps `path` but routes to the resource without it; slashes before
and right after the stage are merged in `path` (not in `requestContext.path`); `//` inside a
greedy parameter is kept; percent-encoding reaches the function as sent, in `path` and
`pathParameters` (`test%2Balias` stays encoded). API Gateway answers a missing resource and a
method a resource lacks alike, `403 {"message": "Missing Authentication Token"}` (its
MISSING_AUTHENTICATION_TOKEN gateway response, "including the cases when the client attempts to
invoke an unsupported API method or resource"); HEAD is a method like any other; OPTIONS is the
mock method SAM's `Cors` adds to every path (samtranslator's `add_cors`).
"""

from __future__ import annotations

import json
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from allstore.local.api_gateway import ApiGatewayProxy, api_routes
from allstore.local.provision import FunctionSpec
from allstore.local.template import load_template

ROOT = Path(__file__).resolve().parents[3]


class Recorder:
    """A function runtime that records the event and answers 200."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "body": "{}"}


def spec(name: str, events: dict[str, Any]) -> FunctionSpec:
    return FunctionSpec(name, name, f"arn:{name}", None, "app.h", 3, 128, events)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def template_routes() -> tuple[dict[str, Any], dict[str, Any]]:
    """The template's functions' Api events and the StoreApi's resolved Cors, as provisioning reads them."""
    template = load_template(ROOT / "template.yaml")
    resources = template["Resources"]
    functions = {
        name: spec(name, resource["Properties"].get("Events", {}))
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    api = resources["StoreApi"]["Properties"]
    return functions, {"StoreApi": {"StageName": api["StageName"], "Cors": api["Cors"]}}


@pytest.fixture
def api(
    template_routes: tuple[dict[str, Any], dict[str, Any]],
) -> tuple[ApiGatewayProxy, dict[str, Recorder]]:
    functions, apis = template_routes
    for function in functions.values():
        for event in function.events.values():
            if event.get("Type") == "Api":
                event["Properties"]["RestApiId"] = "StoreApi"  # the template's !Ref, resolved
    routes = api_routes(functions, apis)
    runtimes = {route.function: Recorder() for route in routes}
    return ApiGatewayProxy(routes, runtimes), runtimes  # type: ignore[arg-type]


def call(
    api: tuple[ApiGatewayProxy, dict[str, Recorder]], method: str, target: str
) -> tuple[int, dict[str, str], bytes, dict[str, Any] | None]:
    proxy, runtimes = api
    before = {name: len(runtime.events) for name, runtime in runtimes.items()}
    headers = Message()
    headers["Host"] = "127.0.0.1:3000"
    status, response_headers, body = proxy(method, target, headers, b"")
    invoked = [runtime.events[-1] for name, runtime in runtimes.items() if len(runtime.events) > before[name]]
    return int(status), dict(response_headers), body, (invoked[0] if invoked else None)


def test_a_trailing_slash_reaches_the_resource_and_stays_in_path(api: Any) -> None:
    status, _, _, event = call(api, "GET", "/Prod/recommendations/")
    assert status == 200 and event is not None
    assert event["resource"] == "/recommendations" and event["path"] == "/recommendations/"
    assert event["requestContext"]["path"] == "/Prod/recommendations/"
    _, _, _, event = call(api, "GET", "/Prod/recommendations/u1/?x=1")
    assert event is not None and event["resource"] == "/recommendations/{userId}"
    assert event["pathParameters"] == {"userId": "u1"} and event["path"] == "/recommendations/u1/"


def test_slashes_around_the_stage_are_merged_in_path() -> None:
    routes = api_routes(
        {
            "Proxy": spec(
                "Proxy",
                {
                    "E": {
                        "Type": "Api",
                        "Properties": {"RestApiId": "a", "Path": "/{proxy+}", "Method": "any"},
                    }
                },
            ),
            "Hard": spec(
                "Hard",
                {
                    "E": {
                        "Type": "Api",
                        "Properties": {"RestApiId": "a", "Path": "/hardcoded", "Method": "any"},
                    }
                },
            ),
        },
        {"a": {"StageName": "stage"}},
    )
    runtimes = {"Proxy": Recorder(), "Hard": Recorder()}
    recorded = (ApiGatewayProxy(routes, runtimes), runtimes)  # type: ignore[arg-type]
    expected = {  # request path → (path, requestContext.path, pathParameters)
        "/stage/proxy-value": ("/proxy-value", "/stage/proxy-value", {"proxy": "proxy-value"}),
        "/stage/proxy-value/": ("/proxy-value/", "/stage/proxy-value/", {"proxy": "proxy-value"}),
        "/stage/proxy-value//double-slash": (
            "/proxy-value//double-slash",
            "/stage/proxy-value//double-slash",
            {"proxy": "proxy-value//double-slash"},
        ),
        "//stage/proxy-value": ("/proxy-value", "/stage/proxy-value", {"proxy": "proxy-value"}),
        "/stage//proxy-value": ("/proxy-value", "/stage//proxy-value", {"proxy": "proxy-value"}),
        "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com": (
            "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            {"proxy": "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"},
        ),
    }
    for target, (path, request_path, parameters) in expected.items():
        status, _, _, event = call(recorded, "GET", target)
        assert status == 200 and event is not None, target
        assert (event["path"], event["requestContext"]["path"], event["pathParameters"]) == (
            path,
            request_path,
            parameters,
        ), target
    _, _, _, event = call(recorded, "GET", "/stage//hardcoded")
    assert event is not None and event["resource"] == "/hardcoded"


def test_path_parameters_reach_the_function_as_sent(api: Any) -> None:
    _, _, _, event = call(api, "GET", "/Prod/items/a%2Fb%20c")
    assert event is not None and event["pathParameters"] == {"id": "a%2Fb%20c"}
    assert event["path"] == "/items/a%2Fb%20c"
    _, _, _, event = call(api, "GET", "/Prod/search?q=a%2Bb+c")
    assert event is not None and event["queryStringParameters"] == {"q": "a+b c"}  # the query is decoded


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/Prod"),  # the root resource has no method
        ("GET", "/Prod/"),
        ("GET", "/Prod/nothing-here"),
        ("GET", "/Prod/recommendationsitem"),  # a resource with no method of its own
        ("GET", "/Prod/items//B01"),  # an empty segment is no {id}
        ("POST", "/Prod/items"),  # a method the resource lacks: 403 too, not 405
        ("DELETE", "/Prod/items/B01"),
        ("HEAD", "/Prod/items"),  # not declared, and GET does not imply it
        ("OPTIONS", "/Prod/nothing-here"),  # preflights exist only on the API's paths
    ],
)
def test_what_api_gateway_answers_with_missing_authentication_token(
    api: Any, method: str, target: str
) -> None:
    status, headers, body, event = call(api, method, target)
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"}) and event is None
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_options_is_the_cors_mock_on_every_path_and_invokes_nothing(api: Any) -> None:
    for target in ("/Prod/search", "/Prod/search/", "/Prod/items/B01"):
        status, headers, body, event = call(api, "OPTIONS", target)
        assert status == 200 and event is None, target
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"  # the template's AllowMethods
        assert headers["Access-Control-Allow-Headers"] == "Content-Type"
        assert "Access-Control-Allow-Credentials" not in headers and body == b"{}\n"


def test_options_lists_the_paths_methods_when_allow_methods_is_not_configured() -> None:
    events = {
        "Get": {"Type": "Api", "Properties": {"RestApiId": "a", "Path": "/x", "Method": "get"}},
        "Post": {"Type": "Api", "Properties": {"RestApiId": "a", "Path": "/x", "Method": "post"}},
        "Any": {"Type": "Api", "Properties": {"RestApiId": "a", "Path": "/y", "Method": "any"}},
    }
    routes = api_routes(
        {"F": spec("F", events)}, {"a": {"StageName": "s", "Cors": {"AllowOrigin": "'*'", "MaxAge": 600}}}
    )
    recorded = (ApiGatewayProxy(routes, {"F": Recorder()}), {"F": Recorder()})  # type: ignore[arg-type]
    _, headers, _, _ = call(recorded, "OPTIONS", "/s/x")
    assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS,POST"
    assert headers["Access-Control-Max-Age"] == "600" and "Access-Control-Allow-Headers" not in headers
    _, headers, _, _ = call(recorded, "OPTIONS", "/s/y")
    assert headers["Access-Control-Allow-Methods"] == "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"


def test_without_cors_options_is_a_missing_method() -> None:
    events = {"Get": {"Type": "Api", "Properties": {"RestApiId": "a", "Path": "/x", "Method": "get"}}}
    routes = api_routes({"F": spec("F", events)}, {"a": {"StageName": "s"}})
    recorded = (ApiGatewayProxy(routes, {"F": Recorder()}), {"F": Recorder()})  # type: ignore[arg-type]
    assert call(recorded, "OPTIONS", "/s/x")[0] == 403


def test_a_declared_head_method_is_served() -> None:
    events = {"Head": {"Type": "Api", "Properties": {"RestApiId": "a", "Path": "/x", "Method": "head"}}}
    routes = api_routes({"F": spec("F", events)}, {"a": {"StageName": "s"}})
    runtime = Recorder()
    recorded = (ApiGatewayProxy(routes, {"F": runtime}), {"F": runtime})  # type: ignore[arg-type]
    status, _, _, event = call(recorded, "HEAD", "/s/x")
    assert status == 200 and event is not None and event["httpMethod"] == "HEAD"
