"""Fixtures: a Personalize service on a free loopback port, boto3 clients for its three APIs, and a
small generated store (users with a favourite category, so recommendations have a right answer)."""

from __future__ import annotations

import csv
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from allstore.credentials import StoreCredentials
from allstore.personalize.recipes import TrainingData
from allstore.personalize.server import PersonalizeServer
from allstore.personalize.state.jobs import TRANSITION_VARIABLE
from tests.unit.personalize import generated_store

REGION = "us-east-1"
CATEGORIES = ("outdoors", "fitness", "cycling", "fishing")
INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
# The smallest Interactions schema the service takes (USER_ID, ITEM_ID, TIMESTAMP).
MINIMAL_INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "CATEGORY_L1", "type": "string", "categorical": True},
        {"name": "PRICE", "type": "float"},
    ],
    "version": "1.0",
}
USERS_SCHEMA = {
    "type": "record",
    "name": "Users",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "SEGMENT", "type": "string", "categorical": True},
    ],
    "version": "1.0",
}


@dataclass(frozen=True)
class Store:
    interactions_csv: Path
    items_csv: Path
    users_csv: Path
    item_category: dict[str, str]
    user_category: dict[str, str]


def generate_store(folder: Path, users: int = 90, items_per_category: int = 12, seed: int = 7) -> Store:
    """Users mostly interact with items of their favourite category, in time order (90 users x 12
    interactions: above the service's training minimum of 1000 interactions)."""
    rng = random.Random(seed)
    item_category = {
        f"item-{c}-{i}": category for c, category in enumerate(CATEGORIES) for i in range(items_per_category)
    }
    by_category = {
        category: [item for item, cat in item_category.items() if cat == category] for category in CATEGORIES
    }
    user_category = {f"user-{u}": CATEGORIES[u % len(CATEGORIES)] for u in range(users)}
    rows, clock = [], 1_600_000_000
    for user, favourite in user_category.items():
        for _ in range(12):
            category = favourite if rng.random() < 0.85 else rng.choice(CATEGORIES)
            # a long tail: low-numbered items of a category are more popular
            item = by_category[category][min(int(rng.expovariate(0.25)), items_per_category - 1)]
            event_type = "purchase" if rng.random() < 0.2 else "click"
            clock += rng.randint(1, 600)
            rows.append((user, item, event_type, f"{rng.uniform(0, 1):.2f}", clock))
    interactions_csv = folder / "interactions.csv"
    with interactions_csv.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"])
        writer.writerows(rows)
    items_csv = folder / "items.csv"
    with items_csv.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ITEM_ID", "CATEGORY_L1", "PRICE"])
        writer.writerows(
            (item, category, f"{5 + index % 40:.2f}")
            for index, (item, category) in enumerate(item_category.items())
        )
    users_csv = folder / "users.csv"
    with users_csv.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "SEGMENT"])
        writer.writerows(
            (user, "gold" if index % 2 else "silver") for index, user in enumerate(user_category)
        )
    return Store(interactions_csv, items_csv, users_csv, item_category, user_category)


@dataclass
class Clients:
    url: str
    personalize: object
    runtime: object
    events: object
    credentials: StoreCredentials

    def signed(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
        """`headers` signed with the service's key pair, for a raw request botocore would not send."""
        return self.credentials.sign(
            method,
            self.url + path,
            headers or {"Content-Type": "application/json"},
            body,
            "personalize",
            REGION,
        )


def keys(server: PersonalizeServer) -> dict[str, str]:
    """boto3's keyword arguments for the running `server`'s key pair."""
    assert server.credentials is not None, "start() first"
    return {
        "aws_access_key_id": server.credentials.access_key_id,
        "aws_secret_access_key": server.credentials.secret_access_key,
    }


def make_clients(server: PersonalizeServer) -> Clients:
    """boto3 clients for the running `server`, signing with its key pair."""
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return Clients(
        server.url,
        *(
            boto3.client(name, endpoint_url=server.url, config=config, **keys(server))
            for name in ("personalize", "personalize-runtime", "personalize-events")
        ),
        server.credentials,
    )


def unvalidated(clients: Clients, service: str = "personalize"):
    """A client that sends what botocore's own parameter validation would stop, so the service's
    validation is what a test sees."""
    return boto3.client(
        service,
        endpoint_url=clients.url,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        aws_access_key_id=clients.credentials.access_key_id,
        aws_secret_access_key=clients.credentials.secret_access_key,
    )


@pytest.fixture(autouse=True)
def instant_transitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pause in the transitional statuses (0.25 s each by default), so the suite stays quick;
    tests/unit/personalize/test_fidelity.py checks the pauses themselves."""
    monkeypatch.setenv(TRANSITION_VARIABLE, "0")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def server(state_dir: Path) -> Iterator[PersonalizeServer]:
    running = PersonalizeServer(state_dir, port=0)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def clients(server: PersonalizeServer) -> Clients:
    return make_clients(server)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A moto server the service reaches as S3 and CloudWatch (AWS_ENDPOINT_URL_<SERVICE>), as the
    local store wires it; yields an S3 client with the bucket "workshop"."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        for service in ("S3", "CLOUDWATCH"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", f"http://{host}:{port}")
        client = boto3.client("s3")
        client.create_bucket(Bucket="workshop")
        yield client
    finally:
        moto.stop()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    folder = tmp_path / "data"
    folder.mkdir()
    return generate_store(folder)


def wait_for(
    describe: Callable[[], dict], until: tuple[str, ...] = ("ACTIVE", "CREATE FAILED"), timeout: float = 30
) -> dict:
    """Poll a describe call (returning the resource) until its status is one of `until`."""
    deadline = time.monotonic() + timeout
    while True:
        resource = describe()
        if resource["status"] in until:
            return resource
        if time.monotonic() > deadline:
            raise AssertionError(f"still {resource['status']} after {timeout}s: {resource}")
        time.sleep(0.02)


@dataclass
class Deployed:
    group_arn: str
    interactions_arn: str
    items_arn: str
    users_arn: str
    solution_arn: str
    version_arn: str
    campaign_arn: str


def deploy(
    clients: Clients,
    store: Store,
    recipe: str = "aws-user-personalization",
    name: str = "shop",
    solution_config: dict | None = None,
    campaign: bool = True,
) -> Deployed:
    """The workshop's set-up calls, waiting for each resource as the notebooks do (without the
    campaign for a version only batch jobs use: campaign_arn is then "")."""
    p = clients.personalize
    group_arn = p.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"])
    arns = {}
    for dataset_type, schema, csv_path in (
        ("Interactions", INTERACTIONS_SCHEMA, store.interactions_csv),
        ("Items", ITEMS_SCHEMA, store.items_csv),
        ("Users", USERS_SCHEMA, store.users_csv),
    ):
        schema_arn = p.create_schema(name=f"{name}-{dataset_type}", schema=json.dumps(schema))["schemaArn"]
        dataset_arn = p.create_dataset(
            name=f"{name}-{dataset_type}",
            schemaArn=schema_arn,
            datasetGroupArn=group_arn,
            datasetType=dataset_type,
        )["datasetArn"]
        wait_for(lambda arn=dataset_arn: p.describe_dataset(datasetArn=arn)["dataset"])
        job_arn = p.create_dataset_import_job(
            jobName=f"{name}-{dataset_type}-import",
            datasetArn=dataset_arn,
            dataSource={"dataLocation": str(csv_path)},
            roleArn="arn:aws:iam::123456789012:role/PersonalizeRole",
        )["datasetImportJobArn"]
        job = wait_for(
            lambda arn=job_arn: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        )
        assert job["status"] == "ACTIVE", job
        arns[dataset_type] = dataset_arn
    kwargs = {"solutionConfig": solution_config} if solution_config else {}
    solution_arn = p.create_solution(
        name=f"{name}-solution",
        datasetGroupArn=group_arn,
        recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
        **kwargs,
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=solution_arn)["solution"])
    version_arn = p.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "ACTIVE", version
    campaign_arn = ""
    if campaign:
        campaign_arn = p.create_campaign(
            name=f"{name}-campaign", solutionVersionArn=version_arn, minProvisionedTPS=1
        )["campaignArn"]
        deployed = wait_for(lambda: p.describe_campaign(campaignArn=campaign_arn)["campaign"])
        assert deployed["status"] == "ACTIVE", deployed
    return Deployed(
        group_arn, arns["Interactions"], arns["Items"], arns["Users"], solution_arn, version_arn, campaign_arn
    )


@pytest.fixture(scope="module")
def store_data() -> TrainingData:
    """A small generated store's interactions (no metadata), for the `allstore evaluate` tests."""
    return generated_store.training_data(generated_store.store())


@pytest.fixture(scope="module")
def store_csv(tmp_path_factory) -> str:
    """The same interactions as a CSV file."""
    return generated_store.write_csv(
        generated_store.store(), tmp_path_factory.mktemp("evaluate") / "store.csv"
    )
