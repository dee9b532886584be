"""Resource state: every schema, dataset group, dataset, job, solution, version, campaign, event
tracker and filter as a frozen dataclass (`kinds.py` says what each holds), keyed by its ARN and
persisted one JSON file each.

A resource's wire shape is computed in one place, `Shaped.wire()`: field names become the API's
member names, fields marked INTERNAL stay out of answers (they are persisted under "_" names).
Writes go to a temporary file that is renamed into place, so a crash never leaves half a resource.
`usable` and `active` are the one check every operation makes before it uses a resource (a resource
being deleted is not found; one not ACTIVE cannot be used yet). Regions are separate, as on AWS: a
request sees only the resources whose ARN names its signing region (`in_request_region`).
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

from allstore.personalize.errors import ServiceError, already_exists, in_use, invalid_next_token, not_found
from allstore.state_dir import arn_filename, write_atomically
from allstore.workshop.statuses import ACTIVE, CREATE_PENDING, being_deleted

ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with the rest of the local stack
# Member names that are not the camelCase of their Python name (botocore's xform_name inverted).
IRREGULAR_WIRE_NAMES = {
    "perform_hpo": "performHPO",
    "perform_auto_ml": "performAutoML",
    "auto_ml_result": "autoMLResult",
    "tuned_hpo_params": "tunedHPOParams",
    "min_provisioned_tps": "minProvisionedTPS",
}


# The region the request being served was signed for (server.py sets it per request), so ARNs
# carry the client's region as the service's do; PersonalizeService.handle falls back to the
# configured region for a call without a scope. Outside an operation (jobs, recovery) it is None.
REQUEST_REGION: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_region", default=None)


def region() -> str:
    return (
        REQUEST_REGION.get()
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )


def in_request_region(arn: str) -> bool:
    """Whether the request being served may see the resource with this ARN: only its own region's
    (each region is separate on AWS). Outside a request (jobs, recovery) every region's is seen."""
    requested = REQUEST_REGION.get()
    if requested is None:
        return True
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[3] == requested


def make_arn(kind: str, resource_id: str) -> str:
    """arn:aws:personalize:<region>:<account>:<kind>/<id>, as the service writes them."""
    return f"arn:aws:personalize:{region()}:{ACCOUNT_ID}:{kind}/{resource_id}"


def wire_name(name: str) -> str:
    """The API member name of a Python field name: dataset_group_arn -> datasetGroupArn."""
    if name in IRREGULAR_WIRE_NAMES:
        return IRREGULAR_WIRE_NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# Field metadata: INTERNAL marks a field the service keeps for itself (persisted, never in an
# answer); {NESTED: SomeShaped} marks a field holding another structure.
INTERNAL = {"internal": True}
NESTED = "nested"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Shaped:
    """A structure of the API: Python field names, the API's member names on the wire."""

    arn_member: ClassVar[str | None] = None  # the member name of the `arn` field, for resources

    @classmethod
    def _member(cls, field: dataclasses.Field) -> str:
        name = cls.arn_member if field.name == "arn" and cls.arn_member else wire_name(field.name)
        return "_" + name if field.metadata.get("internal") else name

    def wire(self) -> dict[str, Any]:
        """The structure as Describe and List answer it (the model's output shape cuts summaries)."""
        return self._members(internal=False)

    def document(self) -> dict[str, Any]:
        """The structure as persisted: its wire members plus the internal ones."""
        return self._members(internal=True)

    def _members(self, internal: bool) -> dict[str, Any]:
        members = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None or (field.metadata.get("internal") and not internal):
                continue
            members[self._member(field)] = value._members(internal) if isinstance(value, Shaped) else value
        return members

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        values = {}
        for field in dataclasses.fields(cls):
            member = cls._member(field)
            if member in document:
                value = document[member]
                shape = field.metadata.get(NESTED)
                values[field.name] = shape.from_document(value) if shape and value is not None else value
        return cls(**values)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Resource(Shaped):
    """What every resource holds: its ARN, status and times. Subclasses say the rest."""

    kind: ClassVar[str]  # the ARN's resource type and the folder it is persisted in
    label: ClassVar[str]  # how messages name it

    arn: str
    status: str = CREATE_PENDING
    failure_reason: str | None = None
    creation_date_time: float = 0.0
    last_updated_date_time: float = 0.0


R = TypeVar("R", bound=Resource)


class ResourceStore:
    """Thread-safe, persistent resources under `<state>/resources/<kind>/`."""

    def __init__(self, root: Path, kinds: Sequence[type[Resource]]) -> None:
        self.root = root
        self.lock = threading.RLock()
        self._resources: dict[type[Resource], dict[str, Resource]] = {kind: {} for kind in kinds}
        for kind in kinds:
            folder = root / kind.kind
            folder.mkdir(parents=True, exist_ok=True)
            for path in folder.glob("*.json"):
                resource = kind.from_document(json.loads(path.read_text(encoding="utf-8")))
                self._resources[kind][resource.arn] = resource

    def _path(self, resource: type[Resource] | Resource, arn: str) -> Path:
        return self.root / resource.kind / arn_filename(arn, ".json")

    def _write(self, resource: Resource) -> None:
        write_atomically(self._path(resource, resource.arn), json.dumps(resource.document(), sort_keys=True))

    def new(self, resource: R) -> R:
        """Store a new resource in CREATE PENDING, or ResourceAlreadyExistsException."""
        now = time.time()
        with self.lock:
            if resource.arn in self._resources[type(resource)]:
                raise already_exists(f"{resource.arn} already exists.")
            resource = dataclasses.replace(
                resource, status=CREATE_PENDING, creation_date_time=now, last_updated_date_time=now
            )
            self._resources[type(resource)][resource.arn] = resource
            self._write(resource)
            return resource

    def find(self, kind: type[R], arn: str) -> R | None:
        """The resource, if the request's region may see it (None otherwise, as for no resource)."""
        if not in_request_region(arn):
            return None
        with self.lock:
            return self._resources[kind].get(arn)  # type: ignore[return-value]

    def get(self, kind: type[R], arn: str) -> R:
        """The resource, or ResourceNotFoundException (also for deleted ones)."""
        resource = self.find(kind, arn)
        if resource is None:
            raise not_found(f"{kind.label} {arn} does not exist.")
        return resource

    def update(self, kind: type[R], arn: str, **changes: Any) -> R:
        """Replace fields (by their Python names) and persist the result."""
        with self.lock:
            resource = dataclasses.replace(self.get(kind, arn), **changes, last_updated_date_time=time.time())
            self._resources[kind][arn] = resource
            self._write(resource)
            return resource

    def usable(self, kind: type[R], arn: str) -> R:
        """The resource, or ResourceNotFoundException when it does not exist or is being deleted."""
        resource = self.get(kind, arn)
        if being_deleted(resource.status):
            raise not_found(f"{kind.label} {arn} is being deleted.")
        return resource

    def active(self, kind: type[R], arn: str, not_active: Callable[[str], ServiceError] = in_use) -> R:
        """The usable resource if it is ACTIVE, else `not_active` (ResourceInUseException by default;
        the runtime answers InvalidInputException, as the service does)."""
        resource = self.usable(kind, arn)
        if resource.status != ACTIVE:
            raise not_active(f"{kind.label} {arn} is {resource.status}, not ACTIVE.")
        return resource

    def remove(self, kind: type[Resource], arn: str) -> None:
        with self.lock:
            if self._resources[kind].pop(arn, None) is not None:
                self._path(kind, arn).unlink(missing_ok=True)

    def select(self, kind: type[R], where: Callable[[R], bool] = lambda _: True) -> list[R]:
        """Matching resources, newest first (the order the service lists them in)."""
        with self.lock:
            found = [resource for resource in self._resources[kind].values() if where(resource)]  # type: ignore[arg-type]
        return sorted(found, key=lambda resource: resource.creation_date_time, reverse=True)  # type: ignore[return-value]

    def list_page(
        self,
        kind: type[R],
        key: str,
        next_token: str | None,
        max_results: int | None,
        where: Callable[[R], bool] = lambda _: True,
        **equal: str | None,
    ) -> dict[str, Any]:
        """A List operation's answer under `key`, and nextToken: one page of the request region's
        resources `where` accepts whose fields equal the `equal` values given (a None value filters
        nothing)."""
        wanted = {name: value for name, value in equal.items() if value is not None}

        def listed(resource: R) -> bool:
            return (
                in_request_region(resource.arn)
                and where(resource)
                and all(getattr(resource, name) == value for name, value in wanted.items())
            )

        page, token = paginate(self.select(kind, listed), next_token, max_results)
        return {key: [resource.wire() for resource in page], "nextToken": token}


T = TypeVar("T")


def paginate(entries: list[T], next_token: str | None, max_results: int | None) -> tuple[list[T], str | None]:
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
    page = entries[offset : offset + size]
    more = offset + size < len(entries)
    token = (
        base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode() if more else None
    )
    return page, token
