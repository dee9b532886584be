"""Run the template's custom resources the way CloudFormation does.

CloudFormation invokes the resource's ServiceToken function asynchronously with a Create request
whose ResponseURL is a pre-signed S3 URL, then waits for the function to PUT its answer there.
Locally the ResponseURL is a one-shot endpoint on 127.0.0.1 served here; the function is the local
one; properties reach the handler as strings, as CloudFormation sends them.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from allstore.local.lambda_runtime import FunctionError, FunctionRuntime
from allstore.local.provision import Provisioned
from allstore.loopback import LoopbackServer, Response, json_error, parse_json

log = logging.getLogger(__name__)


class CustomResourceFailed(RuntimeError):
    """The function answered FAILED, never answered, or could not run."""


def cloudformation_strings(value: Any) -> Any:
    """Property values as CloudFormation passes them to custom resources: scalars become strings."""
    if isinstance(value, dict):
        return {key: cloudformation_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cloudformation_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ResponseCollector:
    """The ResponseURL endpoint: collects each request's answer (a PUT of a JSON document)."""

    MAX_ANSWER_BYTES = 1024 * 1024

    def __init__(self) -> None:
        self._answers: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        self._server = LoopbackServer(
            self._receive, name="cfn-responses", max_body_bytes=self.MAX_ANSWER_BYTES
        )
        self._server.start()

    def _receive(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        if method != "PUT":
            return 405, *json_error(405, "the response URL takes a PUT of the answer")
        try:
            answer = parse_json(body)
        except ValueError as error:
            return 400, *json_error(400, f"the answer is not JSON: {error}")
        with self._arrived:
            self._answers[urlsplit(target).path.lstrip("/")] = answer
            self._arrived.notify_all()
        return 200, {}, b""

    def url_for(self, request_id: str) -> str:
        return f"{self._server.url}/{request_id}"

    def wait(self, request_id: str, timeout: float, failed: Callable[[], str | None]) -> dict[str, Any]:
        """The answer to `request_id`; gives up after `timeout` s, or once `failed()` returns a reason."""
        with self._arrived:
            remaining = timeout
            while request_id not in self._answers:
                reason = failed()
                if reason is not None:
                    raise CustomResourceFailed(reason)
                if remaining <= 0:
                    raise CustomResourceFailed(f"no answer within {timeout:.0f} s")
                self._arrived.wait(min(1.0, remaining))
                remaining -= 1.0
            return self._answers.pop(request_id)

    def stop(self) -> None:
        self._server.stop()


def run_custom_resource(
    collector: ResponseCollector,
    runtime: FunctionRuntime,
    *,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    stack_id: str,
) -> Provisioned:
    """Send a Create request to the resource's function and wait for its answer, as CloudFormation does."""
    request_id = str(uuid.uuid4())
    event = {
        "RequestType": "Create",
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": collector.url_for(request_id),
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": cloudformation_strings(properties),
    }
    invocation_error: list[str] = []

    def invoke() -> None:
        try:
            runtime.invoke(event)
        except FunctionError as error:
            invocation_error.append(f"{error.payload.get('errorType')}: {error.payload.get('errorMessage')}")

    worker = threading.Thread(target=invoke, name=f"custom-resource:{logical_id}", daemon=True)
    worker.start()

    def failed() -> str | None:
        # A function that crashed before answering leaves CloudFormation waiting; locally we know.
        if invocation_error:
            return f"the function failed without answering: {invocation_error[0]}"
        return None

    answer = collector.wait(request_id, timeout=runtime.spec.timeout + 30, failed=failed)
    if answer.get("Status") != "SUCCESS":
        raise CustomResourceFailed(f"{logical_id}: {answer.get('Reason', 'no reason given')}")
    log.info("%s created (%s)", logical_id, answer.get("PhysicalResourceId"))
    return Provisioned(
        ref=answer.get("PhysicalResourceId", logical_id), attributes=dict(answer.get("Data") or {})
    )
