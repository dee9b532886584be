"""Custom::EmptyBucketOnDelete: deleting the stack from the console succeeds because the staging
bucket is emptied of everything written into it — by the set-up function, deploy.sh's workshop copy
and the notebooks alike — after the notebook instance is gone (issue 16, point 7)."""

from __future__ import annotations

import boto3

from allstore.local.template import load_template

from .conftest import REGION, STAGING_BUCKET, put_object


def _keys(bucket: str) -> list[str]:
    pages = boto3.client("s3", region_name=REGION).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [entry["Key"] for page in pages for entry in page.get("Contents", [])]


def test_create_leaves_the_bucket_alone_and_delete_empties_it(setup_function) -> None:
    put_object("data/items/items.csv", "ITEM_ID\n1\n", bucket=STAGING_BUCKET)
    created = setup_function.request("Custom::EmptyBucketOnDelete", {"Bucket": STAGING_BUCKET})
    # what a notebook writes later (its own prefixes), and more than one DeleteObjects page
    for index in range(1205):
        put_object(f"workshop-output/interactions-{index}.csv", "x", bucket=STAGING_BUCKET)
    put_object("workshop/workshop.zip", b"PK", bucket=STAGING_BUCKET)
    assert created["Status"] == "SUCCESS" and len(_keys(STAGING_BUCKET)) == 1207

    deleted = setup_function.request(
        "Custom::EmptyBucketOnDelete",
        {"Bucket": STAGING_BUCKET},
        request_type="Delete",
        physical_id=created["PhysicalResourceId"],
    )

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["Data"] == {"Deleted": "1207"}
    assert _keys(STAGING_BUCKET) == []
    boto3.client("s3", region_name=REGION).delete_bucket(Bucket=STAGING_BUCKET)  # now CloudFormation can


def test_delete_of_a_bucket_already_gone_succeeds(setup_function) -> None:
    deleted = setup_function.request(
        "Custom::EmptyBucketOnDelete", {"Bucket": "no-such-bucket"}, request_type="Delete", physical_id="x"
    )
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]


def test_every_bucket_is_emptied_on_delete_after_its_writers_are_gone() -> None:
    resources = load_template()["Resources"]
    buckets = [name for name, resource in resources.items() if resource["Type"] == "AWS::S3::Bucket"]
    emptied = {
        resource["Properties"]["Bucket"]["Ref"]: name
        for name, resource in resources.items()
        if resource["Type"] in {"Custom::EmptyBucketOnDelete", "Custom::WebAssets"}
        and resource["Properties"].get("Prefix", "") == ""
    }
    for bucket in buckets:
        assert bucket in emptied, f"{bucket} keeps objects on Delete, so the stack cannot delete it"
        assert resources[bucket].get("DeletionPolicy", "Delete") == "Delete"
    # the notebook instance depends on the emptying, so CloudFormation deletes the instance first
    depends = resources["NotebookInstance"]["DependsOn"]
    assert emptied["StagingBucket"] in (depends if isinstance(depends, list) else [depends])
