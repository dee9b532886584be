"""Automatic training (performAutoTraining): the first version an hour after the solution is
created, then one per schedulingExpression, on a scaled clock (ALLSTORE_PERSONALIZE_HOUR_SECONDS)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from allstore.personalize.state.jobs import HOUR_VARIABLE
from tests.unit.personalize.conftest import Clients, Store, deploy, wait_for

HOUR = 0.1  # seconds: a day is 2.4 s


@pytest.fixture
def short_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOUR_VARIABLE, str(HOUR))


def versions(clients: Clients, solution_arn: str) -> list[dict]:
    return clients.personalize.list_solution_versions(solutionArn=solution_arn)["solutionVersions"]


def wait_versions(clients: Clients, solution_arn: str, count: int, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(found := versions(clients, solution_arn)) < count:
        assert time.monotonic() < deadline, f"{len(found)} versions after {timeout}s"
        time.sleep(0.05)
    return found


def test_automatic_versions_follow_the_schedule_until_turned_off(
    short_hours: None, clients: Clients, store: Store
) -> None:
    shop = deploy(clients, store, name="auto", recipe="aws-sims", campaign=False)
    p = clients.personalize
    solution_arn, manual_only = (
        p.create_solution(
            name=name,
            datasetGroupArn=shop.group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-sims",
            **kwargs,
        )["solutionArn"]
        for name, kwargs in (
            ("daily", {"solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}}}),
            ("manual", {"performAutoTraining": False}),
        )
    )
    started = time.monotonic()
    first = wait_versions(clients, solution_arn, 1)[0]
    assert time.monotonic() - started >= HOUR * 0.5  # not at once: an hour after creation
    assert (first["trainingType"], first["trainingMode"]) == ("AUTOMATIC", "AUTOTRAIN")
    version = wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=first["solutionVersionArn"])["solutionVersion"]
    )
    assert version["status"] == "ACTIVE", version
    assert version["trainingType"] == "AUTOMATIC"
    time.sleep(HOUR * 24 * 0.5)  # half a day: nothing new yet
    assert len(versions(clients, solution_arn)) == 1
    second = wait_versions(clients, solution_arn, 2)[0]
    assert second["trainingType"] == "AUTOMATIC"
    assert second["creationDateTime"].timestamp() - first["creationDateTime"].timestamp() >= HOUR * 24 * 0.9
    wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=second["solutionVersionArn"])[
            "solutionVersion"
        ]
    )

    p.update_solution(solutionArn=solution_arn, performAutoTraining=False)
    time.sleep(HOUR * 24 * 1.5)
    assert len(versions(clients, solution_arn)) == 2
    assert versions(clients, manual_only) == []
    # the deployed solution's manual version within its first hour skipped the first automatic one
    assert [v["trainingType"] for v in versions(clients, shop.solution_arn)] == ["MANUAL"]


def test_real_clock_keeps_a_new_solution_quiet(clients: Clients, store: Store) -> None:
    """With the default hour of 3600 s, a solution created with the default performAutoTraining
    does not train by itself within a test (the first automatic version is an hour away)."""
    shop = deploy(clients, store, name="quiet", recipe="aws-sims", campaign=False)
    time.sleep(0.3)
    assert [v["trainingType"] for v in versions(clients, shop.solution_arn)] == ["MANUAL"]


@pytest.mark.parametrize("expression", ["rate(0 days)", "rate(31 days)"])
def test_schedule_outside_1_to_30_days_is_refused(clients: Clients, store: Store, expression: str) -> None:
    shop = deploy(clients, store, name="bad", recipe="aws-sims", campaign=False)
    p = clients.personalize
    config = {"autoTrainingConfig": {"schedulingExpression": expression}}
    with pytest.raises(ClientError) as refused:
        p.create_solution(
            name="bad-schedule",
            datasetGroupArn=shop.group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-sims",
            solutionConfig=config,
        )
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as refused:
        p.update_solution(solutionArn=shop.solution_arn, solutionUpdateConfig=config)
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
    assert p.describe_solution(solutionArn=shop.solution_arn)["solution"].get("latestSolutionUpdate") is None
