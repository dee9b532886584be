"""Resource state: every schema, dataset group, dataset, job, solution, version, campaign, event
tracker and filter as a JSON document keyed by its ARN, persisted one file each.

Writes go to a temporary file that is renamed into place, so a crash never leaves half a resource.
Fields whose names start with "_" are internal bookkeeping; the wire layer drops them because they
are not in the API's shapes. `usable` and `active` are the one check every operation makes before it
uses a resource (a resource being deleted is not found; one not ACTIVE cannot be used yet).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from allstore.personalize.errors import ServiceError, already_exists, in_use, invalid_next_token, not_found
from allstore.state_dir import arn_filename, write_atomically
from allstore.workshop.statuses import ACTIVE, CREATE_PENDING, being_deleted

ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with the rest of the local stack
KINDS = (
    "schema",
    "dataset-group",
    "dataset",
    "dataset-import-job",
    "solution",
    "solution-version",
    "campaign",
    "event-tracker",
    "filter",
)
_LABELS = {
    "schema": "Schema",
    "dataset-group": "Dataset group",
    "dataset": "Dataset",
    "dataset-import-job": "Dataset import job",
    "solution": "Solution",
    "solution-version": "Solution version",
    "campaign": "Campaign",
    "event-tracker": "Event tracker",
    "filter": "Filter",
}


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def make_arn(kind: str, resource_id: str) -> str:
    """arn:aws:personalize:<region>:<account>:<kind>/<id>, as the service writes them."""
    return f"arn:aws:personalize:{region()}:{ACCOUNT_ID}:{kind}/{resource_id}"


class ResourceStore:
    """Thread-safe, persistent resource documents under `<state>/resources/<kind>/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self._resources: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        for kind in KINDS:
            folder = root / kind
            folder.mkdir(parents=True, exist_ok=True)
            for path in folder.glob("*.json"):
                document = json.loads(path.read_text(encoding="utf-8"))
                self._resources[kind][document["_arn"]] = document

    def _path(self, kind: str, arn: str) -> Path:
        return self.root / kind / arn_filename(arn, ".json")

    def _write(self, kind: str, document: dict[str, Any]) -> None:
        write_atomically(self._path(kind, document["_arn"]), json.dumps(document, sort_keys=True))

    def create(self, kind: str, arn: str, document: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        with self.lock:
            document = {**document, "_arn": arn, "creationDateTime": now, "lastUpdatedDateTime": now}
            self._resources[kind][arn] = document
            self._write(kind, document)
            return dict(document)

    def find(self, kind: str, arn: str) -> dict[str, Any] | None:
        with self.lock:
            document = self._resources[kind].get(arn)
            return dict(document) if document is not None else None

    def get(self, kind: str, arn: str) -> dict[str, Any]:
        """The resource, or ResourceNotFoundException (also for deleted ones)."""
        document = self.find(kind, arn)
        if document is None:
            raise not_found(f"{_LABELS[kind]} {arn} does not exist.")
        return document

    def update(self, kind: str, arn: str, **changes: Any) -> dict[str, Any]:
        with self.lock:
            document = self._resources[kind].get(arn)
            if document is None:
                raise not_found(f"{_LABELS[kind]} {arn} does not exist.")
            document.update(changes, lastUpdatedDateTime=time.time())
            self._write(kind, document)
            return dict(document)

    def new(self, kind: str, arn: str, document: dict[str, Any]) -> dict[str, Any]:
        """Create a resource in CREATE PENDING, or ResourceAlreadyExistsException."""
        with self.lock:
            if self.find(kind, arn) is not None:
                raise already_exists(f"{arn} already exists.")
            return self.create(kind, arn, {**document, "status": CREATE_PENDING})

    def usable(self, kind: str, arn: str) -> dict[str, Any]:
        """The resource, or ResourceNotFoundException when it does not exist or is being deleted."""
        document = self.get(kind, arn)
        if being_deleted(document["status"]):
            raise not_found(f"{_LABELS[kind]} {arn} is being deleted.")
        return document

    def active(
        self, kind: str, arn: str, not_active: Callable[[str], ServiceError] = in_use
    ) -> dict[str, Any]:
        """The usable resource if it is ACTIVE, else `not_active` (ResourceInUseException by default;
        the runtime answers InvalidInputException, as the service does)."""
        document = self.usable(kind, arn)
        if document["status"] != ACTIVE:
            raise not_active(f"{_LABELS[kind]} {arn} is {document['status']}, not ACTIVE.")
        return document

    def remove(self, kind: str, arn: str) -> None:
        with self.lock:
            if self._resources[kind].pop(arn, None) is not None:
                self._path(kind, arn).unlink(missing_ok=True)

    def select(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> list[dict[str, Any]]:
        """Matching resources, newest first (the order the service lists them in)."""
        with self.lock:
            found = [dict(document) for document in self._resources[kind].values() if where(document)]
        return sorted(found, key=lambda document: document["creationDateTime"], reverse=True)

    def list_page(
        self,
        kind: str,
        key: str,
        params: dict[str, Any],
        where: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> dict[str, Any]:
        """A List operation's answer: one page of `select(kind, where)` under `key`, and nextToken."""
        page, token = paginate(self.select(kind, where), params.get("nextToken"), params.get("maxResults"))
        return {key: page, "nextToken": token}


def paginate(
    documents: list[dict[str, Any]], next_token: str | None, max_results: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page and the token for the next (an opaque offset), as the List operations return them."""
    offset = 0
    if next_token:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(next_token.encode()))["offset"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise invalid_next_token("The nextToken is not valid.") from None
        if offset < 0:
            raise invalid_next_token("The nextToken is not valid.")
    size = max_results or 100
    page = documents[offset : offset + size]
    more = offset + size < len(documents)
    token = (
        base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode() if more else None
    )
    return page, token
