"""Request validation and response shaping driven by botocore's own Personalize service models.

The limits, required members, enums and response members come from the same JSON files the boto3
clients use, so the service checks what the real API checks instead of a hand-copied guess, and a
response never carries a member the API does not define (internal bookkeeping stays internal).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from allstore.personalize.errors import ServiceError, invalid_input

CONTROL_PLANE = "personalize"
RUNTIME = "personalize-runtime"
EVENTS = "personalize-events"


# Shapes whose pattern the local service deliberately widens: an import may also read a local file
# (file:// or a plain path), so a laptop needs no S3 at all.
WIDENED_PATTERNS = frozenset({"S3Location"})


@functools.cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


@functools.cache
def error_names(service: str, name: str) -> frozenset[str]:
    """The exception classes the model lists for the operation."""
    return frozenset(shape.name for shape in operation(service, name).error_shapes)


def http_status(service: str, error: ServiceError) -> int:
    """The status the model gives the error shape (400 when it gives none, as the JSON protocol does)."""
    try:
        shape = service_model(service).shape_for(error.code)
    except Exception:
        return 400
    return shape.metadata.get("error", {}).get("httpStatusCode", 400)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """Java-flavoured model patterns Python cannot compile (e.g. \\p{ASCII}) are skipped, not guessed."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def validate(service: str, operation_name: str, params: dict[str, Any]) -> None:
    """Raise InvalidInputException for the first member that breaks the operation's input shape."""
    input_shape = operation(service, operation_name).input_shape
    if input_shape is not None:
        _check(input_shape, params, input_shape.name)


def _check(shape: Shape, value: Any, path: str) -> None:
    if value is None:
        return
    kind = shape.type_name
    limits = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise invalid_input(f"{path} must be an object")
        for required in shape.required_members:
            if value.get(required) is None:
                raise invalid_input(f"{path}.{required} is required")
        for name, member in shape.members.items():
            _check(member, value.get(name), f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            raise invalid_input(f"{path} must be a list")
        _check_size(len(value), limits, path, "items")
        for index, element in enumerate(value):
            _check(shape.member, element, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            raise invalid_input(f"{path} must be an object")
        _check_size(len(value), limits, path, "entries")
        for key, element in value.items():
            _check(shape.key, key, f"{path} key")
            _check(shape.value, element, f"{path}.{key}")
    elif kind == "string":
        if not isinstance(value, str):
            raise invalid_input(f"{path} must be a string")
        _check_size(len(value), limits, path, "characters")
        if "enum" in limits and value not in limits["enum"]:
            raise invalid_input(f"{path} must be one of {', '.join(limits['enum'])}, not {value!r}")
        pattern = (
            _compiled(limits["pattern"])
            if "pattern" in limits and shape.name not in WIDENED_PATTERNS
            else None
        )
        if pattern is not None and not pattern.match(value):
            raise invalid_input(f"{path} {value!r} does not match {limits['pattern']}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_input(f"{path} must be an integer")
        if "min" in limits and value < limits["min"]:
            raise invalid_input(f"{path} must be at least {limits['min']}")
        if "max" in limits and value > limits["max"]:
            raise invalid_input(f"{path} must be at most {limits['max']}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_input(f"{path} must be a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise invalid_input(f"{path} must be true or false")
    elif kind == "timestamp" and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        raise invalid_input(f"{path} must be a timestamp")


def _check_size(size: int, limits: dict[str, Any], path: str, unit: str) -> None:
    if "min" in limits and size < limits["min"]:
        raise invalid_input(f"{path} must have at least {limits['min']} {unit}")
    if "max" in limits and size > limits["max"]:
        raise invalid_input(f"{path} must have at most {limits['max']} {unit}")


def project(value: Any, shape: Shape) -> Any:
    """Keep only the members `shape` defines (recursively); timestamps become epoch seconds."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        return {
            name: project(value[name], member)
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if kind == "list":
        return [project(element, shape.member) for element in value]
    if kind == "map":
        return {key: project(element, shape.value) for key, element in value.items()}
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def output(service: str, operation_name: str, result: dict[str, Any]) -> dict[str, Any]:
    output_shape = operation(service, operation_name).output_shape
    return project(result, output_shape) if output_shape is not None else {}
