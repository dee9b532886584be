"""The environment that points boto3, the AWS CLI or a notebook kernel at the running local store:
its endpoints, its own credentials, the region, and the variables the cloud's notebook instance
exports. `allstore local env` prints it; `allstore local notebook` starts JupyterLab with it."""

from __future__ import annotations

from pathlib import Path

from allstore.local.aws import endpoint_environment
from allstore.local.credentials import StoreCredentials
from allstore.local.state_file import is_running, read_state

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
    """The running store's variables by name; StoreNotRunning when none runs there."""
    state = read_state(state_dir.resolve())
    if not state.get("ready"):
        raise StoreNotRunning(f"No local store in {state_dir}: start one with `allstore local up`.")
    if not is_running(state):
        raise StoreNotRunning(
            f"The local store in {state_dir} is not running: start it again with "
            "`allstore local up` (it keeps its state)."
        )
    variables = endpoint_environment(state["endpoints"], StoreCredentials.read(state_dir.resolve()))
    variables["CF_STACK_NAME"] = state["stack_name"]
    outputs = state.get("outputs", {})
    for variable, output in NOTEBOOK_VARIABLES.items():
        if output in outputs:
            variables[variable] = str(outputs[output])
    return variables
