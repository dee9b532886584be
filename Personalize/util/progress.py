"""Waiting for Amazon Personalize resources with visible progress, in a notebook or a terminal.

Training takes minutes to hours on AWS and seconds locally, so the poll interval starts short and
grows: the same cell is quick against the local store and polite to the AWS API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

IN_PROGRESS = ("CREATE PENDING", "CREATE IN_PROGRESS", "UPDATE PENDING", "UPDATE IN_PROGRESS")
FIRST_INTERVAL = 0.5
MAX_INTERVAL = 30.0


class ResourceFailed(RuntimeError):
    """A resource ended in a state other than ACTIVE (e.g. CREATE FAILED)."""


def intervals(first: float = FIRST_INTERVAL, longest: float = MAX_INTERVAL):
    """Poll intervals growing by half each time up to `longest`."""
    interval = first
    while True:
        yield interval
        interval = min(interval * 1.5, longest)


def wait_until_active(
    describe: Callable[[], dict[str, Any]], what: str, timeout: float = 4 * 3600
) -> dict[str, Any]:
    """Poll `describe()` (returning the resource, with `status`) until ACTIVE; returns the resource.

    Raises `ResourceFailed` with the service's `failureReason` if it fails, `TimeoutError` after
    `timeout` seconds.
    """
    started = time.monotonic()
    with tqdm(desc=what, bar_format="{desc}: {postfix} [{elapsed}]", postfix="…") as bar:
        pause = intervals()
        while True:
            resource = describe()
            status = resource.get("status", "")
            bar.set_postfix_str(status)
            if status == "ACTIVE":
                return resource
            if status not in IN_PROGRESS:
                reason = resource.get("failureReason") or "no reason given"
                raise ResourceFailed(f"{what} is {status}: {reason}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what} is still {status} after {timeout:.0f} s")
            time.sleep(next(pause))


def wait_until_gone(describe: Callable[[], Any], what: str, timeout: float = 3600) -> None:
    """Poll `describe()` until it raises ResourceNotFoundException (the deletion finished)."""
    started = time.monotonic()
    with tqdm(desc=f"deleting {what}", bar_format="{desc} [{elapsed}]") as bar:
        pause = intervals()
        while True:
            try:
                describe()
            except Exception as error:  # boto3 raises a per-client exception class; match by code
                if _error_code(error) == "ResourceNotFoundException":
                    bar.set_description_str(f"deleted {what}")
                    return
                raise
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what} is still being deleted after {timeout:.0f} s")
            time.sleep(next(pause))


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code")
