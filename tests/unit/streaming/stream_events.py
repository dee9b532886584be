"""Lambda events for the stream handlers, read from real (moto) DynamoDB and Kinesis streams."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3

REGION = "us-east-1"


def dynamodb_stream_event(table: Any) -> dict[str, Any]:
    """Everything the table's stream holds, as the event Lambda's DynamoDB event source sends."""
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    stream_arn = table.latest_stream_arn
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    for record in streams.get_records(ShardIterator=iterator)["Records"]:
        stream_record = dict(record["dynamodb"])
        stream_record["ApproximateCreationDateTime"] = stream_record[
            "ApproximateCreationDateTime"
        ].timestamp()
        records.append({**record, "dynamodb": stream_record, "eventSourceARN": stream_arn})
    return {"Records": records}


def put_clicks(stream_name: str, payloads: list[Any]) -> None:
    """Put payloads on the stream: dicts as JSON (as the web UI sends them), bytes as they are."""
    kinesis = boto3.client("kinesis", region_name=REGION)
    for payload in payloads:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        kinesis.put_record(StreamName=stream_name, Data=data, PartitionKey="web")


def kinesis_event(stream_name: str) -> dict[str, Any]:
    """Everything on the stream, as the event Lambda's Kinesis event source sends."""
    kinesis = boto3.client("kinesis", region_name=REGION)
    description = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
    shard_id = description["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    for record in kinesis.get_records(ShardIterator=iterator)["Records"]:
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode(),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "awsRegion": REGION,
                "eventSourceARN": description["StreamARN"],
            }
        )
    return {"Records": records}
