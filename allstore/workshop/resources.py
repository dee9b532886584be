"""The workshop's Amazon Personalize resources: their kinds, listing, the naming rule, lookup by name.

Every resource the notebooks (and the local store) create is named after the stack — the stack
name itself or "<stack>-..." — so a later notebook can find what an earlier one made, even after a
kernel restart, and the clean-up can find everything. Uses boto3 alone, so it also runs on a
SageMaker notebook instance (the notebooks' `util` puts the repository on sys.path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    """How to list, describe and delete one kind of resource."""

    label: str
    list_operation: str
    list_key: str
    arn_key: str
    describe_operation: str
    delete_operation: str  # "" for a kind the clean-up never deletes
    name_key: str = "name"  # import jobs are named by jobName

    @property
    def describe_key(self) -> str:
        """The key of the resource in a describe response: campaignArn → campaign."""
        return self.arn_key.removesuffix("Arn")

    def call(self, personalize: Any, operation: str, arn: str) -> dict[str, Any]:
        """Describe or delete the resource `arn` (`operation` is one of this kind's operations)."""
        return getattr(personalize, operation)(**{self.arn_key: arn})


def _kind(label: str, plural: str, arn_key: str, list_key: str | None = None) -> Kind:
    """Personalize names its operations regularly: list_<plural>, describe_<x>, delete_<x>."""
    singular = label.replace(" ", "_")
    return Kind(
        label,
        f"list_{plural}",
        list_key or "".join(word.capitalize() if i else word for i, word in enumerate(plural.split("_"))),
        arn_key,
        f"describe_{singular}",
        f"delete_{singular}",
    )


CAMPAIGN = _kind("campaign", "campaigns", "campaignArn")
EVENT_TRACKER = _kind("event tracker", "event_trackers", "eventTrackerArn")
FILTER = _kind("filter", "filters", "filterArn", list_key="Filters")  # the one capitalised key
SOLUTION = _kind("solution", "solutions", "solutionArn")
DATASET = _kind("dataset", "datasets", "datasetArn")
SCHEMA = _kind("schema", "schemas", "schemaArn")
DATASET_GROUP = _kind("dataset group", "dataset_groups", "datasetGroupArn")
# Import jobs and solution versions are found to be reused or stopped, never deleted on their own:
# the service has no DeleteDatasetImportJob or DeleteSolutionVersion (they go with their parent).
SOLUTION_VERSION = Kind(
    "solution version",
    "list_solution_versions",
    "solutionVersions",
    "solutionVersionArn",
    "describe_solution_version",
    delete_operation="",
)
IMPORT_JOB = Kind(
    "dataset import job",
    "list_dataset_import_jobs",
    "datasetImportJobs",
    "datasetImportJobArn",
    "describe_dataset_import_job",
    delete_operation="",
    name_key="jobName",
)


def belongs_to(name: str, stack: str) -> bool:
    """The workshop's naming rule: the stack name itself or "<stack>-..."."""
    return name == stack or name.startswith(f"{stack}-")


def list_all(personalize: Any, kind: Kind, **filters: str) -> Iterator[dict[str, Any]]:
    """Every listed resource of `kind` (filters such as datasetGroupArn=...), following nextToken."""
    params: dict[str, Any] = dict(filters)
    while True:
        page = getattr(personalize, kind.list_operation)(**params)
        yield from page.get(kind.list_key, [])
        if not page.get("nextToken"):
            return
        params["nextToken"] = page["nextToken"]


def find_arn(personalize: Any, kind: Kind, name: str, **filters: str) -> str:
    """The ARN of the `kind` named `name`; LookupError naming the notebook to run when there is none."""
    for document in list_all(personalize, kind, **filters):
        if document.get(kind.name_key) == name:
            return document[kind.arn_key]
    raise LookupError(f"No {kind.label} named {name!r}: run the notebook that creates it first.")


def get_or_create(
    personalize: Any, kind: Kind, name: str, create: Callable[[], dict[str, Any]], **filters: str
) -> str:
    """The ARN of the `kind` named `name`, calling `create()` (a Create operation) only when there is
    none: a notebook run twice, or resumed in a fresh kernel, reuses what the first run made instead
    of failing with ResourceAlreadyExistsException."""
    try:
        return find_arn(personalize, kind, name, **filters)
    except LookupError:
        return create()[kind.arn_key]
