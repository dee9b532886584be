"""moto's DynamoDB fast paths give exactly what moto's own code gives."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from moto import backends, mock_aws
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.responses import DynamoResult

from allstore.local import moto_speedups

ITEMS = [
    {
        "asin": f"B{n:03d}",
        "category": "Tents" if n % 2 else "Stoves",
        "popularity": n,
        "price": Decimal("19.99"),
        "description": ["Light.", "Strong."],
        "details": {"weight": Decimal("1.5"), "colours": ["red", "green"], "ok": True, "none": None},
        "tags": {"camp", "hike"},
        "blob": b"\x00\xffbinary",
        "blobs": {b"\x01", b"\x02\x03"},
        "numbers": {Decimal(1), Decimal("2.5")},
        "nested": [{"deep": [Decimal(n), "x" * n, {"empty": {}}]}, []],
    }
    for n in range(12)
]


def run_operations() -> list[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(
            TableName="items",
            AttributeDefinitions=[
                {"AttributeName": "asin", "AttributeType": "S"},
                {"AttributeName": "category", "AttributeType": "S"},
                {"AttributeName": "popularity", "AttributeType": "N"},
            ],
            KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-category",
                    "KeySchema": [
                        {"AttributeName": "category", "KeyType": "HASH"},
                        {"AttributeName": "popularity", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        answers: list[Any] = [table.put_item(Item=item, ReturnValues="ALL_OLD") for item in ITEMS]
        answers.append(table.put_item(Item=ITEMS[0], ReturnValues="ALL_OLD")["Attributes"])
        answers.append(table.get_item(Key={"asin": "B001"})["Item"])
        answers.append(table.get_item(Key={"asin": "missing"}).get("Item"))
        keys = [{"asin": item["asin"]} for item in ITEMS[:5]] + [{"asin": "missing"}]
        batch = dynamodb.batch_get_item(RequestItems={"items": {"Keys": keys}})
        answers.append(sorted(batch["Responses"]["items"], key=lambda item: item["asin"]))
        query = table.query(
            IndexName="by-category",
            KeyConditionExpression="category = :c",
            ExpressionAttributeValues={":c": "Tents"},
            ScanIndexForward=False,
            Limit=3,
        )
        answers.append((query["Items"], query["Count"], query.get("LastEvaluatedKey")))
        scan = table.scan(Limit=5)
        answers.append((scan["Items"], scan["Count"], scan["ScannedCount"], scan.get("LastEvaluatedKey")))
        answers.append(
            table.update_item(
                Key={"asin": "B002"},
                UpdateExpression="SET popularity = :p",
                ExpressionAttributeValues={":p": 99},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        )
        answers.append(table.delete_item(Key={"asin": "B003"}, ReturnValues="ALL_OLD")["Attributes"])
        with pytest.raises(dynamodb.meta.client.exceptions.ResourceNotFoundException):
            dynamodb.Table("nope").get_item(Key={"asin": "x"})
        too_large = {"asin": "huge", "a": "x" * 200_000, "b": ["y" * 100_000, {"c": "z" * 110_000}]}
        with pytest.raises(dynamodb.meta.client.exceptions.ClientError, match="maximum allowed size"):
            table.put_item(Item=too_large)
        del too_large["b"]
        answers.append(table.put_item(Item=too_large, ReturnValues="ALL_OLD").get("Attributes"))
        return [_without_metadata(answer) for answer in answers]


def _without_metadata(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {key: value for key, value in answer.items() if key != "ResponseMetadata"}
    return answer


@pytest.fixture
def restore_moto() -> Iterator[None]:
    yield
    moto_speedups.uninstall()


def test_fast_answers_equal_motos_own(restore_moto: None) -> None:
    expected = run_operations()
    moto_speedups.install()
    assert DynamoResult.execute_result is moto_speedups._execute_result
    assert run_operations() == expected


def test_the_module_list_is_motos_own() -> None:
    assert moto_speedups._moto_modules() == tuple(moto_speedups.ORIGINALS[backends, "list_of_moto_modules"]())
    assert "dynamodb" in moto_speedups._moto_modules()


def test_sizes_and_plain_data_equal_motos_own() -> None:
    for item in ITEMS[:3]:
        attributes = TypeSerializer().serialize(item)["M"]
        values = [DynamoType(value) for value in attributes.values()]
        assert [moto_speedups._size(value) for value in values] == [
            moto_speedups.ORIGINALS[DynamoType, "size"](value) for value in values
        ]
        original_to_dict = moto_speedups.ORIGINALS[dynamodb_responses, "dynamo_to_dict"]
        tree = {"Items": [{key: DynamoType(value) for key, value in attributes.items()}], "Count": 1}
        assert moto_speedups._plain(tree) == original_to_dict(tree)
