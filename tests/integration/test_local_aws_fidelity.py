"""Local AWS behaves as the sample notebooks expect of AWS (issue 18): managed policies attach, every
client made from `allstore local env` reaches the store, the staging bucket has the original layout."""

from __future__ import annotations

import json
import shlex
import uuid

import boto3
import pytest
from typer.testing import CliRunner

from allstore.cli import app
from tests.integration.conftest import RunningStore

pytestmark = pytest.mark.integration

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_aws_managed_policies_attach_to_a_role(running_store: RunningStore) -> None:
    iam = running_store.client("iam")
    role = f"PersonalizeRole-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    managed = [
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess",
    ]
    for arn in managed:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(policy["PolicyArn"] for policy in attached) == sorted(managed)
    policy = iam.get_policy(PolicyArn=managed[1])["Policy"]
    version = iam.get_policy_version(PolicyArn=managed[1], VersionId=policy["DefaultVersionId"])
    assert "personalize:*" in json.dumps(version["PolicyVersion"]["Document"])

    with pytest.raises(iam.exceptions.NoSuchEntityException):  # a name AWS does not manage
        iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/NoSuchManagedPolicy")


def test_clients_made_from_local_env_all_reach_the_store(
    running_store: RunningStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(app, ["local", "env", "--state-dir", str(running_store.options.state_dir)])
    assert result.exit_code == 0, result.output
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in result.output.splitlines()
    )
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session()
    # A service the store has no variable for (CloudFormation) goes to local AWS, which answers.
    cloudformation = session.client("cloudformation")
    assert cloudformation.meta.endpoint_url == running_store.store.endpoints["sts"]
    assert cloudformation.list_stacks()["ResponseMetadata"]["HTTPStatusCode"] == 200
    # The sample notebooks read their bucket and role from SSM parameters.
    ssm = session.client("ssm")
    name = f"/fidelity/{uuid.uuid4().hex[:8]}/bucket"
    ssm.put_parameter(Name=name, Value=exports["STAGING_BUCKET"], Type="String")
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == exports["STAGING_BUCKET"]
    assert session.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_the_staging_bucket_has_the_original_demos_raw_layout(running_store: RunningStore) -> None:
    s3 = running_store.client("s3")
    keys = [
        entry["Key"]
        for entry in s3.list_objects_v2(Bucket=running_store.output("StagingBucket"), Prefix="raw/")[
            "Contents"
        ]
    ]
    for folder in ("raw/items/", "raw/users/", "raw/interactions/"):
        assert any(key.startswith(folder) for key in keys), (folder, keys)
