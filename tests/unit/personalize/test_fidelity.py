"""Behaviour a boto3 user sees on AWS, checked against the local service over HTTP (issue 18)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from allstore.personalize.server import PersonalizeServer


def test_arns_carry_the_requests_region_and_answers_a_request_id(server: PersonalizeServer) -> None:
    config = Config(retries={"max_attempts": 1})
    ireland = boto3.client("personalize", endpoint_url=server.url, region_name="eu-west-1", config=config)
    created = ireland.create_dataset_group(name="in-ireland")
    assert created["datasetGroupArn"].startswith("arn:aws:personalize:eu-west-1:123456789012:dataset-group/")
    assert created["ResponseMetadata"]["RequestId"]
    tokyo = boto3.client("personalize", endpoint_url=server.url, region_name="ap-northeast-1", config=config)
    assert ":ap-northeast-1:" in tokyo.create_dataset_group(name="in-tokyo")["datasetGroupArn"]

    with pytest.raises(ClientError) as failure:
        ireland.describe_dataset_group(datasetGroupArn=created["datasetGroupArn"] + "-gone")
    ids = {failure.value.response["ResponseMetadata"]["RequestId"], created["ResponseMetadata"]["RequestId"]}
    assert len(ids) == 2 and all(ids), "every answer, errors too, has its own request id"

    runtime = boto3.client(
        "personalize-runtime", endpoint_url=server.url, region_name="eu-west-1", config=config
    )
    with pytest.raises(ClientError) as failure:
        runtime.get_recommendations(
            campaignArn=created["datasetGroupArn"].replace("dataset-group", "campaign")
        )
    assert failure.value.response["ResponseMetadata"]["RequestId"]
