"""The child side of a local Lambda execution environment: one function, one environment.

A worker process is what a Lambda container is: started with the function's environment, it
imports its handler once (cold start), then serves invocations one at a time. Its stdout/stderr (the handler's
logs) go to the function's log file, never into the runner's console or the connection.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from allstore.local import aws_call_log
from allstore.local.lambda_code import load_handler


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def error_payload(error: BaseException) -> dict[str, Any]:
    """An unhandled error as the Lambda runtime reports it."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_exception(error)[-10:],
    }


def serve(connection: Connection, code_dir: str, handler_name: str) -> None:
    """Load the handler (the process already has the function's environment) and answer invocations until EOF."""
    environment = os.environ
    # Powertools warns on every invocation that adds no metric (most of them); in a local log that
    # one line drowns out what matters. Metrics that are added are still flushed as usual.
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    calls = aws_call_log.from_environment()  # None unless the tests record AWS calls
    try:
        handler = load_handler(code_dir, handler_name)
    except Exception as error:
        traceback.print_exc()
        init_error = error_payload(error)
        handler = None
    connection.send(("ready", None))
    function_name = environment.get("AWS_LAMBDA_FUNCTION_NAME", "function")
    while True:
        try:
            event, invoked_arn, timeout = connection.recv()
        except (EOFError, OSError):
            return
        if handler is None:
            connection.send(("error", init_error))
            continue
        context = LambdaContext(
            function_name=function_name,
            function_version="$LATEST",
            invoked_function_arn=invoked_arn,
            memory_limit_in_mb=int(environment.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")),
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{function_name}",
            log_stream_name="local",
            deadline=time.monotonic() + timeout,
        )
        if calls is not None:
            calls.invocation(event)
        try:
            result = handler(event, context)
        except Exception as error:
            traceback.print_exc()
            connection.send(("error", error_payload(error)))
            continue
        try:
            payload = json.dumps(result)  # Lambda returns JSON: what cannot be serialised is an error
        except (TypeError, ValueError) as error:
            connection.send(("error", error_payload(error)))
            continue
        connection.send(("ok", payload))


if __name__ == "__main__":
    # python -m allstore.local.lambda_worker <connection fd> <code dir> <handler>
    serve(Connection(int(sys.argv[1])), sys.argv[2], sys.argv[3])
