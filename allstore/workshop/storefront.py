"""The store's REST API as a shopper's browser calls it, so a notebook can show what the store shows.

A campaign answering in the notebook does not prove the store uses it: the notebooks end by asking
the store itself (`GET /Prod/recommendations/<user>` and the like) and showing its answer next to
theirs. The API's address is the stack's `ApiURL` output (the notebook role may DescribeStacks its
own stack); `STORE_API_URL` overrides it, which `allstore local env` sets for the local store.
Standard library and boto3 only, as the rest of `allstore.workshop`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

API_URL_VARIABLE = "STORE_API_URL"
API_URL_OUTPUT = "ApiURL"
WIRING_CACHE_SECONDS = 30  # how long the functions keep a wiring parameter (allstore_common.wiring)


class StoreError(RuntimeError):
    """The store's API answered with an error status (the message has the status and its message)."""


def api_url(stack: str, cloudformation: Any | None = None) -> str:
    """The store's API base URL, ending in `/Prod/`: `STORE_API_URL`, else the stack's ApiURL output."""
    configured = os.environ.get(API_URL_VARIABLE)
    if configured:
        return configured.rstrip("/") + "/"
    if cloudformation is None:
        import boto3  # only where the stack is asked

        cloudformation = boto3.client("cloudformation")
    stack_description = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    for output in stack_description.get("Outputs", []):
        if output["OutputKey"] == API_URL_OUTPUT:
            return output["OutputValue"].rstrip("/") + "/"
    raise LookupError(f"Stack {stack} has no {API_URL_OUTPUT} output; set {API_URL_VARIABLE}.")


class Storefront:
    """GET requests to the store's API at `base_url` (ending in `/Prod/`)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout

    @classmethod
    def of_stack(cls, stack: str, cloudformation: Any | None = None) -> Storefront:
        return cls(api_url(stack, cloudformation))

    def get(self, path: str, **query: str) -> dict[str, Any]:
        """The JSON answer to `GET <base>/<path>?<query>`; StoreError on a 4xx/5xx answer."""
        url = self.base_url + urllib.parse.quote(path.lstrip("/"))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 - the store's https/http URL
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("message", "")
            except ValueError:
                message = ""
            raise StoreError(f"GET {url}: {error.code} {message or error.reason}") from None

    def get_when(
        self,
        path: str,
        done: Callable[[dict[str, Any]], bool],
        timeout: float = 2 * WIRING_CACHE_SECONDS,
        **query: str,
    ) -> dict[str, Any]:
        """`get`, repeated until `done(answer)` or for `timeout` seconds (then the last answer): a
        function may still hold the wiring it read before the notebook changed it."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(path, **query)
            if done(answer) or time.monotonic() >= deadline:
                return answer
            time.sleep(2)

    def get_when_wired(self, path: str, **query: str) -> dict[str, Any]:
        """`get_when` the answer carries no `warning` (the store's functions warn while no campaign
        is wired for them)."""
        return self.get_when(path, lambda answer: "warning" not in answer, **query)
