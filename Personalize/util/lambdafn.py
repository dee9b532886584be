"""Read and change a Lambda function's environment variables, as the workshop wires campaigns in.

`UpdateFunctionConfiguration` replaces the whole environment, so every change here merges with the
variables the stack already set (SEARCH_ENDPOINT, table names, ...) instead of wiping them.
"""

from __future__ import annotations

import time
from typing import Any

from allstore.workshop.polling import intervals  # util put the repository on sys.path

UPDATE_TIMEOUT = 300.0


def get_environment(lambda_client: Any, function: str) -> dict[str, str]:
    """The function's environment variables (empty when it has none)."""
    configuration = lambda_client.get_function_configuration(FunctionName=function)
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def update_environment(lambda_client: Any, function: str, **changes: str | None) -> dict[str, str]:
    """Set (or, with None, remove) variables, keeping the others; returns the new environment.

    Waits until the update is applied: Lambda refuses a second update while one is in progress.
    """
    variables = get_environment(lambda_client, function)
    for name, value in changes.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    configuration = lambda_client.update_function_configuration(
        FunctionName=function, Environment={"Variables": variables}
    )
    deadline = time.monotonic() + UPDATE_TIMEOUT
    pause = intervals()
    while True:
        status = configuration.get("LastUpdateStatus", "Successful")
        if status == "Successful":
            return dict(configuration.get("Environment", {}).get("Variables", variables))
        if status == "Failed":
            raise RuntimeError(f"Updating {function} failed: {configuration.get('LastUpdateStatusReason')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Updating {function} is still {status} after {UPDATE_TIMEOUT:.0f} s")
        time.sleep(next(pause))
        configuration = lambda_client.get_function_configuration(FunctionName=function)
