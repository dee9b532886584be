"""Checks API responses against docs/openapi.yaml, so the document and the handlers cannot drift."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
DOCUMENT_URI = "urn:allstore:openapi"


@cache
def openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    return Registry().with_resource(DOCUMENT_URI, Resource.from_contents(openapi(), DRAFT202012))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (responses and parameters may be references)."""
    while "$ref" in node:
        target: Any = openapi()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def assert_documented_response(path: str, method: str, status: int, body: Any) -> None:
    """The operation documents `status`, and `body` fits that response's JSON schema."""
    operation = openapi()["paths"][path][method]
    assert str(status) in operation["responses"], f"{method.upper()} {path} does not document status {status}"
    response = _resolve(operation["responses"][str(status)])
    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
    validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}{schema_ref}"}, registry=_registry())
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
    assert not errors, (
        f"{method.upper()} {path} {status} body does not match openapi.yaml: {errors[0].message}"
    )
