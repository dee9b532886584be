"""docs/openapi.yaml describes exactly the API that template.yaml deploys and the handlers serve."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from allstore.local.template import load_template
from tests.unit.api.openapi_contract import openapi

REPOSITORY = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@cache
def template_routes() -> dict[tuple[str, str], str]:
    """(path, method) of every `Api` event in template.yaml → the function's code folder."""
    routes = {}
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                key = (event["Properties"]["Path"], event["Properties"]["Method"].lower())
                routes[key] = resource["Properties"]["CodeUri"]
    return routes


def openapi_routes() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in openapi()["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def shape(path: str) -> str:
    """A route with its parameter names erased: `/items/{id}` and `/items/<item_id>` are one shape."""
    return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)


def test_openapi_document_is_valid_openapi():
    validate(openapi())


def test_every_template_route_is_documented_and_vice_versa():
    routes = set(template_routes())
    assert routes, "template.yaml has no Api events"
    assert routes - openapi_routes() == set(), "routes in template.yaml missing from docs/openapi.yaml"
    assert openapi_routes() - routes == set(), (
        "routes in docs/openapi.yaml that template.yaml does not deploy"
    )


@pytest.mark.parametrize(("route", "code_uri"), sorted(template_routes().items()))
def test_each_routes_function_handles_it(route, code_uri):
    path, method = route
    source = (REPOSITORY / code_uri / "app.py").read_text(encoding="utf-8")
    handled = {(shape(p), m) for m, p in re.findall(r'@app\.(\w+)\("([^"]+)"\)', source)}
    assert (shape(path), method) in handled, f"{code_uri}app.py has no @app.{method}({path!r})"


def test_path_parameters_are_declared():
    for path, operations in openapi()["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method, operation in operations.items():
            declared = {
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "path" and p["required"]
            }
            assert declared == names, (
                f"{method.upper()} {path} declares path parameters {declared}, not {names}"
            )
