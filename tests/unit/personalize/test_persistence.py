"""State survives a restart; a training that crashes or is cut off never leaves a usable-looking model."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from allstore.personalize import recipes
from allstore.personalize.server import PersonalizeServer
from allstore.personalize.service import StateDirectoryInUse
from tests.unit.personalize.conftest import (
    INTERACTIONS_SCHEMA,
    Clients,
    Store,
    deploy,
    make_clients,
    wait_for,
)
from tests.unit.personalize.test_workshop import put_clicks, recommended


def test_everything_survives_a_restart(state_dir: Path, store: Store) -> None:
    first = PersonalizeServer(state_dir)
    first.start()
    clients = make_clients(first)
    shop = deploy(clients, store)
    tracker = clients.personalize.create_event_tracker(name="tracker", datasetGroupArn=shop.group_arn)
    wait_for(
        lambda: clients.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
            "eventTracker"
        ]
    )
    put_clicks(
        clients, tracker["trackingId"], "session", ["item-3-0", "item-3-1", "item-3-2"], user_id="user-1"
    )
    before = recommended(clients, shop.campaign_arn, "user-1", numResults=10)
    filter_arn = clients.personalize.create_filter(
        name="fishing",
        datasetGroupArn=shop.group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("fishing")',
    )["filterArn"]
    wait_for(lambda: clients.personalize.describe_filter(filterArn=filter_arn)["filter"])
    first.stop()

    second = PersonalizeServer(state_dir)
    second.start()
    clients = make_clients(second)
    try:
        p = clients.personalize
        assert p.describe_campaign(campaignArn=shop.campaign_arn)["campaign"]["status"] == "ACTIVE"
        assert (
            p.describe_solution_version(solutionVersionArn=shop.version_arn)["solutionVersion"]["status"]
            == "ACTIVE"
        )
        assert p.get_solution_metrics(solutionVersionArn=shop.version_arn)["metrics"]
        versions = p.list_solution_versions(solutionArn=shop.solution_arn)["solutionVersions"]
        assert [version["solutionVersionArn"] for version in versions] == [shop.version_arn]
        jobs = p.list_dataset_import_jobs(datasetArn=shop.items_arn)["datasetImportJobs"]
        assert [job["status"] for job in jobs] == ["ACTIVE"]
        assert {
            dataset["datasetType"] for dataset in p.list_datasets(datasetGroupArn=shop.group_arn)["datasets"]
        } == {"INTERACTIONS", "ITEMS", "USERS"}
        assert [
            campaign["campaignArn"]
            for campaign in p.list_campaigns(solutionArn=shop.solution_arn)["campaigns"]
        ] == [shop.campaign_arn]
        assert (
            p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]["trackingId"]
            == tracker["trackingId"]
        )
        assert (
            recommended(clients, shop.campaign_arn, "user-1", numResults=10) == before
        )  # events were kept too
        fishing = recommended(clients, shop.campaign_arn, "user-1", filterArn=filter_arn)
        assert {store.item_category[item["itemId"]] for item in fishing} == {"fishing"}
        # the imported data is still there: a new version trains on it
        version_arn = p.create_solution_version(solutionArn=shop.solution_arn)["solutionVersionArn"]
        assert (
            wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])[
                "status"
            ]
            == "ACTIVE"
        )
    finally:
        second.stop()


def test_one_service_per_state_directory(server: PersonalizeServer, state_dir: Path) -> None:
    with pytest.raises(StateDirectoryInUse, match="in use by another Personalize service"):
        PersonalizeServer(state_dir).start()
    server.stop()
    again = PersonalizeServer(state_dir)
    again.start()
    again.stop()


def test_a_crash_in_training_fails_the_version_with_a_reason(
    clients: Clients, store: Store, state_dir: Path, monkeypatch
) -> None:
    shop = deploy(clients, store)
    p = clients.personalize

    def crash(*args, **kwargs):
        raise MemoryError("the training ran out of memory")

    monkeypatch.setattr(recipes.get_recipe("aws-user-personalization"), "fit", crash)
    version_arn = p.create_solution_version(solutionArn=shop.solution_arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "CREATE FAILED"
    assert "ran out of memory" in version["failureReason"]
    assert not list((state_dir / "models").glob(f"*{version_arn.rsplit('/', 1)[-1]}*"))
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.create_campaign(name="from-failed", solutionVersionArn=version_arn)
    # the campaign keeps serving the previous model
    assert recommended(clients, shop.campaign_arn, "user-1")


def test_training_cut_off_by_a_restart_is_failed_not_resumed(
    state_dir: Path, store: Store, monkeypatch
) -> None:
    first = PersonalizeServer(state_dir)
    first.start()
    clients = make_clients(first)
    shop = deploy(clients, store)
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(10)
        raise RuntimeError("the process was killed")

    monkeypatch.setattr(recipes.get_recipe("aws-user-personalization"), "fit", hang)
    version_arn = clients.personalize.create_solution_version(solutionArn=shop.solution_arn)[
        "solutionVersionArn"
    ]
    wait_for(
        lambda: clients.personalize.describe_solution_version(solutionVersionArn=version_arn)[
            "solutionVersion"
        ],
        until=("CREATE IN_PROGRESS",),
    )
    first._server.stop()  # the process "dies": HTTP stops, the state directory lock goes;
    first.service.directory_lock.release()  # the training thread is left "running" like an orphan
    second = PersonalizeServer(state_dir)
    try:
        second.start()
        clients = make_clients(second)
        version = clients.personalize.describe_solution_version(solutionVersionArn=version_arn)[
            "solutionVersion"
        ]
        assert version["status"] == "CREATE FAILED"
        assert "Interrupted" in version["failureReason"]
        assert recommended(clients, shop.campaign_arn, "user-1")
    finally:
        release.set()
        second.stop()
        first.service.close()


def test_import_from_s3_through_the_endpoint_variable(clients: Clients, store: Store, monkeypatch) -> None:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://{host}:{port}")
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="workshop")
        s3.upload_file(str(store.interactions_csv), "workshop", "data/interactions.csv")
        p = clients.personalize
        group_arn = p.create_dataset_group(name="from-s3")["datasetGroupArn"]
        schema_arn = p.create_schema(name="from-s3", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
        dataset_arn = p.create_dataset(
            name="from-s3", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType="Interactions"
        )["datasetArn"]
        wait_for(lambda: p.describe_dataset(datasetArn=dataset_arn)["dataset"])
        for name, location, expected in (
            ("whole-prefix", "s3://workshop/data/", "ACTIVE"),
            ("one-object", "s3://workshop/data/interactions.csv", "ACTIVE"),
            ("missing", "s3://workshop/data/nothing.csv", "CREATE FAILED"),
        ):
            job_arn = p.create_dataset_import_job(
                jobName=name,
                datasetArn=dataset_arn,
                importMode="INCREMENTAL",
                dataSource={"dataLocation": location},
            )["datasetImportJobArn"]
            job = wait_for(
                lambda arn=job_arn: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
            )
            assert job["status"] == expected, job
        assert "does not exist" in job["failureReason"]
    finally:
        moto.stop()


def test_a_bad_csv_fails_the_import_with_the_line(clients: Clients, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\nu1,i1,click,,1600000000\nu2,i2,click,,yesterday\n"
    )
    p = clients.personalize
    group_arn = p.create_dataset_group(name="bad")["datasetGroupArn"]
    schema_arn = p.create_schema(name="bad", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
    dataset_arn = p.create_dataset(
        name="bad", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType="Interactions"
    )["datasetArn"]
    wait_for(lambda: p.describe_dataset(datasetArn=dataset_arn)["dataset"])
    started = time.monotonic()
    job_arn = p.create_dataset_import_job(
        jobName="bad", datasetArn=dataset_arn, dataSource={"dataLocation": bad.as_uri()}
    )["datasetImportJobArn"]
    job = wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"])
    assert job["status"] == "CREATE FAILED" and "line 3" in job["failureReason"], job
    assert time.monotonic() - started < 5
