"""PostClickEvent: Kinesis records from moto, Personalize events checked with botocore's Stubber."""

from __future__ import annotations

import inspect
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from allstore.local.lambda_code import load_handler

from .stream_events import REGION, kinesis_event, put_clicks

CODE_DIR = Path(__file__).parents[3] / "functions" / "streaming" / "post_click_event"
TRACKER = "tracker-1"


def _load(monkeypatch, tracking_id: str | None = TRACKER, event_type: str | None = None):
    """The handler wired (as the template and notebook write its parameter) to `tracking_id`;
    None: its parameter does not exist."""
    name = f"/test/wiring/click-tracking-{uuid.uuid4().hex}"
    if tracking_id is not None:
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=name, Value=json.dumps({"trackingId": tracking_id}), Type="String"
        )
    monkeypatch.setenv("WIRING_PARAMETER", name)
    if event_type is None:
        monkeypatch.delenv("EVENT_TYPE", raising=False)
    else:
        monkeypatch.setenv("EVENT_TYPE", event_type)
    handler = load_handler(CODE_DIR)
    client = inspect.unwrap(handler).__globals__["personalize_events"]
    return handler, Stubber(client)


def _expected_call(records: list[dict], session: str, user: str | None, items: list[str], event_type="click"):
    """The put_events parameters for these Kinesis records (in order) carrying `items`."""
    request = {
        "trackingId": TRACKER,
        "sessionId": session,
        "eventList": [
            {
                "eventId": record["kinesis"]["sequenceNumber"],
                "eventType": event_type,
                "itemId": item,
                "sentAt": datetime.fromtimestamp(record["kinesis"]["approximateArrivalTimestamp"], tz=UTC),
            }
            for record, item in zip(records, items, strict=True)
        ],
    }
    if user is not None:
        request["userId"] = user
    return request


def _failed(response: dict) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def _metric_values(output: str, name: str) -> list[float]:
    """Values of one metric in the EMF lines Powertools printed."""
    values = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:
                value = document[name]
                values.extend(value if isinstance(value, list) else [value])
    return values


def test_every_record_is_sent_grouped_per_session_in_calls_of_ten(monkeypatch, clickstream, lambda_context):
    handler, stubber = _load(monkeypatch)
    put_clicks(clickstream, [{"userID": "u1", "itemID": f"i{n}", "sessionID": "s1"} for n in range(12)])
    put_clicks(
        clickstream,
        [{"itemID": "i20", "sessionID": "s2"}, {"itemID": "i21", "sessionID": "s2", "userID": ""}],
    )
    event = kinesis_event(clickstream)
    records = event["Records"]
    with stubber:
        stubber.add_response(
            "put_events", {}, _expected_call(records[:10], "s1", "u1", [f"i{n}" for n in range(10)])
        )
        stubber.add_response("put_events", {}, _expected_call(records[10:12], "s1", "u1", ["i10", "i11"]))
        stubber.add_response("put_events", {}, _expected_call(records[12:], "s2", None, ["i20", "i21"]))

        response = handler(event, lambda_context)

        stubber.assert_no_pending_responses()
    assert response == {"batchItemFailures": []}


def test_event_type_comes_from_the_payload_or_the_environment(monkeypatch, clickstream, lambda_context):
    handler, stubber = _load(monkeypatch, event_type="view")
    put_clicks(
        clickstream,
        [{"itemID": "a", "sessionID": "s"}, {"itemID": "b", "sessionID": "s", "eventType": "buy"}],
    )
    records = kinesis_event(clickstream)["Records"]
    with stubber:
        expected = _expected_call(records, "s", None, ["a", "b"], event_type="view")
        expected["eventList"][1]["eventType"] = "buy"
        stubber.add_response("put_events", {}, expected)

        assert handler({"Records": records}, lambda_context) == {"batchItemFailures": []}
        stubber.assert_no_pending_responses()


def test_invalid_payloads_are_counted_and_acknowledged(monkeypatch, clickstream, lambda_context, capsys):
    handler, stubber = _load(monkeypatch)
    put_clicks(
        clickstream,
        [
            b"not json",
            b"[1, 2]",
            {"userID": "u1", "sessionID": "s1"},  # no itemID
            {"userID": "u1", "itemID": "i1"},  # no sessionID
            {"userID": "u" * 257, "itemID": "i1", "sessionID": "s1"},
            {"userID": "u1", "itemID": {"nested": 1}, "sessionID": "s1"},
            {"userID": "u1", "itemID": "good", "sessionID": "s1"},
        ],
    )
    records = kinesis_event(clickstream)["Records"]
    with stubber:
        stubber.add_response("put_events", {}, _expected_call(records[-1:], "s1", "u1", ["good"]))

        response = handler({"Records": records}, lambda_context)

        stubber.assert_no_pending_responses()
    assert response == {"batchItemFailures": []}
    output = capsys.readouterr().out
    assert _metric_values(output, "InvalidClickEvents") == [6.0]
    assert _metric_values(output, "ClickEventsSent") == [1.0]


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 400), ("InternalFailure", 500), ("ResourceNotFoundException", 404)],
)
def test_a_failed_call_reports_exactly_its_records(monkeypatch, clickstream, lambda_context, code, status):
    handler, stubber = _load(monkeypatch)
    put_clicks(clickstream, [{"itemID": "a", "sessionID": "s1"}, {"itemID": "b", "sessionID": "s2"}])
    put_clicks(clickstream, [{"itemID": "c", "sessionID": "s1"}])
    records = kinesis_event(clickstream)["Records"]
    with stubber:
        stubber.add_response(
            "put_events", {}, _expected_call([records[0], records[2]], "s1", None, ["a", "c"])
        )
        stubber.add_client_error(
            "put_events",
            service_error_code=code,
            http_status_code=status,
            expected_params=_expected_call([records[1]], "s2", None, ["b"]),
        )

        response = handler({"Records": records}, lambda_context)

        stubber.assert_no_pending_responses()
    assert _failed(response) == [records[1]["kinesis"]["sequenceNumber"]]


def test_events_personalize_rejects_as_invalid_are_not_retried(
    monkeypatch, clickstream, lambda_context, capsys
):
    handler, stubber = _load(monkeypatch)
    put_clicks(clickstream, [{"itemID": "a", "sessionID": "s1"}, {"itemID": "b", "sessionID": "s1"}])
    records = kinesis_event(clickstream)["Records"]
    with stubber:
        stubber.add_client_error(
            "put_events",
            service_error_code="InvalidInputException",
            http_status_code=400,
            expected_params=_expected_call(records, "s1", None, ["a", "b"]),
        )

        response = handler({"Records": records}, lambda_context)

        stubber.assert_no_pending_responses()
    assert response == {"batchItemFailures": []}
    assert _metric_values(capsys.readouterr().out, "RejectedClickEvents") == [2.0]


def test_every_call_failing_reports_the_whole_batch(monkeypatch, clickstream, lambda_context):
    handler, stubber = _load(monkeypatch)
    put_clicks(clickstream, [{"itemID": "a", "sessionID": "s1"}])
    records = kinesis_event(clickstream)["Records"]
    with stubber:
        stubber.add_client_error("put_events", service_error_code="ThrottlingException", http_status_code=400)

        response = handler({"Records": records}, lambda_context)

    assert _failed(response) == [records[0]["kinesis"]["sequenceNumber"]]


def test_tracking_off_acknowledges_the_batch_with_a_warning_metric(
    monkeypatch, clickstream, lambda_context, capsys
):
    handler, stubber = _load(monkeypatch, tracking_id="")
    put_clicks(clickstream, [{"itemID": "a", "sessionID": "s1"}, {"itemID": "b", "sessionID": "s1"}])
    with stubber:  # no responses queued: any put_events call would fail the test
        response = handler(kinesis_event(clickstream), lambda_context)

    assert response == {"batchItemFailures": []}
    assert _metric_values(capsys.readouterr().out, "ClickEventsTrackingOff") == [2.0]


def test_unreadable_wiring_retries_every_record(monkeypatch, clickstream, lambda_context):
    handler, stubber = _load(monkeypatch, tracking_id=None)
    put_clicks(clickstream, [{"itemID": "a", "sessionID": "s1"}, {"itemID": "b", "sessionID": "s1"}])
    event = kinesis_event(clickstream)
    with stubber:  # nothing is sent without a tracking id
        response = handler(event, lambda_context)

    assert _failed(response) == [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
