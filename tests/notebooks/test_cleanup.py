"""The clean-up against the local Personalize service: every kind of resource, in order, and a
solution still training stopped and waited for rather than failing the clean-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest

from allstore.personalize import recipes
from allstore.personalize.server import PersonalizeServer
from allstore.workshop.cleanup import STAGES, delete_resources, find_resources
from allstore.workshop.resources import DATASET_GROUP, IMPORT_JOB, get_or_create
from tests.unit.personalize.conftest import Clients, deploy, generate_store, make_clients

KINDS = [kind for stage in STAGES for kind in stage]


@pytest.fixture
def service(tmp_path) -> Iterator[Clients]:
    server = PersonalizeServer(tmp_path / "state", port=0)
    server.start()
    yield make_clients(server)
    server.stop()


def test_deletes_in_dependency_order_stopping_a_training(service: Clients, tmp_path, monkeypatch) -> None:
    p = service.personalize
    data = tmp_path / "data"
    data.mkdir()
    deployed = deploy(service, generate_store(data), name="shop")
    p.create_event_tracker(name="shop-clicks", datasetGroupArn=deployed.group_arn)
    p.create_dataset_group(name="shopping")  # another stack's: shares the letters, not the prefix
    recipe = recipes.get_recipe("aws-user-personalization")
    original_fit, release = recipe.fit, threading.Event()
    monkeypatch.setattr(
        recipe, "fit", lambda *args, **kwargs: release.wait(30) and original_fit(*args, **kwargs)
    )
    p.create_solution_version(solutionArn=deployed.solution_arn)  # trains until released

    plan = find_resources(p, "shop")
    assert [resource.kind.label for resource in plan.resources] == [
        "campaign",
        "event tracker",
        "solution",
        *["dataset"] * 3,
        *["schema"] * 3,
        "dataset group",
    ]
    reports: list[str] = []
    outcome: dict[str, object] = {}
    worker = threading.Thread(
        target=lambda: outcome.update(deleted=delete_resources(p, plan, report=reports.append, timeout=60))
    )
    worker.start()
    deadline = time.monotonic() + 30
    while not any(line.startswith("deleting solution") for line in reports) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reports[0] == "stopping the training of solution shop-solution", reports  # before anything goes
    assert "  deleted campaign shop-campaign" in reports and "  deleted event tracker shop-clicks" in reports
    release.set()
    worker.join(60)

    assert outcome == {"deleted": 10}
    assert [line for line in reports if line.startswith("stopping")] == [reports[0]]
    assert find_resources(p, "shop").resources == []
    assert [group["name"] for group in p.list_dataset_groups()["datasetGroups"]] == ["shopping"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.label)
def test_kinds_match_the_aws_api(kind) -> None:
    """Operation names and response keys as botocore's model of the real service has them."""
    model = boto3.client("personalize", region_name="us-east-1").meta.service_model

    def operation(python_name: str):
        return model.operation_model("".join(word.capitalize() for word in python_name.split("_")))

    assert kind.list_key in operation(kind.list_operation).output_shape.members
    assert kind.describe_key in operation(kind.describe_operation).output_shape.members
    assert kind.arn_key in operation(kind.delete_operation).input_shape.members


def test_import_jobs_are_found_by_job_name_as_the_aws_api_lists_them() -> None:
    model = boto3.client("personalize", region_name="us-east-1").meta.service_model
    listing = model.operation_model("ListDatasetImportJobs").output_shape.members[IMPORT_JOB.list_key]
    assert {IMPORT_JOB.name_key, IMPORT_JOB.arn_key} <= set(listing.member.members)
    assert IMPORT_JOB.describe_key in model.operation_model("DescribeDatasetImportJob").output_shape.members
    assert "DeleteDatasetImportJob" not in model.operation_names  # so the clean-up has none to call


def test_get_or_create_creates_once(service: Clients) -> None:
    p = service.personalize
    calls = []

    def create() -> dict:
        calls.append(1)
        return p.create_dataset_group(name="shop")

    first = get_or_create(p, DATASET_GROUP, "shop", create)
    assert get_or_create(p, DATASET_GROUP, "shop", create) == first and len(calls) == 1
