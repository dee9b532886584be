"""A record of the AWS calls a local function's process makes, for the tests' least-privilege check.

Off unless `ALLSTORE_AWS_CALL_LOG` names a directory: the test session sets it, the store passes it
to its function workers (child_environment) and a function configuration may not set it. A worker
then appends JSON lines to `<directory>/<pid>.jsonl`: first the function's code folder and the
environment variables that name its resources (never the AWS_* ones: the store's keys), then each
invocation's event (a custom resource's handler acts on the resources its request names) and each
call — botocore's service, operation, region and parameters (bulk payloads left out), and each
request opensearch-py sends to a search domain (service `es`, the HTTP method and path).
tests/unit/iam/least_privilege.py reads them and checks every call against the function's role.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

VARIABLE = "ALLSTORE_AWS_CALL_LOG"
MAX_EVENT_BYTES = 16_384  # larger events (stream batches, API requests with bodies) name no resource
_BULK = frozenset({"Body", "Item", "Payload", "eventList"})  # payloads, not names of resources

CallHook = Callable[[str, str, dict[str, Any], str], None]
"""`hook(service, operation, params, region)`, run before the call is sent."""


def on_every_call(hook: CallHook) -> None:
    """Run `hook` before every call of every botocore client created from now on, and before every
    request an opensearch-py client sends (service "es", operation the method, params host and path)."""
    import botocore.client

    create_client = botocore.client.ClientCreator.create_client

    def creating(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        region = client.meta.region_name

        def before(params: dict[str, Any], model: Any, **_: Any) -> None:
            hook(model.service_model.service_name, model.name, params, region)

        client.meta.events.register("before-parameter-build", before)
        return client

    botocore.client.ClientCreator.create_client = creating
    try:
        from opensearchpy.transport import Transport
    except ImportError:  # a process without the search client sends no search requests
        return
    perform_request = Transport.perform_request

    def performing(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        host = self.hosts[0] if self.hosts else {}
        params = {"host": f"{host.get('host')}:{host.get('port')}", "path": url.split("?", 1)[0]}
        hook("es", method.upper(), params, os.environ.get("AWS_REGION", ""))
        return perform_request(self, method, url, *args, **kwargs)

    Transport.perform_request = performing


def names_only(params: dict[str, Any]) -> dict[str, Any]:
    """`params` without bulk payloads (item bodies, object bodies): what names the resources."""
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if key in _BULK:
            continue
        if key == "RequestItems":  # BatchWriteItem/BatchGetItem: the tables, not the items
            value = dict.fromkeys(value)
        kept[key] = value
    return kept


class CallLog:
    """One worker's record: thread-safe appends of one JSON line each."""

    def __init__(self, directory: Path) -> None:
        self._lock = threading.Lock()
        self._file = open(directory / f"{os.getpid()}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        environment["AWS_LAMBDA_FUNCTION_NAME"] = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self._write({"code": os.environ.get("LAMBDA_TASK_ROOT", ""), "environment": environment})
        on_every_call(self.call)

    def _write(self, line: dict[str, Any]) -> None:
        text = json.dumps(line, default=lambda value: f"<{type(value).__name__}>") + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()

    def invocation(self, event: Any) -> None:
        text = json.dumps(event, default=str)
        self._write({"event": event if len(text) <= MAX_EVENT_BYTES else None})

    def call(self, service: str, operation: str, params: dict[str, Any], region: str) -> None:
        self._write(
            {"service": service, "operation": operation, "params": names_only(params), "region": region}
        )


def from_environment() -> CallLog | None:
    """This process's call log when the tests ask for one, else None (and nothing is installed)."""
    directory = os.environ.get(VARIABLE)
    return CallLog(Path(directory)) if directory else None
