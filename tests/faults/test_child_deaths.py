"""Kill -9 each of the local store's child processes under light load, and count what got through.

The store runs over HTTP as `allstore local up` runs it (small data, no training: an event tracker
is created as the workshop does, so clicks reach Personalize). Clicks go in through Kinesis and
item changes through DynamoDB while the search server, the Personalize service and the stream
functions' workers are killed one after the other. Afterwards every good click must be in the
Personalize service's event log exactly once, and the search index must equal the Items table.
"""

from __future__ import annotations

import json
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from boto3.dynamodb.types import TypeDeserializer
from opensearchpy import OpenSearch

from allstore.local.personalize_bootstrap import INTERACTIONS_SCHEMA
from allstore.local.search_reconcile import documents_by_id, other_ids
from allstore.local.store import LocalStore, Reporter, StoreOptions
from allstore.workshop import wiring
from tests.integration.conftest import RunningStore, eventually, web_dir
from tests.signing import signed_search_client

__all__ = ["web_dir"]

pytestmark = pytest.mark.integration

USER_SECRETS = {"AWS_SECRET_ACCESS_KEY": "user-real-secret-key", "GITHUB_TOKEN": "ghp_user_real_token"}
CLICKS_PER_ROUND = 50
CHANGES_PER_ROUND = 8


class Faults:
    """The store under test, what was sent to it, and what it reported."""

    def __init__(self, running: RunningStore, notices: list[str]) -> None:
        self.running = running
        self.store = running.store
        self.notices = notices
        self.kinesis = running.client("kinesis")
        self.dynamodb = running.client("dynamodb")
        self.stream = running.output("StreamName")
        self.table = running.output("ItemsTable")
        self.clicks: list[str] = []  # sequence numbers of the good clicks put on the stream
        self.malformed = 0
        self.users = [f"fault-user-{n}" for n in range(5)]
        self.items = [
            item["asin"]["S"] for item in self.dynamodb.scan(TableName=self.table, Limit=20)["Items"]
        ]

    def send_clicks(self, count: int) -> None:
        """`count` good clicks, plus one malformed record (skipped and logged by the function)."""
        records = [
            {
                "Data": json.dumps(
                    {
                        "userID": self.users[n % len(self.users)],
                        "sessionID": f"session-{n % 7}",
                        "itemID": self.items[n % len(self.items)],
                        "eventType": "click",
                    }
                ).encode(),
                "PartitionKey": str(n),
            }
            for n in range(count)
        ]
        records.append({"Data": b"not json", "PartitionKey": "bad"})
        answer = self.kinesis.put_records(StreamName=self.stream, Records=records)
        assert answer["FailedRecordCount"] == 0
        self.clicks.extend(entry["SequenceNumber"] for entry in answer["Records"][:-1])
        self.malformed += 1

    def change_items(self, count: int) -> None:
        """Add, modify and delete items of the Items table."""
        for n in range(count):
            asin = f"FAULT{uuid.uuid4().hex[:8].upper()}"
            item = {
                "asin": {"S": asin},
                "title": {"S": f"Fault test lantern {n}"},
                "category": {"S": "Lanterns"},
                "genre": {"S": "Lanterns"},
                "imUrl": {"S": "/images/none.svg"},
                "popularity": {"N": str(n)},
            }
            self.dynamodb.put_item(TableName=self.table, Item=item)
            if n % 3 == 1:
                self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"asin": {"S": asin}},
                    UpdateExpression="SET title = :t",
                    ExpressionAttributeValues={":t": {"S": f"Fault test lamp {n}"}},
                )
            if n % 3 == 2:
                self.dynamodb.delete_item(TableName=self.table, Key={"asin": {"S": asin}})

    def children(self) -> list[psutil.Process]:
        return psutil.Process().children(recursive=True)

    def workers(self, code_dir: str) -> list[psutil.Process]:
        """The live worker processes of the function whose code is in a folder named `code_dir`
        (a child killed a moment ago may still be a zombie the store has not reaped)."""
        workers = []
        for process in self.children():
            try:
                command = process.cmdline()
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                continue
            if "allstore.local.lambda_worker" in command and any(
                argument.endswith(f"/{code_dir}") for argument in command
            ):
                workers.append(process)
        return workers

    def recorded_event_ids(self) -> Counter[str]:
        """eventIds in the Personalize service's durable event log."""
        counts: Counter[str] = Counter()
        for log in (self.store.state_dir / "personalize").rglob("events/*.jsonl"):
            for line in log.read_text(encoding="utf-8").splitlines():
                counts[json.loads(line)["eventId"]] += 1
        return counts

    def search_url(self) -> str:
        return self.store.servers.search.url  # type: ignore[union-attr]

    def search_client(self) -> OpenSearch:
        """opensearch-py signing with the store's key, as the functions do."""
        return signed_search_client(self.search_url(), self.store.credentials)


def kill(process: psutil.Process) -> None:
    """SIGKILL, and wait until it is dead — without reaping it: that is the store's to notice."""
    process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)
    raise AssertionError(f"{process.pid} did not die")


def refuses(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory, web_dir: Path) -> Iterator[Faults]:
    notices: list[str] = []
    options = StoreOptions(
        state_dir=tmp_path_factory.mktemp("faults-state"),
        port=0,
        data="small",
        train=False,
        web_dir=web_dir,
        max_workers=2,
        snapshot_interval=3600,
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in USER_SECRETS.items():
            patch.setenv(name, value)  # the user's shell, as the children must not see it
        store = LocalStore(options, Reporter(notice=notices.append))
        running = RunningStore(options, store, store.start())
        try:
            personalize = running.client("personalize")
            schema = personalize.create_schema(name="faults", schema=json.dumps(INTERACTIONS_SCHEMA))
            group = personalize.create_dataset_group(name="faults")["datasetGroupArn"]
            personalize.create_dataset(
                name="faults-interactions",
                schemaArn=schema["schemaArn"],
                datasetGroupArn=group,
                datasetType="Interactions",
            )
            tracker = personalize.create_event_tracker(name="faults-clicks", datasetGroupArn=group)
            ssm = running.client("ssm")
            wiring.wire(
                ssm, running.store.options.stack_name, wiring.CLICK_TRACKING, trackingId=tracker["trackingId"]
            )
            wiring.wire(  # a campaign that does not exist: the handler calls Personalize and falls back
                ssm,
                running.store.options.stack_name,
                wiring.RECOMMENDATIONS,
                campaignArn="arn:aws:personalize:us-east-1:123456789012:campaign/faults-none",
            )
            yield Faults(running, notices)
        finally:
            running.store.stop(save=False)


def test_no_child_inherits_the_users_secrets(faults: Faults) -> None:
    faults.send_clicks(5)
    faults.running.get("/Prod/search", q="lantern")
    children = faults.children()
    assert len(children) >= 3, "search, Personalize and function workers run as children"
    for child in children:
        environment = child.environ()
        leaked = sorted(name for name, value in environment.items() if value in USER_SECRETS.values())
        assert not leaked and "GITHUB_TOKEN" not in environment, (child.cmdline(), leaked)


def test_a_call_to_a_dead_dependency_fails_fast_and_recovers(faults: Faults) -> None:
    user = faults.users[0]
    assert faults.running.get(f"/Prod/recommendations/{user}").status_code == 200
    assert faults.running.get("/Prod/search", q="lantern").status_code == 200
    personalize = faults.store.servers.personalize
    search = faults.store.servers.search
    assert personalize is not None and search is not None
    for server, path in ((personalize, f"/Prod/recommendations/{user}"), (search, "/Prod/search?q=lantern")):
        kill(psutil.Process(server.pid))
        started = time.monotonic()
        answer = faults.running.get(path)
        elapsed = time.monotonic() - started
        was_down = refuses(server.url)  # still down after the request: it met the dead server
        print(f"\n{path} while its dependency was down: {answer.status_code} in {elapsed * 1000:.0f} ms")
        if was_down:
            assert elapsed < 1.0, f"{path} took {elapsed:.2f} s against a dead dependency"
        assert answer.status_code < 600 and "Traceback" not in answer.text
        eventually(lambda path=path: faults.running.get(path).status_code == 200, timeout=30)


def test_killing_each_child_under_load_loses_nothing(faults: Faults) -> None:
    victims = {
        "search server": lambda: [psutil.Process(faults.store.servers.search.pid)],  # type: ignore[union-attr]
        "Personalize service": lambda: [psutil.Process(faults.store.servers.personalize.pid)],  # type: ignore[union-attr]
        "PostClickEvent workers": lambda: faults.workers("post_click_event"),
        "UpdateSearchCluster workers": lambda: faults.workers("update_search_cluster"),
    }
    started = time.monotonic()
    for victim, processes in victims.items():
        faults.send_clicks(CLICKS_PER_ROUND)
        faults.change_items(CHANGES_PER_ROUND)
        killed = processes()
        assert killed, f"no {victim} to kill"
        for process in killed:
            kill(process)
        faults.send_clicks(CLICKS_PER_ROUND)  # while it is down or restarting
        faults.change_items(CHANGES_PER_ROUND)
    good = set(faults.clicks)

    def all_clicks_recorded() -> bool:
        return good <= set(faults.recorded_event_ids())

    eventually(all_clicks_recorded, timeout=60)
    recorded = faults.recorded_event_ids()
    table = {
        item["asin"]["S"]: item
        for page in faults.dynamodb.get_paginator("scan").paginate(TableName=faults.table)
        for item in page["Items"]
    }

    def index_equals_table() -> bool:
        present = documents_by_id(faults.search_url(), "items", list(table), faults.store.credentials)
        return set(present) == set(table) and not other_ids(
            faults.search_url(), "items", list(table), faults.store.credentials
        )

    eventually(index_equals_table, timeout=60)
    documents = documents_by_id(faults.search_url(), "items", list(table), faults.store.credentials)
    deserializer = TypeDeserializer()
    differing = [
        asin
        for asin, item in table.items()
        if documents[asin].get("title") != deserializer.deserialize(item["title"])
    ]
    duplicates = sorted(event_id for event_id in good if recorded[event_id] != 1)
    dead_letters = faults.store.state_dir / "dead-letters.json"
    print(
        f"\n{len(good)} good clicks sent ({faults.malformed} malformed skipped), "
        f"{sum(1 for event_id in good if recorded[event_id] == 1)} recorded exactly once, "
        f"{len(duplicates)} not; index {len(documents)} documents = table {len(table)} items, "
        f"{len(differing)} differing; {time.monotonic() - started:.1f} s; notices: {faults.notices}"
    )
    assert not duplicates, f"clicks not recorded exactly once: {duplicates[:5]}"
    assert not differing
    assert not dead_letters.exists(), "nothing was dead-lettered: every failure was an outage"
    for name in ("search", "Personalize"):
        assert any(f"The {name} server died" in notice for notice in faults.notices), faults.notices
        assert any(f"The {name} server is back" in notice for notice in faults.notices), faults.notices
    for code_dir in ("post_click_event", "update_search_cluster"):
        assert faults.workers(code_dir), f"the {code_dir} function has workers again"


def test_the_index_is_reconciled_when_search_comes_back_without_a_write(faults: Faults) -> None:
    """A write the search server acknowledged but lost (here: removed behind the store's back)
    and a document left over are both put right when the search server restarts."""
    table = [item["asin"]["S"] for item in faults.dynamodb.scan(TableName=faults.table)["Items"]]
    asin = table[0]
    eventually(lambda: not refuses(faults.search_url()), timeout=30)  # back from an earlier kill
    search = faults.search_client()
    search.delete(index="items", id=asin)
    search.index(index="items", id="STRAY0001", body={"asin": "STRAY0001", "title": "not in the table"})
    kill(psutil.Process(faults.store.servers.search.pid))  # type: ignore[union-attr]

    def reconciled() -> bool:
        try:
            return bool(
                documents_by_id(faults.search_url(), "items", [asin], faults.store.credentials)
            ) and not other_ids(faults.search_url(), "items", table, faults.store.credentials)
        except OSError:
            return False

    eventually(reconciled, timeout=30)
