"""PutEvents, PutItems and PutUsers refuse what the service refuses (400 in its error shape), and a
row recorded before those checks existed is skipped by training instead of failing it forever."""

from __future__ import annotations

import http.client
import json
import logging
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from allstore.personalize.server import PersonalizeServer
from tests.unit.personalize.conftest import Clients, Store, deploy, make_clients, wait_for


@pytest.fixture
def shop(clients: Clients, store: Store):
    return deploy(clients, store)


@pytest.fixture
def tracking_id(clients: Clients, shop) -> str:
    p = clients.personalize
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=shop.group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    return tracker["trackingId"]


def post(clients: Clients, path: str, body: dict) -> tuple[int, str, dict]:
    """A raw (signed) request, for values botocore refuses to send (so only another client could)."""
    address = urlsplit(clients.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    payload = json.dumps(body).encode()
    try:
        connection.request("POST", path, payload, clients.signed("POST", path, payload))
        response = connection.getresponse()
        return (
            response.status,
            response.getheader("x-amzn-ErrorType", ""),
            json.loads(response.read() or b"{}"),
        )
    finally:
        connection.close()


@pytest.mark.parametrize(
    "sent_at", [1e300, -1.0, 1.7e12, "Infinity", "not a time"], ids=["1e300", "negative", "ms", "inf", "text"]
)
def test_put_events_refuses_a_sent_at_that_is_not_unix_seconds(
    clients: Clients, tracking_id: str, sent_at
) -> None:
    event = {"eventType": "click", "itemId": "item-0-0", "sentAt": sent_at}
    status, error_type, body = post(
        clients, "/events", {"trackingId": tracking_id, "sessionId": "s", "eventList": [event]}
    )
    assert status == 400
    assert error_type == body["__type"] == "InvalidInputException"
    assert "eventList[0].sentAt" in body["message"]


def test_put_events_field_checks_from_boto3(clients: Clients, tracking_id: str) -> None:
    events = clients.events
    now = time.time()
    good = {"eventType": "click", "itemId": "item-0-0", "sentAt": now}

    def refused(match: str, **changes) -> None:
        event = {key: value for key, value in {**good, **changes}.items() if value is not None}
        with pytest.raises(events.exceptions.InvalidInputException, match=match):
            events.put_events(trackingId=tracking_id, sessionId="s", eventList=[event])

    refused("itemId is required", itemId=None)
    refused("eventValue", eventValue=float("nan"))
    refused("eventValue", eventValue=float("inf"))
    refused("may not have the key 'eventType'", properties='{"eventType": "view"}')
    refused("at most 1024", properties=json.dumps({"note": "x" * 1100}))
    refused("at most 256", eventType="e" * 257)
    refused("sentAt", sentAt=-5)
    with pytest.raises(events.exceptions.InvalidInputException, match="at most 256"):
        events.put_events(trackingId=tracking_id, sessionId="s" * 257, eventList=[good])
    # what the service accepts still works: itemId in properties (as the original demo sent it)
    events.put_events(
        trackingId=tracking_id,
        sessionId="s",
        eventList=[good, {"eventType": "click", "sentAt": now, "properties": '{"itemId": "item-0-1"}'}],
    )


def test_event_list_must_have_one_to_ten_events(clients: Clients, tracking_id: str) -> None:
    for events in ([], [{"eventType": "click", "itemId": "i", "sentAt": 1.7e9}] * 11):
        status, error_type, body = post(
            clients, "/events", {"trackingId": tracking_id, "sessionId": "s", "eventList": events}
        )
        assert (status, error_type) == (400, "InvalidInputException"), body
        assert "eventList" in body["message"]


def test_put_items_refuses_numbers_a_column_cannot_hold(clients: Clients, shop) -> None:
    with pytest.raises(clients.events.exceptions.InvalidInputException, match="PRICE"):
        clients.events.put_items(
            datasetArn=shop.items_arn,
            items=[{"itemId": "x", "properties": '{"categoryL1": "a", "price": 1e400}'}],
        )
    with pytest.raises(clients.events.exceptions.InvalidInputException, match="at most 10"):
        clients.events.put_users(
            datasetArn=shop.users_arn,
            users=[{"userId": f"u{n}", "properties": '{"segment": "a"}'} for n in range(11)],
        )


def test_training_skips_counts_and_logs_rows_it_cannot_read(
    clients: Clients, shop, tracking_id: str, server: PersonalizeServer, state_dir: Path, caplog
) -> None:
    """An event with sentAt 1e300, recorded by a service that did not check it yet, is skipped."""
    clients.events.put_events(
        trackingId=tracking_id,
        sessionId="s",
        userId="user-1",
        eventList=[{"eventType": "click", "itemId": "item-0-0", "sentAt": time.time()}],
    )
    log = state_dir / "events" / (shop.group_arn.rsplit("/", 1)[-1] + ".jsonl")
    last = json.loads(log.read_text().splitlines()[-1])
    with log.open("a") as file:  # what the service used to accept: PutEvents answered 200 for these
        for offset, sent_at in enumerate((1e300, float("inf"))):
            file.write(json.dumps({**last, "seq": last["seq"] + 1 + offset, "sentAt": sent_at}) + "\n")
    server.stop()
    restarted = PersonalizeServer(state_dir)  # reads the log again from disk
    restarted.start()
    try:
        again = make_clients(restarted)
        p = again.personalize
        with caplog.at_level(logging.WARNING, logger="allstore.personalize"):
            version_arn = p.create_solution_version(solutionArn=shop.solution_arn)["solutionVersionArn"]
            version = wait_for(
                lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"]
            )
        assert version["status"] == "ACTIVE", version.get("failureReason")
        messages = [record.getMessage() for record in caplog.records]
        assert any("skipped 2 rows" in message and version_arn in message for message in messages), messages
        assert again.runtime.get_recommendations(campaignArn=shop.campaign_arn, userId="user-1")["itemList"]
    finally:
        restarted.stop()
