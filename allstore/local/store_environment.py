"""The environment that points boto3, the AWS CLI or a notebook kernel at the running local store:
its endpoints, its own credentials, the region, and the variables the cloud's notebook instance
exports. `allstore local env` prints it; `allstore local notebook` starts JupyterLab with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allstore.credentials import StoreCredentials
from allstore.local.aws import endpoint_environment
from allstore.local.state_file import STATE_FILE, is_running, read_state

# What the cloud's notebook instance exports (template: NotebookLifecycle), from the stack's outputs.
NOTEBOOK_VARIABLES = {
    "LAMBDA_GETRECS_ARN": "GetRecommendationsFunctionArn",
    "LAMBDA_GETITEMRECS_ARN": "GetItemRecommendationsFunctionArn",
    "LAMBDA_RERANK_ARN": "SearchFunctionArn",
    "LAMBDA_POSTCLICK_ARN": "PostClickEventFunctionArn",
    "STAGING_BUCKET": "StagingBucket",
    "PERSONALIZE_ROLE_ARN": "PersonalizeRoleArn",
}


class StoreNotRunning(RuntimeError):
    """No local store runs on that state directory (the message says how to start one)."""


def local_store_environment(state_dir: Path) -> dict[str, str]:
    """The running store's variables by name; StoreNotRunning when none runs there (or its files
    cannot be read).

    `AWS_ENDPOINT_URL` sends every service without a variable of its own to local AWS (moto), and
    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false` overrides a profile or shell that would make the
    SDKs ignore both: no client made with these variables reaches real AWS.
    """
    state = _read(state_dir, read_state)
    if not isinstance(state, dict) or not state.get("ready"):
        raise StoreNotRunning(f"No local store in {state_dir}: start one with `allstore local up`.")
    if not is_running(state):
        raise StoreNotRunning(
            f"The local store in {state_dir} is not running: start it again with "
            "`allstore local up` (it keeps its state)."
        )
    try:
        endpoints, stack_name = dict(state["endpoints"]), str(state["stack_name"])
        moto_url = endpoints["sts"]  # every moto service has the same URL
    except (KeyError, TypeError, ValueError):
        raise StoreNotRunning(f"{state_dir / STATE_FILE} does not describe a store: restart it.") from None
    variables = endpoint_environment(endpoints, _read(state_dir, StoreCredentials.read))
    variables["AWS_ENDPOINT_URL"] = moto_url
    variables["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "false"
    variables["CF_STACK_NAME"] = stack_name
    if isinstance(state.get("url"), str):  # the store's API, for allstore.workshop.storefront
        variables["STORE_API_URL"] = state["url"].rstrip("/") + "/Prod/"
    outputs = state.get("outputs")
    outputs = outputs if isinstance(outputs, dict) else {}
    for variable, output in NOTEBOOK_VARIABLES.items():
        if output in outputs:
            variables[variable] = str(outputs[output])
    return variables


def _read(state_dir: Path, reader: Any) -> Any:
    """`reader(state_dir)`, its failure to read a file there as StoreNotRunning naming the cause."""
    try:
        return reader(state_dir.resolve())
    except OSError as error:
        raise StoreNotRunning(f"Cannot read {error.filename or state_dir}: {error.strerror}.") from None
    except (ValueError, KeyError, TypeError):  # not JSON, or not the store's fields
        raise StoreNotRunning(f"The local store's files in {state_dir} are damaged: restart it.") from None
