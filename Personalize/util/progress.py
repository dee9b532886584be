"""Waiting for Amazon Personalize resources with visible progress, in a notebook or a terminal.

tqdm shows the status and the time elapsed; it renders both in JupyterLab and as plain text (e.g.
when nbclient runs a notebook headless). Polls follow `allstore.workshop.polling.intervals`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from allstore.workshop.polling import intervals  # util put the repository on sys.path
from allstore.workshop.statuses import IN_PROGRESS as IN_PROGRESS  # the service's waiting states


class ResourceFailed(RuntimeError):
    """A resource ended in a state other than ACTIVE (e.g. CREATE FAILED)."""


def wait_until_active(
    describe: Callable[[], dict[str, Any]], what: str, timeout: float = 4 * 3600, expected: str = ""
) -> dict[str, Any]:
    """Poll `describe()` (returning the resource, with `status`) until ACTIVE; returns the resource.

    `expected` (e.g. "20-40 min on AWS") is printed first, so a participant knows whether to wait or
    to go on with something else meanwhile. Raises `ResourceFailed` with the service's `failureReason` if it fails, `TimeoutError` after
    `timeout` seconds.
    """
    started = time.monotonic()
    if expected:
        print(f"{what}: expected {expected}")
    with tqdm(desc=what, bar_format="{desc} [{elapsed}]") as bar:
        pause = intervals()
        while True:
            resource = describe()
            status = resource.get("status", "")
            bar.set_description_str(f"{what}: {status}")
            if status == "ACTIVE":
                return resource
            if status not in IN_PROGRESS:
                reason = resource.get("failureReason") or "no reason given"
                raise ResourceFailed(f"{what} is {status}: {reason}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what} is still {status} after {timeout:.0f} s")
            time.sleep(next(pause))
