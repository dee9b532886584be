"""Run the template's custom resources the way CloudFormation does.

CloudFormation invokes the resource's ServiceToken function asynchronously with a Create request
whose ResponseURL is a pre-signed S3 URL, then waits for the function to PUT its answer there.
Locally the ResponseURL is a one-shot endpoint on 127.0.0.1 served here; the function is the local
one; properties reach the handler as strings, as CloudFormation sends them.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from allstore.local.lambda_runtime import FunctionError, FunctionRuntime
from allstore.local.provision import Provisioned

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

    def __init__(self) -> None:
        self._answers: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    answer = json.loads(body)
                except ValueError:
                    self.send_response(HTTPStatus.BAD_REQUEST)
                    self.end_headers()
                    return
                with collector._arrived:
                    collector._answers[self.path.lstrip("/")] = answer
                    collector._arrived.notify_all()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="cfn-responses", daemon=True).start()

    def url_for(self, request_id: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{request_id}"

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
        self._server.shutdown()
        self._server.server_close()


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
