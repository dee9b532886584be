"""Delete every Amazon Personalize resource a stack's workshop created, in dependency order.

Leftover campaigns bill by the hour, so this is what `allstore workshop cleanup --stack NAME`
(run by teardown.sh) and the workshop's clean-up notebook both call. A resource belongs to the
stack by the naming rule of `resources.belongs_to`; everything inside a matching dataset group goes
with it, and schemas (which are global) only when their own name matches.

Order: campaigns → event trackers and filters → solutions (their versions go with them) →
datasets → schemas → dataset groups. Each stage waits until its deletions are done, because
Personalize refuses to delete a resource something still uses; a resource still being created is
waited for, then deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from allstore.workshop.polling import intervals
from allstore.workshop.resources import (
    CAMPAIGN,
    DATASET,
    DATASET_GROUP,
    EVENT_TRACKER,
    FILTER,
    SCHEMA,
    SOLUTION,
    SOLUTION_VERSION,
    Kind,
    belongs_to,
    list_all,
)
from allstore.workshop.statuses import CREATE_IN_PROGRESS, CREATE_PENDING

DEFAULT_TIMEOUT = 3600.0
# Deletion order; kinds in the same stage do not depend on each other.
STAGES: tuple[tuple[Kind, ...], ...] = (
    (CAMPAIGN,),
    (EVENT_TRACKER, FILTER),
    (SOLUTION,),
    (DATASET,),
    (SCHEMA,),
    (DATASET_GROUP,),
)


@dataclass(frozen=True)
class Resource:
    kind: Kind
    arn: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.label} {self.name}"


@dataclass
class Plan:
    """What a clean-up will delete, in order."""

    stack: str
    resources: list[Resource] = field(default_factory=list)

    def of(self, kind: Kind) -> list[Resource]:
        return [resource for resource in self.resources if resource.kind is kind]

    def describe(self) -> list[str]:
        return [f"{resource} ({resource.arn})" for resource in self.resources]


class CleanupError(RuntimeError):
    """A resource could not be deleted (the message says which and why)."""


def find_resources(personalize: Any, stack: str) -> Plan:
    """The stack's dataset groups with everything in them, and its schemas, in deletion order."""
    if not stack:
        raise ValueError("the stack name must not be empty (it would match every resource)")
    found: dict[Kind, list[Resource]] = {kind: [] for stage in STAGES for kind in stage}

    def add(kind: Kind, document: dict[str, Any]) -> None:
        found[kind].append(Resource(kind, document[kind.arn_key], document.get("name", "")))

    for group in list_all(personalize, DATASET_GROUP):
        if belongs_to(group["name"], stack):
            for kind in (EVENT_TRACKER, FILTER, SOLUTION, DATASET):
                for document in list_all(personalize, kind, datasetGroupArn=group["datasetGroupArn"]):
                    add(kind, document)
            add(DATASET_GROUP, group)
    for solution in found[SOLUTION]:
        for campaign in list_all(personalize, CAMPAIGN, solutionArn=solution.arn):
            add(CAMPAIGN, campaign)
    for schema in list_all(personalize, SCHEMA):
        if belongs_to(schema["name"], stack):
            add(SCHEMA, schema)
    return Plan(stack, [resource for stage in STAGES for kind in stage for resource in found[kind]])


def _error(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return details.get("Code", ""), details.get("Message", str(error))


def _request_deletion(
    personalize: Any, resource: Resource, deadline: float, report: Callable[[str], None]
) -> None:
    """Ask for the deletion, waiting while the resource is still being created or is in use."""
    pause = intervals()
    reported_busy = False
    while True:
        try:
            resource.kind.call(personalize, resource.kind.delete_operation, resource.arn)
            return
        except ClientError as error:
            code, message = _error(error)
            if code == "ResourceNotFoundException":
                return
            if code != "ResourceInUseException" or time.monotonic() > deadline:
                raise CleanupError(f"cannot delete {resource}: {message}") from error
            if not reported_busy:
                report(f"  waiting: {message}")
                reported_busy = True
        time.sleep(next(pause))


def _wait_until_gone(personalize: Any, resource: Resource, deadline: float) -> None:
    pause = intervals()
    while True:
        try:
            document = resource.kind.call(personalize, resource.kind.describe_operation, resource.arn)
        except ClientError as error:
            if _error(error)[0] == "ResourceNotFoundException":
                return
            raise CleanupError(f"cannot check the deletion of {resource}: {_error(error)[1]}") from error
        status = document.get(resource.kind.describe_key, {}).get("status")
        if status == "DELETE FAILED":
            raise CleanupError(f"deleting {resource} failed")
        if time.monotonic() > deadline:
            raise CleanupError(f"{resource} is still {status} when the clean-up timed out")
        time.sleep(next(pause))


def _stop_trainings(personalize: Any, plan: Plan, report: Callable[[str], None]) -> None:
    """Stop the solution versions still training (billed by the hour) instead of waiting for them; a
    solution is deleted once its versions stopped."""
    for solution in plan.of(SOLUTION):
        for version in list_all(personalize, SOLUTION_VERSION, solutionArn=solution.arn):
            if version.get("status") in (CREATE_PENDING, CREATE_IN_PROGRESS):
                report(f"stopping the training of {solution}")
                try:
                    personalize.stop_solution_version_creation(
                        solutionVersionArn=version["solutionVersionArn"]
                    )
                except ClientError as error:  # it finished or failed meanwhile: nothing to stop
                    if _error(error)[0] != "ResourceInUseException":
                        raise CleanupError(
                            f"cannot stop the training of {solution}: {_error(error)[1]}"
                        ) from error


def delete_resources(
    personalize: Any, plan: Plan, report: Callable[[str], None] = print, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """Delete `plan` stage by stage, waiting for each stage to finish; returns how many were deleted."""
    deadline = time.monotonic() + timeout
    _stop_trainings(personalize, plan, report)
    deleted = 0
    for stage in STAGES:
        resources = [resource for kind in stage for resource in plan.of(kind)]
        for resource in resources:
            report(f"deleting {resource}")
            _request_deletion(personalize, resource, deadline, report)
        for resource in resources:
            _wait_until_gone(personalize, resource, deadline)
            report(f"  deleted {resource}")
            deleted += 1
    return deleted
